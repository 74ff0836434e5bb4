import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { classifyFailure, type GorgiasRequestError } from '../gorgias/failures';
import type { CallLimits } from '../gorgias/client';
import { FAILURE_TYPES } from '../gorgias/failure-types';

/** The one place where a Gorgias failure becomes a Temporal failure with the right retry behaviour. */
export function toActivityFailure(error: GorgiasRequestError, nextRetryDelayMs?: number): ApplicationFailure {
  const type =
    error.status === 401 || error.status === 403
      ? FAILURE_TYPES.auth
      : error.status === 404
        ? FAILURE_TYPES.notFound
        : error.unreadable
          ? FAILURE_TYPES.unreadable
          : FAILURE_TYPES[error.kind];
  return ApplicationFailure.create({
    type,
    message: error.message,
    nonRetryable: error.kind === 'permanent',
    nextRetryDelay: nextRetryDelayMs ?? error.retryAfterMs,
    details: error.status === undefined ? [] : [{ status: error.status }],
    // A 404 is the ticket deleted or merged away: an outcome (skipped, `gone`), not a fault. Benign, the SDK logs
    // it at DEBUG and counts no failure, so a first day's merged tickets raise no warnings. (A wrong account URL,
    // which would 404 everything, is what the account check at start and on /readyz reports.)
    category: error.status === 404 ? ApplicationFailureCategory.BENIGN : undefined,
  });
}

/** How long one Gorgias call may wait in the activity for a `Retry-After`, instead of failing the attempt. */
const MAX_RATE_LIMIT_WAIT_MS = 8_000;

// The details of an attempt's last heartbeat: every heartbeat repeats them, so a later attempt still learns
// when an earlier one's POST started (see postOnce), however many heartbeats came after it.
const heartbeatDetails = new WeakMap<Context, unknown>();

/** Tells Temporal the attempt is alive (a stopped worker is noticed within the heartbeat timeout). */
export function heartbeat(details?: unknown): void {
  const context = Context.current();
  attemptStartedAt(context);
  if (details !== undefined) heartbeatDetails.set(context, details);
  // Only activities with a heartbeat timeout heartbeat (the catch-up's have none).
  if (context.info.heartbeatTimeoutMs === undefined) return;
  context.heartbeat(
    heartbeatDetails.has(context) ? heartbeatDetails.get(context) : context.info.heartbeatDetails,
  );
}

// When each attempt began. The SDK's activity info has no start time (only when the attempt was scheduled, which
// precedes its start by its wait in the task queue, minutes under a backlog), so it is the first moment the attempt
// reached this module: every activity begins with a Gorgias call (callGorgias heartbeats first) or currentAttempt.
const attemptStarts = new WeakMap<Context, number>();

function attemptStartedAt(context: Context): number {
  const known = attemptStarts.get(context);
  if (known !== undefined) return known;
  const now = Date.now();
  attemptStarts.set(context, now);
  return now;
}

/**
 * The running activity attempt, as the Gorgias calls see it: its deadline (start-to-close from when the attempt
 * began, not from this call, which may come after a read; and the schedule-to-close), its cancellation signal,
 * and a heartbeat. A call that cannot finish before the deadline is not started: Temporal may already have
 * handed the retry to another worker.
 */
export function currentAttempt(): CallLimits & { attempt: number } {
  const context = Context.current();
  const { info } = context;
  const deadlines = [attemptStartedAt(context) + info.startToCloseTimeoutMs];
  const scheduleToClose = (info as { scheduleToCloseTimeoutMs?: number }).scheduleToCloseTimeoutMs;
  if (scheduleToClose) deadlines.push(info.scheduledTimestampMs + scheduleToClose);
  return {
    attempt: info.attempt,
    deadline: Math.min(...deadlines),
    signal: context.cancellationSignal,
  };
}

/**
 * Makes one Gorgias call. A 429 with a short `Retry-After` is waited out here and the same call made again:
 * Gorgias did nothing, so failing the attempt would only make the retry repeat the idempotency look-up and
 * spend the call the post needs. Anything else becomes the activity's failure.
 */
export async function callGorgias<T>(
  what: string,
  call: () => Promise<T>,
  options: { unknownOutcomeWaitMs?: number } = {},
): Promise<T> {
  const context = Context.current();
  if (context.info.attempt > 1) {
    context.metricMeter
      .createCounter('gorgias_retried_calls', 'calls', 'Gorgias calls made by retried activity attempts')
      .add(1, { activity: context.info.activityType });
  }
  let waited = 0;
  for (;;) {
    heartbeat();
    try {
      return await call();
    } catch (err) {
      // Already the activity's failure (a write's start that Temporal did not confirm): not Gorgias's.
      if (err instanceof ApplicationFailure) throw err;
      const failure = classifyFailure(err, what);
      const wait = failure.retryAfterMs;
      if (failure.kind !== 'rate-limited' || wait === undefined || waited + wait > MAX_RATE_LIMIT_WAIT_MS) {
        // A write that got no answer may still land at Gorgias: the retry looks for it only after a while.
        throw toActivityFailure(failure, failure.outcomeUnknown ? options.unknownOutcomeWaitMs : undefined);
      }
      waited += wait;
      await context.sleep(wait);
    }
  }
}
