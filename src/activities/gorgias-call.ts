import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { classifyFailure, type GorgiasRequestError } from '../gorgias/failures';
import type { CallLimits } from '../gorgias/client';

/** Failure types the workflow's retry policy, the workflow's outcome and an operator see. */
export const FAILURE_TYPES = {
  'rate-limited': 'GorgiasRateLimited',
  retryable: 'GorgiasUnavailable',
  permanent: 'GorgiasRejected',
  auth: 'GorgiasAuth',
  /** 404: the ticket (or whatever the call named) no longer exists, e.g. deleted or merged into another. */
  notFound: 'GorgiasNotFound',
  unreadable: 'GorgiasUnreadable',
} as const;
export type FailureType = (typeof FAILURE_TYPES)[keyof typeof FAILURE_TYPES];

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

/** What the attempt that posted last recorded in its heartbeat: when its POST started. */
interface PostHeartbeat {
  postStartedAt: number;
}

function lastPostStartedAt(): number | null {
  const details = Context.current().info.heartbeatDetails as Partial<PostHeartbeat> | undefined;
  return typeof details?.postStartedAt === 'number' ? details.postStartedAt : null;
}

/**
 * Records `details` as the attempt's heartbeat on the server *now*, and fails if Temporal no longer counts this
 * attempt as running. The SDK's own heartbeats are throttled and sent in the background: a worker frozen just
 * after Temporal handed it a task (a SIGSTOP, a VM pause) would, on thawing, post before learning that the
 * attempt had timed out and that another worker took it over. Asking first closes that gap, and guarantees
 * the retry learns when this POST started.
 */
export type ConfirmAttempt = (details: unknown) => Promise<void>;

export function confirmAttemptWith(client: Client): ConfirmAttempt {
  return async (details) => {
    const { info } = Context.current();
    heartbeat(details);
    try {
      await client.workflowService.recordActivityTaskHeartbeat({
        namespace: info.namespace,
        taskToken: info.taskToken,
        identity: client.options.identity,
        details: { payloads: [defaultPayloadConverter.toPayload(details)] },
      });
    } catch (err) {
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.retryable,
        message: `not posting: Temporal does not confirm this attempt is still running (${(err as Error).message})`,
      });
    }
  };
}

/**
 * Throws a retryable failure that comes back once a POST started before `startedBefore` (outcome unknown) has had
 * `unknownOutcomeWaitMs` to land at Gorgias; returns at once when there is no such POST or it has had the time.
 * A look-up any sooner could miss a POST Gorgias is still processing, and the caller would post it again (or
 * report it lost).
 */
export function afterEarlierPosts(
  what: string,
  startedBefore: number | null,
  unknownOutcomeWaitMs: number,
): void {
  const settleAt = startedBefore === null ? 0 : startedBefore + unknownOutcomeWaitMs;
  if (settleAt > Date.now()) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.retryable,
      message: `${what}: an earlier POST may still be in flight; looking again later`,
      nextRetryDelay: settleAt - Date.now(),
    });
  }
}

/** Where a posting activity stands among the ticket's runs: set by the workflow when it schedules it. */
export interface PostRun {
  /**
   * Set when this run may repeat what an earlier run posted (a reset, a later run): when the workflow scheduled
   * this activity. An earlier run's POST started before then, so the first attempt looks for it too, once it
   * has had time to land. Null on a ticket's first run.
   */
  earlierRunsBefore: number | null;
  /**
   * The run that scheduled the activity. One pending at a reset point is handed to the reset run as the old
   * run scheduled it (its `earlierRunsBefore` too), at attempt 1, without its heartbeats; absent in inputs
   * recorded before this field was added.
   */
  scheduledInRun?: string;
}

export interface PostOnceOptions<T> extends PostRun {
  what: string;
  /** Finds what an earlier attempt (or run) may already have posted. */
  lookUp: () => Promise<T | null>;
  post: (limits: CallLimits) => Promise<T>;
  /** How long a POST whose outcome is unknown (timeout, reset connection) may take to show up at Gorgias. */
  unknownOutcomeWaitMs: number;
  /** Records the POST's start on the server and checks the attempt is still current (see confirmAttemptWith). */
  confirmAttempt: ConfirmAttempt;
  /**
   * Asked once what may already be posted has been looked for, right before posting: a reason not to post now
   * (the kill switch), or null. So a retry or a later run reports what an earlier one posted, never "held".
   */
  hold?: () => string | null;
}

/**
 * Posts at most once. Temporal runs activities at least once, so every attempt that may repeat an earlier one
 * (a retry, a reset, a new run) looks for what was posted first. It looks only once any earlier POST has had
 * `unknownOutcomeWaitMs` to land (an earlier attempt's, from its heartbeat; an earlier run's, from
 * `earlierRunsBefore`, or from now for an activity a reset run inherited), so a POST Gorgias is still
 * processing is found, not repeated. The first attempt of the first run skips the look-up: the ticket was
 * just read without our marker.
 */
export async function postOnce<T>(options: PostOnceOptions<T>): Promise<T | { held: string }> {
  const attempt = currentAttempt();
  // Inherited by a reset run: the replaced run may have posted until the reset, which was before this attempt.
  const inherited =
    attempt.attempt === 1 && options.scheduledInRun !== Context.current().info.workflowExecution?.runId;
  const earlierRunsBefore = inherited ? Date.now() : options.earlierRunsBefore;
  if (attempt.attempt > 1 || earlierRunsBefore !== null) {
    const earlier = [lastPostStartedAt(), earlierRunsBefore].filter((t) => typeof t === 'number');
    afterEarlierPosts(
      options.what,
      earlier.length === 0 ? null : Math.max(...earlier),
      options.unknownOutcomeWaitMs,
    );
    const existing = await callGorgias(`find ${options.what}`, options.lookUp);
    if (existing !== null) return existing;
  }
  const held = options.hold?.() ?? null;
  if (held !== null) return { held };
  // Recorded and confirmed once the POST has its rate-limit slot, right before it goes out (again after a 429).
  const beforeSend = () => options.confirmAttempt({ postStartedAt: Date.now() } satisfies PostHeartbeat);
  return callGorgias(options.what, () => options.post({ ...attempt, beforeSend }), {
    unknownOutcomeWaitMs: options.unknownOutcomeWaitMs,
  });
}
