import { isAnswerable, type Address, type Message, type Ticket } from '../gorgias/schemas';
import { isOrderQuestion, mentionedOrderNumbers, orderFacts } from '../orders/facts';
import type { OrderPolicy } from '../policy/schema';
import type { AutomatedMailSign, TicketFacts } from '../workflows/decision';

/**
 * Markers (`external_id`) on the messages we post, so a retry, a reset or a new run finds what was already
 * posted. One reply per ticket, ever; notes are marked per kind and per workflow run, so a "replied" note is
 * never mistaken for an earlier run's "failed" one, and a ticket gets at most one note of each kind.
 */
export const externalIds = {
  reply: (ticketId: number) => `gorgias-autoreply:reply:${ticketId}`,
  note: (ticketId: number, kind: string, runId: string) => `${notePrefix(ticketId, kind)}${runId}`,
};
export const notePrefix = (ticketId: number, kind: string) => `gorgias-autoreply:note:${ticketId}:${kind}:`;

/** Gorgias's own forwarding addresses (`…@email.gorgias.com`) are never the address a reply is sent from. */
export function isGorgiasForwardingAddress(address: string): boolean {
  const domain = address.trim().toLowerCase().split('@')[1] ?? '';
  return domain === 'gorgias.com' || domain.endsWith('.gorgias.com') || domain.endsWith('.gorgias.io');
}

/**
 * The support address a customer's message was sent to, when its email integration is not known: the first
 * of its To, then Cc, addresses that is not a Gorgias forwarding address (nor the customer's own).
 */
function supportAddressOf(message: Message, customerEmail: string | null): Address | null {
  const candidates = [...(message.source?.to ?? []), ...(message.source?.cc ?? [])];
  const receiver = message.receiver?.email
    ? [{ address: message.receiver.email, name: message.receiver.name }]
    : [];
  const own = customerEmail?.trim().toLowerCase();
  return (
    [...candidates, ...receiver].find(
      (a) => !isGorgiasForwardingAddress(a.address) && a.address.trim().toLowerCase() !== own,
    ) ?? null
  );
}

const isInternalNote = (m: Message) => m.channel === 'internal-note';
const isFromRule = (m: Message) => (m.rule_id ?? null) !== null || m.via === 'rule';

/** Reads the signs of machine-sent mail in a message's headers (when Gorgias exposes them). */
export function automatedMailSign(headers: Message['headers'] | undefined): AutomatedMailSign | null {
  if (!headers) return null;
  const get = (name: string) => {
    const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
    return entry === undefined ? undefined : String(entry[1]).trim().toLowerCase();
  };
  const contentType = get('content-type') ?? '';
  if (contentType.includes('multipart/report') && contentType.includes('delivery-status')) return 'bounce';
  const autoSubmitted = get('auto-submitted');
  if (
    (autoSubmitted !== undefined && autoSubmitted !== 'no') ||
    get('x-autoreply') !== undefined ||
    get('x-autorespond') !== undefined
  ) {
    return 'auto-submitted';
  }
  if (['bulk', 'list', 'junk'].includes(get('precedence') ?? '') || get('list-unsubscribe') !== undefined)
    return 'mailing-list';
  return null;
}

const ORDERS_OFF = { enabled: false } as OrderPolicy;

/**
 * Reduces Gorgias's ticket to the facts the decision needs: small, and free of message bodies (what the
 * customer wrote is read here for the order question and the order numbers it names, and left here).
 */
export function ticketFacts(ticket: Ticket, orders: OrderPolicy = ORDERS_OFF): TicketFacts {
  const messages = ticket.messages;
  const ourReply = externalIds.reply(ticket.id);
  const outgoing = messages.filter((m) => m.from_agent && !isInternalNote(m));
  const fromCustomer = messages.filter((m) => !m.from_agent && !isInternalNote(m));
  const last = fromCustomer.at(-1);
  const customer = ticket.customer;
  const supportAddress = last ? supportAddressOf(last, customer?.email ?? null) : null;
  return {
    ticketId: ticket.id,
    status: ticket.status ?? 'open',
    channel: ticket.channel ?? 'unknown',
    spam: ticket.spam === true,
    trashed: ticket.trashed_datetime !== null,
    subject: ticket.subject ?? null,
    language: ticket.language ?? null,
    createdAt: ticket.created_datetime ?? null,
    tags: (ticket.tags ?? []).map((t) => t.name),
    openedByAgent: ticket.from_agent ?? messages[0]?.from_agent ?? false,
    customer: customer
      ? {
          id: customer.id,
          email: customer.email?.trim() || null,
          firstName: customer.firstname?.trim() || customer.name?.trim().split(/\s+/)[0] || null,
          name: customer.name ?? null,
        }
      : null,
    emailAnswerable: isAnswerable(ticket, 'email'),
    agentReplied: outgoing.some((m) => m.external_id !== ourReply && !isFromRule(m)),
    ruleReplied: outgoing.some(isFromRule),
    autoReplyPresent: outgoing.some((m) => m.external_id === ourReply),
    automatedMail: automatedMailSign(last?.headers),
    ...orderFactsOf(ticket, last, orders),
    lastCustomerMessage: last
      ? {
          id: last.id,
          integrationId: last.integration_id ?? null,
          supportAddress: supportAddress
            ? { address: supportAddress.address, name: supportAddress.name ?? null }
            : null,
          subject: last.subject ?? null,
        }
      : null,
  };
}

/**
 * What the customer's latest message says about orders, and, for an order question, the orders the ticket
 * carries (null when it carries none: the workflow then reads the customer once).
 */
function orderFactsOf(
  ticket: Ticket,
  last: Message | undefined,
  orders: OrderPolicy,
): Pick<TicketFacts, 'orderQuestion' | 'mentionedOrders' | 'orders'> {
  const none = { orderQuestion: false, mentionedOrders: [], orders: null };
  if (!last || !orders.enabled) return none;
  const text = last.stripped_text ?? last.body_text;
  const subject = last.subject ?? ticket.subject;
  if (!isOrderQuestion({ subject, text, intents: last.intents }, orders)) return none;
  const shopifyOrders = ticket.customer?.shopifyOrders ?? null;
  return {
    orderQuestion: true,
    mentionedOrders: mentionedOrderNumbers(`${subject ?? ''}\n${text ?? ''}`),
    orders: shopifyOrders === null ? null : orderFacts(shopifyOrders),
  };
}
