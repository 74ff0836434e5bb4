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
import type { ComposedReply, createActivities, NoteContent, ReplyDelivery } from '../activities';
import type { PostRun } from '../activities/gorgias-call';
import { orderAnswer, type OrderAnswer } from '../orders/branch';
import type { Policy } from '../policy/schema';
import { hasAddressKeyedStores, resolveStore, type StoreResolution } from '../policy/stores';
import {
  decideAutoReply,
  isDryRun,
  staleAt,
  type Decision,
  type SkipReason,
  type TicketFacts,
} from './decision';
import type { AutoReplyResult, FailureReason, TicketWorkflowInput } from './definitions';
import { experimentArm } from './holdout';
import { TicketRun } from './ticket-run';

type Activities = ReturnType<typeof createActivities>;

/** Gorgias calls: retried with backoff; an acknowledgement not sent within half an hour is not worth sending. */
const GORGIAS_CALL: ActivityOptions = {
  // Per attempt, a little above the HTTP client's timeout (GORGIAS_HTTP_TIMEOUT_MS, 10 s by default), leaving
  // room for the look-up a retried send makes first. A write is not started with less than its timeout left.
  startToCloseTimeout: '30s',
  // A worker that stops (crash, SIGSTOP) is noticed within this, not only at the end of the attempt.
  heartbeatTimeout: '20s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};
const ATTEMPT_MS = 30_000;
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
 * (`delay_seconds`, the delivery check), so a workflow change never meets a half-run ticket.
 */
setWorkflowOptions({ versioningBehavior: 'PINNED' }, ticketWorkflow);

/** One workflow per Gorgias ticket: read it, decide, (wait, read again,) reply, confirm it was sent, note. */
export async function ticketWorkflow({ ticketId }: TicketWorkflowInput): Promise<AutoReplyResult> {
  const run = new TicketRun(ticketId);
  const policy = await localActivities.loadPolicy();
  try {
    return await autoReply(run, policy);
  } catch (err) {
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
  let decision = await decideWithCooldown(ticket, policy);
  if (decision.reply && policy.timing.delay_seconds > 0) {
    run.enter('waiting');
    await sleep(policy.timing.delay_seconds * 1000);
    // Reply only if nobody has answered (or closed the ticket) while we waited.
    ticket = await readTicket(run, topLevel);
    store = atStore(run, ticket, topLevel);
    policy = store.policy;
    decision = await decideWithCooldown(ticket, policy);
  }
  if ('stale' in decision) throw HandBack.stale(policy);
  if (!decision.reply) return skip(run, ticket, policy, decision.reason);

  ticket = await withOrders(run, ticket);
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
  const to = ticket.customer?.email ?? '';
  if (isDryRun(ticket, policy)) {
    const note = await addNote(run, ticket.ticketId, { kind: 'dry-run', to, reply });
    return run.finish({ outcome: 'dry-run', ticketId: ticket.ticketId, noteMessageId: note.messageId });
  }

  const sent = await send(run, ticket, policy, reply);
  if (sent.status === 'held') {
    const note = await addNote(run, ticket.ticketId, { kind: 'held', to, reply, reason: sent.reason });
    return run.finish({ outcome: 'dry-run', ticketId: ticket.ticketId, noteMessageId: note.messageId });
  }
  const delivery = await confirmDelivery(run, ticket.ticketId, sent.messageId, policy);
  if (delivery.state === 'failed') {
    throw new HandBack('send-failed', `Gorgias could not send the reply: ${delivery.error}`, sent.messageId);
  }
  const replyMessageId = sent.messageId;
  if (delivery.state === 'pending') {
    const minutes = policy.timing.confirm_within_minutes;
    const noteMessageId = await noteAfterReply(run, {
      kind: 'unconfirmed',
      to,
      replyMessageId,
      reply,
      minutes,
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
        policy: { orders: policy.orders, addressKeyedStores: hasAddressKeyedStores(policy) },
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
async function withOrders(run: TicketRun, ticket: TicketFacts): Promise<TicketFacts> {
  const customerId = ticket.customer?.id;
  if (!ticket.orderQuestion || ticket.orders !== null || !customerId) return ticket;
  run.enter('reading-orders');
  const orders = await activities.readCustomerOrders.executeWithOptions(
    { ...GORGIAS_CALL, summary: `Read the customer's orders (customer ${customerId})` },
    [customerId],
  );
  return { ...ticket, orders };
}

/** The policy's decision, then the per-customer cooldown, which looks at other tickets' workflows. */
async function decideWithCooldown(ticket: TicketFacts, policy: Policy): Promise<Decision> {
  const decision = decideAutoReply(ticket, policy, Date.now());
  const withinMinutes = policy.loop_guard.cooldown_minutes;
  const customerEmail = ticket.customer?.email;
  if (!decision.reply || withinMinutes === 0 || !customerEmail) return decision;
  try {
    const recent = await localActivities.hasRecentAutoReply({
      ticketId: ticket.ticketId,
      customerEmail,
      withinMinutes,
    });
    return recent ? { reply: false, reason: 'cooldown' } : decision;
  } catch (err) {
    log.warn('Could not check the per-customer cooldown; replying anyway', { error: String(err) });
    return decision;
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
async function send(run: TicketRun, ticket: TicketFacts, policy: Policy, reply: ComposedReply) {
  const window = untilStale(ticket, policy);
  if (window < ATTEMPT_MS) throw HandBack.stale(policy);
  run.record('sending');
  run.enter('sending-reply');
  try {
    return await activities.sendReply.executeWithOptions(
      {
        ...GORGIAS_CALL,
        scheduleToCloseTimeout: window,
        summary: `Email reply to ${ticket.customer?.email ?? 'the customer'}: ${reply.subject}`,
      },
      [{ ticket, reply, ...postRun() }],
    );
  } catch (err) {
    // Once the last attempt's POST has had time to land, whatever became of its answer.
    const found = await activities.findReply
      .executeWithOptions({ ...HAND_BACK_CALL, summary: 'Look once more for our reply' }, [
        ticket.ticketId,
        Date.now(),
      ])
      .catch(() => null);
    if (found) return { status: 'posted' as const, messageId: found.messageId };
    throw err instanceof ActivityFailure && err.cause instanceof TimeoutFailure
      ? HandBack.stale(policy)
      : HandBack.from(err);
  }
}

/**
 * Gorgias sends a posted reply asynchronously: look (after a short timer, then backing off) until it reports
 * the reply sent or failed, or the confirmation window ends. A `ticket-message-failed` delivery looks at once.
 */
async function confirmDelivery(
  run: TicketRun,
  ticketId: number,
  messageId: number,
  policy: Policy,
): Promise<ReplyDelivery> {
  run.enter('confirming-delivery');
  const until = Date.now() + policy.timing.confirm_within_minutes * 60_000;
  let wait = policy.timing.confirm_first_check_seconds * 1000;
  for (;;) {
    const notices = run.messageFailedNotices;
    const left = until - Date.now();
    if (left > 0) await condition(() => run.messageFailedNotices > notices, Math.min(wait, left));
    const delivery = await activities.checkReplyDelivery.executeWithOptions(
      { ...GORGIAS_CALL, summary: 'Has Gorgias sent the reply?' },
      [{ ticketId, messageId }],
    );
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
  // A ticket we already answered got its note then; every other skip is explained to the agents.
  const explain =
    (policy.notes.on_skip || handOff !== null) &&
    reason !== 'already-auto-replied' &&
    reason !== 'handled-before';
  const note = explain
    ? await addNote(run, ticket.ticketId, {
        kind: 'skipped',
        reason,
        detail: handOff?.detail ?? null,
        tag: handOff?.tag ?? null,
      })
    : null;
  return run.finish({
    outcome: 'skipped',
    ticketId: ticket.ticketId,
    reason,
    noteMessageId: note?.messageId ?? null,
  });
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

  static stale(policy: Policy): HandBack {
    return new HandBack(
      'stale',
      `not sent within ${policy.timing.stale_after_minutes} minutes of the ticket's creation`,
    );
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
