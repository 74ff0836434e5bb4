import {
  ActivityFailure,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
  type ActivityOptions,
} from '@temporalio/workflow';
// Type-only: no activity code is bundled into the workflow.
import type { ComposedReply, createActivities, NoteContent, ReplyDelivery, SentReply } from '../activities';
import { GORGIAS_ATTEMPT_MS } from '../gorgias/attempt';
import type { Policy } from '../policy/schema';
import { hasAddressKeyedStores, resolveStore, type StoreResolution } from '../policy/stores';
import { outgoingReply, staleAt, type SkipReason, type TicketFacts } from '../reply/decision';
import { showsStatusLink, type OrderAnswer } from '../reply/orders/branch';
import { acknowledgementClaims } from '../reply/recipient-grants';
import { withinPayloadLimit } from '../temporal/payload-limits';
import { describeError, HandBack, isTicketGone } from './hand-back';
import type { AutoReplyResult } from '../temporal/definitions';
import type { TicketRun } from './ticket-run';

/**
 * The steps of the ticket workflow (ticket.ts), each one activity call with its options: what the sequence reads
 * as a sentence, here with its timeouts, retries and the Web UI's summary of each call.
 */

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
export const HAND_BACK_CALL: ActivityOptions = { ...GORGIAS_CALL, scheduleToCloseTimeout: '10m' };

const activities = proxyActivities<Activities>(GORGIAS_CALL);
// No Gorgias call in these: they run in the workflow's own worker, without a round trip through the task queue.
export const localActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
});

/**
 * The note after a reply went out. If Gorgias refuses it, the ticket is still answered: it is not handed back
 * (agents would be told to answer a ticket the customer already got a reply on); the error is logged.
 */
export async function noteAfterReply(run: TicketRun, note: NoteContent): Promise<number | null> {
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
export async function readTicket(run: TicketRun, policy: Policy): Promise<TicketFacts> {
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
          skipTag: policy.loop_guard.skip_tag,
        },
      },
    ],
  );
  run.read(ticket);
  return ticket;
}

/** The store section the ticket came through (its integration), recorded where operators look. */
export function atStore(run: TicketRun, ticket: TicketFacts, policy: Policy): StoreResolution {
  const store = resolveStore(ticket.lastCustomerMessage, policy);
  run.atStore(store);
  return store;
}

/** An order question on a ticket that carried no orders: the customer is read from Gorgias, once. */
export async function withOrders(run: TicketRun, ticket: TicketFacts, policy: Policy): Promise<TicketFacts> {
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
export async function claimAcknowledgement(
  run: TicketRun,
  ticket: TicketFacts,
  policy: Policy,
): Promise<SkipReason | null> {
  const claims = acknowledgementClaims(ticket, policy.loop_guard);
  if (claims.length === 0) return null;
  const to = ticket.replyTo?.address ?? '';
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

export async function compose(
  ticket: TicketFacts,
  answer: OrderAnswer,
  store: StoreResolution,
): Promise<ComposedReply> {
  try {
    return await localActivities.renderReply({
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
export async function send(
  run: TicketRun,
  ticket: TicketFacts,
  policy: Policy,
  reply: ComposedReply,
): Promise<
  { status: 'posted'; messageId: number } | Extract<SentReply, { status: 'held' }> | { status: 'stale' }
> {
  const window = untilStale(ticket, policy);
  if (window < GORGIAS_ATTEMPT_MS) return { status: 'stale' };
  const outgoing = withinPayloadLimit('the reply to send', outgoingReply(ticket, reply));
  run.record('sending');
  run.enter('sending-reply');
  try {
    return await activities.sendReply.executeWithOptions(
      {
        ...GORGIAS_CALL,
        scheduleToCloseTimeout: window,
        summary: `Email reply to ${ticket.replyTo?.address ?? 'the customer'}: ${reply.subject}`,
      },
      [{ ...outgoing, ...run.postRun() }],
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
export async function confirmDelivery(
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

export function addNote(
  run: TicketRun,
  ticketId: number,
  note: NoteContent,
  options: ActivityOptions = GORGIAS_CALL,
): Promise<{ messageId: number }> {
  run.enter('adding-note');
  return activities.addInternalNote.executeWithOptions(
    { ...options, summary: `Internal note: ${note.kind}` },
    [
      {
        ticketId,
        note: withinPayloadLimit(`the ${note.kind} note`, { ...note, store: run.store }),
        ...run.postRun(),
      },
    ],
  );
}

/** How long the reply may keep retrying: until the acknowledgement would be stale, at most half an hour. */
export function untilStale(ticket: TicketFacts, policy: Policy): number {
  const deadline = staleAt(ticket, policy);
  return deadline === null ? MAX_SEND_MS : Math.min(MAX_SEND_MS, deadline - Date.now());
}

/** A reply not sent on purpose (a dry run, the kill switch): the note shows the agents what it would have said. */
export async function noteUnsent(
  run: TicketRun,
  to: string,
  reply: ComposedReply,
  held: string | null,
): Promise<AutoReplyResult> {
  const note =
    held === null
      ? { kind: 'dry-run' as const, to, reply }
      : { kind: 'held' as const, to, reply, reason: held };
  const { messageId } = await addNote(run, run.ticketId, note);
  return run.finish({ outcome: 'dry-run', ticketId: run.ticketId, noteMessageId: messageId });
}

/**
 * After the POST: whether Gorgias sent the reply, then the note that says so. Sent → `replied`; not known
 * within the window (or not readable) → `unconfirmed`, never failed: the customer may have it. Failed to send
 * → the hand-back.
 */
export async function reportReply(
  run: TicketRun,
  policy: Policy,
  posted: { to: string; reply: ComposedReply; replyMessageId: number },
): Promise<AutoReplyResult> {
  const { replyMessageId } = posted;
  const delivery = await confirmDelivery(run, run.ticketId, replyMessageId, policy);
  if (delivery.state === 'failed') {
    throw new HandBack('send-failed', `Gorgias could not send the reply: ${delivery.error}`, replyMessageId);
  }
  if (delivery.state !== 'sent') {
    const noteMessageId = await noteAfterReply(run, {
      kind: 'unconfirmed',
      ...posted,
      minutes: policy.timing.confirm_within_minutes,
      unreadable: delivery.state === 'unreadable' ? delivery.error : null,
    });
    return run.finish({ outcome: 'unconfirmed', ticketId: run.ticketId, replyMessageId, noteMessageId });
  }
  const { sentAt } = delivery;
  const noteMessageId = await noteAfterReply(run, { kind: 'replied', ...posted, sentAt });
  return run.finish({ outcome: 'replied', ticketId: run.ticketId, replyMessageId, sentAt, noteMessageId });
}

/** Adds a tag, keeping the ticket's others. */
export async function tag(
  run: TicketRun,
  name: string,
  options: ActivityOptions = GORGIAS_CALL,
): Promise<void> {
  await activities.tagTicket.executeWithOptions({ ...options, summary: `Tag the ticket "${name}"` }, [
    { ticketId: run.ticketId, tag: name },
  ]);
}
