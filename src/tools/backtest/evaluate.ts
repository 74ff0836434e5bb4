import { composeReply } from '../../reply/content';
import { isServiceReply } from '../../reply/markers';
import { isFromRule, isInternalNote, readingUnder, ticketFacts } from '../../reply/facts';
import type { ShopifyOrder, Ticket } from '../../gorgias/schemas';
import { orderAnswer, type OrderBranch } from '../../reply/orders/branch';
import { customerOrderMatch } from '../../reply/orders/facts';
import type { Policy } from '../../policy/schema';
import { resolveStore } from '../../policy/stores';
import { decideAutoReply, isDryRun, type SkipReason } from '../../reply/decision';
import {
  acknowledgementClaims,
  claimGrant,
  type Grant,
  type RecipientClaim,
} from '../../reply/recipient-grants';
import { experimentArm } from '../../reply/holdout';

/**
 * What the policy would have done with one past ticket, decided as the workflow would have at the time
 * (its creation, plus `timing.delay_seconds`), next to what really happened. Pure: the tickets (and the
 * customers' orders, for order questions on tickets that lacked them) are read beforehand.
 */

/**
 * How long after its decision an auto-reply reaches the customer in the backtest's model: the webhook, the
 * workflow, the POST and Gorgias's own sending. An answer from our side within it is not seen by the decision
 * and beats the auto-reply: that auto-reply is counted as stale.
 */
export const AUTO_REPLY_SECONDS = 10;

export type BacktestOutcome = 'replied' | 'dry-run' | 'skipped' | 'failed';

export interface TicketVerdict {
  ticketId: number;
  createdAt: string;
  /** The store section the ticket resolves to (`default`: the top level). */
  store: string;
  outcome: BacktestOutcome;
  /** Why it was skipped or failed; null when answered (or dry run). */
  reason: string | null;
  /** The order branch of an answered order question (null: the plain acknowledgement). */
  branch: OrderBranch | null;
  template: string | null;
  /** Answered while the store was closed (its business hours). */
  outsideHours: boolean;
  /** When the auto-reply would have reached the customer. */
  replyAt: string | null;
  /** The hour of day of the decision, in the store's timezone (UTC without business hours). */
  hour: number;
  /** Really: the first answer from our side, by an agent or a Gorgias Rule, and how many seconds after creation. */
  firstResponse: { by: 'agent' | 'rule'; at: string; afterSeconds: number } | null;
  /** The auto-reply would have reached the customer before that first answer. */
  covered: boolean;
  /** The auto-reply would have arrived after that first answer (the answer came between decision and send). */
  stale: boolean;
}

/**
 * The customer's orders read from Gorgias, by customer id, for order questions on tickets that lacked them
 * (null: Gorgias has no Shopify order data on the customer; undefined: not read).
 */
export type CustomerOrders = (customerId: number) => ShopifyOrder[] | null | undefined;

const time = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

/** The first message from our side after the customer's first: an agent's or a Rule's, never ours or a note. */
export function firstResponseOf(ticket: Ticket): TicketVerdict['firstResponse'] {
  const created = time(ticket.created_datetime);
  const first = ticket.messages
    .filter(
      (m) =>
        m.from_agent &&
        !isInternalNote(m) &&
        !isServiceReply(m, ticket.id) &&
        Number.isFinite(time(m.created_datetime)),
    )
    .sort((a, b) => time(a.created_datetime) - time(b.created_datetime))[0];
  if (!first || !first.created_datetime) return null;
  const by = isFromRule(first) ? 'rule' : 'agent';
  return { by, at: first.created_datetime, afterSeconds: (time(first.created_datetime) - created) / 1000 };
}

/** The customer's Shopify orders as they stood at `at`: placed by then, with the shipments made by then. */
export function ordersAsOf(orders: readonly ShopifyOrder[], at: number): ShopifyOrder[] {
  return orders
    .filter((o) => !(time(o.created_at) > at))
    .map((o) => ({
      ...o,
      cancelled_at: time(o.cancelled_at) > at ? null : o.cancelled_at,
      fulfillments: o.fulfillments.filter((f) => !(time(f.created_at) > at)),
    }));
}

/**
 * The ticket as the workflow would have read it at `at`: the messages created by then, still open (a later
 * close is not known then), the orders as they stood. Spam, trash and tags are as they are now: Gorgias keeps
 * no history of them we can read cheaply (a tag added later by an agent is taken as there from the start).
 */
export function ticketAsOf(ticket: Ticket, at: number): Ticket {
  const customer = ticket.customer
    ? {
        ...ticket.customer,
        shopifyOrders: ticket.customer.shopifyOrders && ordersAsOf(ticket.customer.shopifyOrders, at),
      }
    : null;
  return {
    ...ticket,
    status: 'open',
    customer,
    messages: ticket.messages.filter((m) => !(time(m.created_datetime) > at)),
  };
}

/** Whether the ticket asks about an order it does not carry the orders of (its customer must then be read). */
export function needsCustomerOrders(ticket: Ticket, policy: Policy): boolean {
  const at = time(ticket.created_datetime) + policy.timing.delay_seconds * 1000;
  const facts = ticketFacts(ticketAsOf(ticket, at), policy.orders);
  return facts.orderQuestion !== null && 'lookFor' in facts.orderQuestion && facts.customer?.id != null;
}

/**
 * Runs the policy over past tickets, oldest first (the per-customer cooldown and the per-domain limit depend on the
 * order): what each would have got, and what really happened.
 */
export function evaluateTickets(
  tickets: readonly Ticket[],
  policy: Policy,
  customerOrders: CustomerOrders = () => undefined,
): TicketVerdict[] {
  const sorted = [...tickets].sort(
    (a, b) => time(a.created_datetime) - time(b.created_datetime) || a.id - b.id,
  );
  const grants = new Map<string, Grant[]>();
  return sorted.map((ticket) => {
    const verdict = evaluateTicket(ticket, policy, customerOrders, grants);
    return verdict;
  });
}

function evaluateTicket(
  ticket: Ticket,
  topLevel: Policy,
  customerOrders: CustomerOrders,
  grants: Map<string, Grant[]>,
): TicketVerdict {
  const created = time(ticket.created_datetime);
  const at = created + topLevel.timing.delay_seconds * 1000;
  const reading = readingUnder(topLevel);
  const facts = ticketFacts(ticketAsOf(ticket, at), topLevel.orders, reading);
  // The backtest reads no integrations: the one that received the message is taken to answer from its address.
  const received = facts.lastCustomerMessage;
  if (!facts.replyFrom && received?.integrationId) {
    const integrationId = received.integrationId;
    facts.replyFrom = { address: `integration ${integrationId}`, name: null, integrationId };
  }
  const store = resolveStore(received, topLevel);
  const policy = store.policy;
  const firstResponse = firstResponseOf(ticket);
  const zone = policy.business_hours?.timezone ?? 'UTC';
  const base: TicketVerdict = {
    ticketId: ticket.id,
    createdAt: new Date(created).toISOString(),
    store: store.name,
    outcome: 'skipped',
    reason: null,
    branch: null,
    template: null,
    outsideHours: false,
    replyAt: null,
    hour: hourIn(at, zone),
    firstResponse,
    covered: false,
    stale: false,
  };
  const decision = decideAutoReply(facts, policy, at);
  if (!decision.reply) return { ...base, reason: decision.reason };
  const question = facts.orderQuestion;
  if (question && 'lookFor' in question && facts.customer?.id != null) {
    const orders = customerOrders(facts.customer.id);
    const asOf = orders ? ordersAsOf(orders, at) : null;
    facts.orderQuestion = { match: customerOrderMatch(asOf, question.lookFor, reading.keepStatusLink) };
  }
  const answer = orderAnswer(facts, policy.orders, at);
  if (answer.branch === 'delayed') return { ...base, reason: 'order-delayed', branch: 'delayed' };
  if (experimentArm(facts, policy) === 'holdout') return { ...base, reason: 'holdout' };
  let reply;
  try {
    reply = composeReply(facts, policy, new Date(at), { answer, language: store.language });
  } catch {
    return { ...base, outcome: 'failed', reason: 'template-error' };
  }
  const answered = {
    ...base,
    branch: answer.branch,
    template: reply.template,
    outsideHours: reply.outsideHours === true,
  };
  if (isDryRun(facts, policy)) return { ...answered, outcome: 'dry-run' };
  const claims = acknowledgementClaims(facts, policy.loop_guard);
  const denied = claimReply(grants, ticket.id, claims, at);
  if (denied) return { ...base, reason: denied };
  const replyAt = at + AUTO_REPLY_SECONDS * 1000;
  const answeredAt = firstResponse ? time(firstResponse.at) : NaN;
  return {
    ...answered,
    outcome: 'replied',
    replyAt: new Date(replyAt).toISOString(),
    covered: Number.isFinite(answeredAt) && replyAt < answeredAt,
    stale: Number.isFinite(answeredAt) && answeredAt <= replyAt,
  };
}

/**
 * The workflow's claim right before its send, on grants kept here per recipient as the recipients' workflows keep
 * them: null when granted, else the skip reason.
 */
function claimReply(
  grants: Map<string, Grant[]>,
  ticketId: number,
  claims: RecipientClaim[],
  at: number,
): SkipReason | null {
  for (const claim of claims) {
    const key = `${claim.recipient.kind}:${claim.recipient.name}`;
    const claimed = claimGrant(grants.get(key) ?? [], ticketId, claim, at);
    grants.set(key, claimed.grants);
    if (!claimed.answer.granted) return claim.deniedAs;
  }
  return null;
}

function hourIn(ms: number, zone: string): number {
  const hour = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: 'numeric', hourCycle: 'h23' }).format(
    ms,
  );
  return Number(hour) % 24;
}
