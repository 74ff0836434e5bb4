import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setWorkflowOptions,
  sleep,
  TimeoutFailure,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
// Type-only: no activity code is bundled into the workflow.
import type { ComposedReply, createActivities, NoteContent, ReplyDelivery, SentReply } from '../activities';
import type { PostRun } from '../activities/gorgias-call';
import { GORGIAS_ATTEMPT_MS } from '../gorgias/attempt';
import { orderAnswer, showsStatusLink, type OrderAnswer } from '../orders/branch';
import type { Policy } from '../policy/schema';
import { hasAddressKeyedStores, resolveStore, type StoreResolution } from '../policy/stores';
import {
  decideAutoReply,
  isDryRun,
  isSkipNoted,
  outgoingReply,
  recipientOf,
  staleAt,
  type SkipReason,
  type TicketFacts,
} from './decision';
import type { AutoReplyResult, FailureReason, TicketWorkflowInput } from './definitions';
import { experimentArm } from './holdout';
import { recipientClaims } from './recipient-grants';
import { TicketRun } from './ticket-run';
import { whenVersioned } from './versioning';

type Activities = ReturnType<typeof createActivities>;

/** Gorgias calls: retried with backoff; an acknowledgement not sent within half an hour is not worth sending. */
const GORGIAS_CALL: ActivityOptions = {
  // Per attempt: room for a read and a write of the HTTP client's timeout (GORGIAS_HTTP_TIMEOUT_MS, 10 s by
  // default, checked against it at start). A write is not started with less than its timeout + 2 s left.
  startToCloseTimeout: GORGIAS_ATTEMPT_MS,
  // A worker that stops (crash, SIGSTOP) is noticed within this, not only at the end of the attempt.
  heartbeatTimeout: '20s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};
const MAX_SEND_MS = 30 * 60_000;
/** Tag and note of a hand-back: tried for a while, but a ticket whose hand-back cannot be written still ends. */
const HAND_BACK_CALL: ActivityOptions = { ...GORGIAS_CALL, scheduleToCloseTimeout: '10m' };

const activities = proxyActivities<Activities>(GORGIAS_CALL);
// No Gorgias call in these: they run in the workflow's own worker, without a round trip through the task queue.
const localActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
});

/**
 * Pinned (Worker Versioning): a ticket runs to its end on the worker version it started on, however long it waits
 * (`delay_seconds`, the delivery check), so a workflow change never meets a half-run ticket. Unversioned workers
 * declare nothing (see versioning.ts).
 */
setWorkflowOptions(whenVersioned('PINNED'), ticketWorkflow);

/** One workflow per Gorgias ticket: read it, decide, (wait, read again,) reply, confirm it was sent, note. */
export async function ticketWorkflow({ ticketId }: TicketWorkflowInput): Promise<AutoReplyResult> {
  const run = new TicketRun(ticketId);
  const policy = await localActivities.loadPolicy();
  try {
    return await autoReply(run, policy);
  } catch (err) {
    // Deleted, or merged into another ticket (Gorgias merges a customer's open tickets): nothing is owed here.
    if (isTicketGone(err)) return finishSkipped(run, 'gone', null);
    return handBack(run, policy, err instanceof HandBack ? err : HandBack.from(err));
  }
}

async function autoReply(run: TicketRun, topLevel: Policy): Promise<AutoReplyResult> {
  let ticket = await readTicket(run, topLevel);
  let store = atStore(run, ticket, topLevel);
  let policy = store.policy;
  // Our notes on the ticket in its first run: a workflow of this ticket ran before and is gone (past the namespace's
  // retention), and a later delivery (an update, a new message) started this one. The agents were told then.
  if (ticket.notedBefore && !ticket.autoReplyPresent && isFirstRun()) {
    return skip(run, ticket, policy, 'handled-before');
  }
  let decision = decideAutoReply(ticket, policy, Date.now());
  if (decision.reply && policy.timing.delay_seconds > 0) {
    run.enter('waiting');
    await sleep(policy.timing.delay_seconds * 1000);
    // Reply only if nobody has answered (or closed the ticket) while we waited.
    ticket = await readTicket(run, topLevel);
    store = atStore(run, ticket, topLevel);
    policy = store.policy;
    decision = decideAutoReply(ticket, policy, Date.now());
  }
  if (!decision.reply) return skip(run, ticket, policy, decision.reason);

  ticket = await withOrders(run, ticket, topLevel);
  const answer = orderAnswer(ticket, policy.orders, Date.now());
  if (answer.branch === 'delayed') {
    return skip(run, ticket, policy, 'order-delayed', {
      detail: answer.detail,
      tag: policy.orders.delayed.tag,
    });
  }
  // Held out (the policy's experiment) where the reply would be composed: both arms passed every check alike.
  const arm = experimentArm(ticket, policy);
  run.inExperiment(arm);
  if (arm === 'holdout') {
    return run.finish({
      outcome: 'skipped',
      ticketId: ticket.ticketId,
      reason: 'holdout',
      noteMessageId: null,
    });
  }
  const reply = await compose(ticket, answer, store);
  const to = recipientOf(ticket);
  if (isDryRun(ticket, policy)) {
    const note = await addNote(run, ticket.ticketId, { kind: 'dry-run', to, reply });
    return run.finish({ outcome: 'dry-run', ticketId: ticket.ticketId, noteMessageId: note.messageId });
  }

  // One voice per customer: claimed after the last read, so a ticket skipped for any other reason takes no slot.
  const denied = await claimAcknowledgement(run, ticket, policy);
  if (denied) return skip(run, ticket, policy, denied);
  const sent = await send(run, ticket, policy, reply);
  if (sent.status === 'stale') return skip(run, ticket, policy, 'stale');
  if (sent.status === 'held') {
    const note = await addNote(run, ticket.ticketId, { kind: 'held', to, reply, reason: sent.reason });
    return run.finish({ outcome: 'dry-run', ticketId: ticket.ticketId, noteMessageId: note.messageId });
  }
  const delivery = await confirmDelivery(run, ticket.ticketId, sent.messageId, policy);
  if (delivery.state === 'failed') {
    throw new HandBack('send-failed', `Gorgias could not send the reply: ${delivery.error}`, sent.messageId);
  }
  const replyMessageId = sent.messageId;
  if (delivery.state !== 'sent') {
    const minutes = policy.timing.confirm_within_minutes;
    const noteMessageId = await noteAfterReply(run, {
      kind: 'unconfirmed',
      to,
      replyMessageId,
      reply,
      minutes,
      unreadable: delivery.state === 'unreadable' ? delivery.error : null,
    });
    return run.finish({ outcome: 'unconfirmed', ticketId: ticket.ticketId, replyMessageId, noteMessageId });
  }
  const sentAt = delivery.sentAt;
  const noteMessageId = await noteAfterReply(run, { kind: 'replied', to, sentAt, replyMessageId, reply });
  return run.finish({ outcome: 'replied', ticketId: ticket.ticketId, replyMessageId, sentAt, noteMessageId });
}

/**
 * The note after a reply went out. If Gorgias refuses it, the ticket is still answered: it is not handed back
 * (agents would be told to answer a ticket the customer already got a reply on); the error is logged.
 */
async function noteAfterReply(run: TicketRun, note: NoteContent): Promise<number | null> {
  try {
    return (await addNote(run, run.ticketId, note)).messageId;
  } catch (err) {
    log.error('Could not add the note after the reply; the reply itself went out', {
      error: describeError(err),
    });
    return null;
  }
}

/** The ticket, read under the run's recorded policy (never the worker's current one). */
async function readTicket(run: TicketRun, policy: Policy): Promise<TicketFacts> {
  run.enter('reading-ticket');
  const ticket = await activities.fetchTicket.executeWithOptions(
    { ...GORGIAS_CALL, summary: `Read ticket #${run.ticketId} from Gorgias` },
    [
      {
        ticketId: run.ticketId,
        policy: {
          orders: policy.orders,
          addressKeyedStores: hasAddressKeyedStores(policy),
          statusLinks: showsStatusLink(policy),
        },
      },
    ],
  );
  run.read(ticket);
  return ticket;
}

/** The store section the ticket came through (its integration), recorded where operators look. */
function atStore(run: TicketRun, ticket: TicketFacts, policy: Policy): StoreResolution {
  const store = resolveStore(ticket.lastCustomerMessage, policy);
  run.atStore(store);
  return store;
}

/** An order question on a ticket that carried no orders: the customer is read from Gorgias, once. */
async function withOrders(run: TicketRun, ticket: TicketFacts, policy: Policy): Promise<TicketFacts> {
  const customerId = ticket.customer?.id;
  const question = ticket.orderQuestion;
  if (!question || !('lookFor' in question) || !customerId) return ticket;
  run.enter('reading-orders');
  const match = await activities.readCustomerOrders.executeWithOptions(
    { ...GORGIAS_CALL, summary: `Read the customer's orders (customer ${customerId})` },
    [{ customerId, lookFor: question.lookFor, statusLinks: showsStatusLink(policy) }],
  );
  return { ...ticket, orderQuestion: { match } };
}

/**
 * The acknowledgement to the ticket's To address, claimed from its recipients' workflows (the per-customer cooldown,
 * on the customer's main address too, and the per-domain limit): null when granted, else the skip reason. Asked
 * again while a reply is still useful; without an answer the ticket is handed back rather than risk a second voice.
 */
async function claimAcknowledgement(
  run: TicketRun,
  ticket: TicketFacts,
  policy: Policy,
): Promise<SkipReason | null> {
  const to = ticket.replyTo?.address ?? '';
  const claims = recipientClaims(to, policy.loop_guard, ticket.customer?.email ?? null);
  if (claims.length === 0) return null;
  // The send needs one attempt's time after the claim.
  const window = untilStale(ticket, policy) - GORGIAS_ATTEMPT_MS;
  if (window <= 0) return 'stale';
  run.enter('claiming-acknowledgement');
  try {
    const outcome = await activities.claimAcknowledgement.executeWithOptions(
      {
        // An attempt waits up to 10 s (CLAIM_WAIT_MS) for the recipient's workflow. Not a local activity: it would
        // hold this workflow task (and its worker slot) while the recipient's workflow needs a slot to answer.
        startToCloseTimeout: '15s',
        scheduleToCloseTimeout: window,
        retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
        summary: `Claim the auto-reply to ${to}`,
      },
      [{ ticketId: ticket.ticketId, claims }],
    );
    return outcome.granted ? null : outcome.deniedAs;
  } catch (err) {
    throw new HandBack(
      'cooldown-unavailable',
      `no answer from the per-customer cooldown: ${describeError(err)}`,
    );
  }
}

async function compose(
  ticket: TicketFacts,
  answer: OrderAnswer,
  store: StoreResolution,
): Promise<ComposedReply> {
  try {
    return await localActivities.composeReply({
      ticket,
      answer,
      store: { policy: store.policy, language: store.language },
    });
  } catch (err) {
    throw new HandBack('template-error', describeError(err));
  }
}

/**
 * Posts the reply. Marked `sending` first, so other tickets' cooldown sees it at once. A send is started only
 * with at least one attempt left before the reply goes stale, and a failed send looks once more for our reply
 * before the ticket is handed back (the POST may have landed although its answer was lost).
 */
async function send(
  run: TicketRun,
  ticket: TicketFacts,
  policy: Policy,
  reply: ComposedReply,
): Promise<
  { status: 'posted'; messageId: number } | Extract<SentReply, { status: 'held' }> | { status: 'stale' }
> {
  const window = untilStale(ticket, policy);
  if (window < GORGIAS_ATTEMPT_MS) return { status: 'stale' };
  run.record('sending');
  run.enter('sending-reply');
  try {
    return await activities.sendReply.executeWithOptions(
      {
        ...GORGIAS_CALL,
        scheduleToCloseTimeout: window,
        summary: `Email reply to ${ticket.replyTo?.address ?? 'the customer'}: ${reply.subject}`,
      },
      [{ ...outgoingReply(ticket, reply), ...postRun() }],
    );
  } catch (err) {
    // Once the last attempt's POST has had time to land, whatever became of its answer.
    const found = await activities.findReply
      .executeWithOptions({ ...HAND_BACK_CALL, summary: 'Look once more for our reply' }, [
        ticket.ticketId,
        Date.now(),
      ])
      .catch(() => null);
    if (found) return { status: 'posted', messageId: found.messageId };
    if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) return { status: 'stale' };
    throw isTicketGone(err) ? err : HandBack.from(err);
  }
}

/**
 * Gorgias sends a posted reply asynchronously: look (after a short timer, then backing off) until it reports
 * the reply sent or failed, or the confirmation window ends. A `ticket-message-failed` delivery looks at once.
 * The reply is posted: a look that keeps failing (the ticket merged away, a revoked key, an unreadable answer,
 * Gorgias down until the window ends) leaves its outcome unknown, never failed, for the customer may have it.
 */
async function confirmDelivery(
  run: TicketRun,
  ticketId: number,
  messageId: number,
  policy: Policy,
): Promise<ReplyDelivery | { state: 'unreadable'; error: string }> {
  run.enter('confirming-delivery');
  const until = Date.now() + policy.timing.confirm_within_minutes * 60_000;
  let wait = policy.timing.confirm_first_check_seconds * 1000;
  for (;;) {
    const notices = run.messageFailedNotices;
    const left = until - Date.now();
    if (left > 0) await condition(() => run.messageFailedNotices > notices, Math.min(wait, left));
    const retryFor = Math.max(until - Date.now(), GORGIAS_ATTEMPT_MS);
    const delivery = await activities.checkReplyDelivery
      .executeWithOptions(
        { ...GORGIAS_CALL, scheduleToCloseTimeout: retryFor, summary: 'Has Gorgias sent the reply?' },
        [{ ticketId, messageId }],
      )
      .catch((err: unknown) => ({ state: 'unreadable' as const, error: describeError(err) }));
    if (delivery.state !== 'pending' || Date.now() >= until) return delivery;
    wait *= 2;
  }
}

async function skip(
  run: TicketRun,
  ticket: TicketFacts,
  policy: Policy,
  reason: SkipReason,
  handOff: { detail: string | null; tag: string } | null = null,
): Promise<AutoReplyResult> {
  run.record('skipped', reason);
  // A ticket handed to a human (a late order) is tagged for them; the note always says why.
  if (handOff) {
    const tag = handOff.tag;
    await activities.tagTicket.executeWithOptions({ ...GORGIAS_CALL, summary: `Tag the ticket "${tag}"` }, [
      { ticketId: ticket.ticketId, tag },
    ]);
  }
  const explain = handOff !== null || isSkipNoted(reason, policy);
  const note = explain
    ? await addNote(run, ticket.ticketId, {
        kind: 'skipped',
        reason,
        detail: handOff?.detail ?? null,
        tag: handOff?.tag ?? null,
      })
    : null;
  return finishSkipped(run, reason, note?.messageId ?? null);
}

function finishSkipped(run: TicketRun, reason: SkipReason, noteMessageId: number | null): AutoReplyResult {
  return run.finish({ outcome: 'skipped', ticketId: run.ticketId, reason, noteMessageId });
}

/** The ticket no longer exists at Gorgias: a call about it answered 404 (see FAILURE_TYPES.notFound). */
function isTicketGone(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === 'GorgiasNotFound';
}

/** Why the ticket did not get its reply, on its way to the hand-back. */
class HandBack extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly replyMessageId: number | null = null,
  ) {
    super(message);
  }

  /** A failed activity, classified by the failure type the activity gave it. */
  static from(err: unknown): HandBack {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const type = cause instanceof ApplicationFailure ? cause.type : null;
    const reason: FailureReason =
      type === 'GorgiasAuth'
        ? 'gorgias-auth'
        : type === 'GorgiasUnreadable'
          ? 'unreadable-ticket'
          : cause instanceof ApplicationFailure && cause.nonRetryable
            ? 'gorgias-rejected'
            : err instanceof ActivityFailure
              ? 'gorgias-unavailable'
              : 'internal-error';
    return new HandBack(reason, describeError(err));
  }
}

/**
 * The ticket did not get its reply: record why, tag the ticket and leave a note for the agents where Gorgias
 * allows it, then fail visibly (failed workflows are what alerting watches).
 */
async function handBack(run: TicketRun, policy: Policy, failure: HandBack): Promise<never> {
  run.record('failed', failure.reason);
  run.enter('handing-back');
  const tag = policy.failure.tag;
  await activities.tagTicket
    .executeWithOptions({ ...HAND_BACK_CALL, summary: `Tag the ticket "${tag}"` }, [
      { ticketId: run.ticketId, tag },
    ])
    .catch((err) => log.error('Could not tag the ticket', { error: describeError(err) }));
  await addNote(
    run,
    run.ticketId,
    { kind: 'failed', reason: failure.reason, error: failure.message, tag },
    HAND_BACK_CALL,
  ).catch((err) => log.error('Could not add the hand-back note', { error: describeError(err) }));
  run.enter('done');
  throw ApplicationFailure.create({
    type: 'AutoReplyFailed',
    message: `${failure.reason}: ${failure.message}`,
    nonRetryable: true,
    details: [{ reason: failure.reason, replyMessageId: failure.replyMessageId }],
  });
}

function addNote(
  run: TicketRun,
  ticketId: number,
  note: NoteContent,
  options: ActivityOptions = GORGIAS_CALL,
): Promise<{ messageId: number }> {
  run.enter('adding-note');
  return activities.addInternalNote.executeWithOptions(
    { ...options, summary: `Internal note: ${note.kind}` },
    [{ ticketId, note: { ...note, store: run.store }, ...postRun() }],
  );
}

/** The ticket's first run: not a reset run, nor one continued from another. */
function isFirstRun(): boolean {
  const info = workflowInfo();
  return info.runId === info.originalExecutionRunId && info.continuedFromExecutionRunId === undefined;
}

/**
 * For a posting activity (see PostRun): a reset run (or a later run) may repeat what an earlier run posted, whose
 * POST started before now (the earlier run ended when this one began): now, then, so the activity looks for it
 * once it has had time to land. Not the run's start time: a reset run keeps its first events.
 */
function postRun(): PostRun {
  return { earlierRunsBefore: isFirstRun() ? null : Date.now(), scheduledInRun: workflowInfo().runId };
}

/** How long the reply may keep retrying: until the acknowledgement would be stale, at most half an hour. */
function untilStale(ticket: TicketFacts, policy: Policy): number {
  const deadline = staleAt(ticket, policy);
  return deadline === null ? MAX_SEND_MS : Math.min(MAX_SEND_MS, deadline - Date.now());
}

function describeError(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
