import type { Message, Ticket } from '../gorgias/schemas';
import type { AutomatedMailSign, TicketFacts } from '../workflows/decide';

/** Markers on the messages we post, so a retried activity can find what an earlier attempt already posted. */
export const externalIds = {
  reply: (ticketId: number) => `gorgias-autoreply:reply:${ticketId}`,
  note: (ticketId: number) => `gorgias-autoreply:note:${ticketId}`,
};

const isInternalNote = (m: Message) => m.channel === 'internal-note';
const isFromRule = (m: Message) => (m.rule_id ?? null) !== null || m.via === 'rule';

/** Reads the signs of machine-sent mail in a message's headers (when Gorgias exposes them). */
export function automatedMailSign(headers: Message['headers']): AutomatedMailSign | null {
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

/** Reduces Gorgias's ticket to the facts the decision needs: small, and free of message bodies. */
export function ticketFacts(ticket: Ticket): TicketFacts {
  const messages = ticket.messages;
  const ourReply = externalIds.reply(ticket.id);
  const outgoing = messages.filter((m) => m.from_agent && !isInternalNote(m));
  const fromCustomer = messages.filter((m) => !m.from_agent && !isInternalNote(m));
  const last = fromCustomer.at(-1);
  const supportAddress = last?.source?.to?.[0];
  const customer = ticket.customer;
  return {
    ticketId: ticket.id,
    status: ticket.status,
    channel: ticket.channel,
    spam: ticket.spam === true,
    subject: ticket.subject ?? null,
    language: ticket.language ?? null,
    createdAt: ticket.created_datetime ?? null,
    tags: (ticket.tags ?? []).map((t) => t.name),
    openedByAgent: ticket.from_agent ?? messages[0]?.from_agent ?? false,
    customer: customer
      ? {
          id: customer.id,
          email: customer.email ?? null,
          firstName: customer.firstname || customer.name?.trim().split(/\s+/)[0] || null,
          name: customer.name ?? null,
        }
      : null,
    emailAnswerable: ticket.reply_options?.email?.answerable === true,
    agentReplied: outgoing.some((m) => m.external_id !== ourReply && !isFromRule(m)),
    ruleReplied: outgoing.some(isFromRule),
    autoReplyPresent: outgoing.some((m) => m.external_id === ourReply),
    automatedMail: automatedMailSign(last?.headers),
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
