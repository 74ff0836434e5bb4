import type { Message, Ticket } from '../gorgias/schemas';
import type { TicketFacts } from '../workflows/decide';

/** Markers on the messages we post, so a retried activity can find what an earlier attempt already posted. */
export const externalIds = {
  reply: (ticketId: number) => `gorgias-autoreply:reply:${ticketId}`,
  note: (ticketId: number) => `gorgias-autoreply:note:${ticketId}`,
};

const isInternalNote = (m: Message) => m.channel === 'internal-note';

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
    agentReplied: outgoing.some((m) => m.external_id !== ourReply),
    autoReplyPresent: outgoing.some((m) => m.external_id === ourReply),
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
