import { composeReply, renderNote, type ComposedReply } from '../../reply/content';
import { readingUnder, replySender, ticketFacts } from '../../reply/facts';
import type { GorgiasClient } from '../../gorgias/client';
import { orderAnswer, type OrderAnswer } from '../../reply/orders/branch';
import { customerOrderMatch } from '../../reply/orders/facts';
import {
  decideAutoReply,
  isDryRun,
  isSkipNoted,
  recipientOf,
  type Decision,
  type TicketFacts,
} from '../../reply/decision';
import type { Policy } from '../../policy/schema';
import { resolveStore, type StoreResolution } from '../../policy/stores';

export interface Preview {
  ticket: TicketFacts;
  store: StoreResolution;
  decision: Decision;
  /** The order branch, once the policy decided to answer. */
  answer: OrderAnswer | null;
  reply: ComposedReply | null;
  /** The internal note the service would write; null when it writes none. */
  note: string | null;
}

/**
 * What the policy would do for one ticket, as facts: its store, the decision, the order branch, the reply and
 * the note, as the workflow would produce them (the cooldown aside). Sends nothing.
 */
export function previewFacts(ticket: TicketFacts, policy: Policy, now: Date, traceUrl: string): Preview {
  const store = resolveStore(ticket.lastCustomerMessage, policy);
  const storeNote = { name: store.name, matchedBy: store.matchedBy };
  const effective = store.policy;
  const decision = decideAutoReply(ticket, effective, now.getTime());
  const base = { ticket, store, decision, answer: null, reply: null };
  if (!decision.reply) {
    if (!isSkipNoted(decision.reason, effective)) return { ...base, note: null };
    const note = renderNote({ kind: 'skipped', reason: decision.reason, store: storeNote }, traceUrl);
    return { ...base, note: note.bodyText };
  }
  const answer = orderAnswer(ticket, effective.orders, now.getTime());
  if (answer.branch === 'delayed') {
    const tag = effective.orders.delayed.tag;
    const note = renderNote(
      { kind: 'skipped', reason: 'order-delayed', detail: answer.detail, tag, store: storeNote },
      traceUrl,
    );
    return { ...base, answer, note: note.bodyText };
  }
  const reply = composeReply(ticket, effective, now, { answer, language: store.language });
  const to = recipientOf(ticket);
  const note = isDryRun(ticket, effective)
    ? renderNote({ kind: 'dry-run', to, reply, store: storeNote }, traceUrl)
    : renderNote(
        { kind: 'replied', to, sentAt: now.toISOString(), replyMessageId: 0, reply, store: storeNote },
        traceUrl,
      );
  return { ...base, answer, reply, note: note.bodyText };
}

/**
 * Reads a ticket from Gorgias (or the sandbox) and previews it: the customer is read too when the ticket asks
 * about an order and carries none, as the workflow does; the integration when stores are keyed by address.
 */
export async function previewTicket(
  gorgias: Pick<GorgiasClient, 'getTicket' | 'getCustomer' | 'getIntegration'>,
  ticketId: number,
  policy: Policy,
  now: Date,
  traceUrl: string,
): Promise<Preview> {
  const reading = readingUnder(policy);
  const facts = ticketFacts(await gorgias.getTicket(ticketId), policy.orders, reading);
  // The integration that received the message: the reply's From, and the address stores may be keyed by.
  const received = facts.lastCustomerMessage;
  if (received?.integrationId) {
    const integration = await gorgias.getIntegration(received.integrationId).catch(() => null);
    const address = integration?.deactivated_datetime ? null : integration?.meta?.address?.trim() || null;
    received.integrationAddress = address;
    const from = address ? { address, name: integration?.name ?? null } : null;
    facts.replyFrom = replySender(received, from, null);
  }
  const question = facts.orderQuestion;
  if (question && 'lookFor' in question && facts.customer?.id) {
    const customer = await gorgias.getCustomer(facts.customer.id).catch(() => null);
    const match = customerOrderMatch(
      customer?.shopifyOrders ?? null,
      question.lookFor,
      reading.keepStatusLink,
    );
    facts.orderQuestion = { match };
  }
  return previewFacts(facts, policy, now, traceUrl);
}

export function describeDecision(
  decision: Decision,
  policy: Policy,
  ticket: TicketFacts,
  answer: OrderAnswer | null = null,
): string {
  if (!decision.reply) {
    const written = isSkipNoted(decision.reason, policy) ? '; note' : '; nothing written';
    const stale = decision.reason === 'stale' ? `, older than ${policy.timing.stale_after_minutes} min` : '';
    return `skip (${decision.reason}${stale})${written}`;
  }
  if (answer?.branch === 'delayed')
    return `no reply: order late (order-delayed); tag "${policy.orders.delayed.tag}" and note`;
  const branch = answer?.branch ? ` [order: ${answer.branch}]` : '';
  return `${isDryRun(ticket, policy) ? 'dry run: note only' : 'reply'}${branch}`;
}
