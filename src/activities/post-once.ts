import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailureCategory, defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { CallLimits, GorgiasClient } from '../gorgias/client';

/** What exactly-once needs of the Gorgias client: its message look-up and its POST. */
type MessageCalls = Pick<GorgiasClient, 'findMessage' | 'createMessage'>;
import { FAILURE_TYPES } from '../gorgias/failure-types';
import { GorgiasRequestError } from '../gorgias/failures';
import type { Message, NewMessage } from '../gorgias/schemas';
import { callGorgias, currentAttempt, heartbeat } from './gorgias-call';

/**
 * Exactly once, on top of activities that run at least once: the run's identity (PostRun), the confirm that an
 * attempt is still current before it posts, the wait for an earlier attempt's or run's POST to land, and the
 * look-up of our marked messages. Every write on a ticket goes through postMessageOnce.
 */

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
 * When the attempt's run was made by a reset: Temporal's `lastResetTime` for the run, which is when the reset
 * created it. Null for any other run, or when Temporal does not say (an older server, or no answer: the later
 * bound the workflow gave then stands). Every earlier run's POST started before then: the reset ended the run it
 * replaced, whose POSTs each confirmed their attempt with Temporal first (confirmAttemptWith), and any run before
 * that had ended earlier still.
 */
export type RunResetAt = () => Promise<number | null>;

export function runResetAtWith(client: Client): RunResetAt {
  return async () => {
    const { namespace, workflowExecution } = Context.current().info;
    if (!workflowExecution) return null;
    try {
      const described = await client.workflowService.describeWorkflowExecution({
        namespace,
        execution: workflowExecution,
      });
      return optionalTsToMs(described.workflowExtendedInfo?.lastResetTime) ?? null;
    } catch {
      return null;
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
      // A wait by design, not a fault: logged at DEBUG, counted as no failure (a retry-all would warn per POST).
      category: ApplicationFailureCategory.BENIGN,
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
  /** When a reset made this run (runResetAtWith): an earlier bound than `earlierRunsBefore` for earlier runs' POSTs. */
  runResetAt?: RunResetAt;
  /**
   * Asked once what may already be posted has been looked for, right before posting: a reason not to post now
   * (the kill switch), or null. So a retry or a later run reports what an earlier one posted, never "held".
   */
  hold?: () => string | null;
}

/**
 * Posts at most once. Temporal runs activities at least once, so every attempt that may repeat an earlier one
 * (a retry, a reset, a new run) looks for what was posted first. It looks only once any earlier POST has had
 * `unknownOutcomeWaitMs` to land (an earlier attempt's, from its heartbeat; an earlier run's, from when a reset
 * made this run if Temporal says, else from `earlierRunsBefore`, or from now for an activity a reset run
 * inherited), so a POST Gorgias is still processing is found, not repeated. The first attempt of the first run
 * skips the look-up: the ticket was just read without our marker.
 */
export async function postOnce<T>(options: PostOnceOptions<T>): Promise<T | { held: string }> {
  const attempt = currentAttempt();
  // Inherited by a reset run: the replaced run may have posted until the reset, which was before this attempt.
  const inherited =
    attempt.attempt === 1 && options.scheduledInRun !== Context.current().info.workflowExecution?.runId;
  const scheduled = inherited ? Date.now() : options.earlierRunsBefore;
  // A reset run knows an earlier bound: when the reset made it. Its note, scheduled after the reply's wait, then
  // waits no second time.
  const earlierRunsBefore =
    scheduled === null ? null : Math.min(scheduled, (await options.runResetAt?.()) ?? Infinity);
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

/** Our message (this deployment's, by its marker: see reply/markers.ts) that `ours` picks, if the ticket has it. */
export async function findMarked(
  gorgias: MessageCalls,
  ticketId: number,
  ours: (m: Message) => boolean,
): Promise<{ id: number } | null> {
  const found = await gorgias.findMessage(ticketId, ours, () => heartbeat());
  return found ? { id: found.id } : null;
}

export interface MessagePosting {
  gorgias: MessageCalls;
  unknownOutcomeWaitMs: number;
  confirmAttempt: ConfirmAttempt;
  runResetAt?: RunResetAt;
}

/**
 * Posts a message on a ticket once (postOnce); when Gorgias's answer lacks the new id, the message is found by its
 * marker. `hold` is asked once an earlier post has been looked for.
 */
export function postMessageOnce(
  posting: MessagePosting,
  what: string,
  ticketId: number,
  message: NewMessage & { external_id: string },
  lookUp: () => Promise<{ id: number } | null>,
  run: PostRun,
): Promise<{ id: number }>;
export function postMessageOnce(
  posting: MessagePosting,
  what: string,
  ticketId: number,
  message: NewMessage & { external_id: string },
  lookUp: () => Promise<{ id: number } | null>,
  run: PostRun,
  hold: () => string | null,
): Promise<{ id: number } | { held: string }>;
export async function postMessageOnce(
  posting: MessagePosting,
  what: string,
  ticketId: number,
  message: NewMessage & { external_id: string },
  lookUp: () => Promise<{ id: number } | null>,
  run: PostRun,
  hold?: () => string | null,
): Promise<{ id: number } | { held: string }> {
  const posted = await postOnce({
    what,
    ...run,
    unknownOutcomeWaitMs: posting.unknownOutcomeWaitMs,
    confirmAttempt: posting.confirmAttempt,
    runResetAt: posting.runResetAt,
    lookUp,
    hold,
    post: (limits) => posting.gorgias.createMessage(ticketId, message, limits),
  });
  if ('held' in posted) return posted;
  if (posted.id !== null) return { id: posted.id };
  const found = await callGorgias(`find ${what}`, lookUp);
  if (found) return found;
  throw new GorgiasRequestError('retryable', `${what}: created, but not listed yet`);
}
