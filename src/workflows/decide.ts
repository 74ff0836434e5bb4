/**
 * The auto-reply decision: a pure function of what Gorgias says about the ticket, so it is deterministic
 * by construction and testable without a server.
 */

/** What the workflow needs to know about a ticket; built from Gorgias's answer by the fetchTicket activity. */
export interface TicketFacts {
  ticketId: number;
  status: string;
  channel: string;
  spam: boolean;
  subject: string | null;
  language: string | null;
  /** The first message came from our side (an agent, a rule or the API), not from the customer. */
  openedByAgent: boolean;
  customer: { id: number; email: string | null; firstName: string | null; name: string | null } | null;
  /** Gorgias can send an email reply on this ticket now (`reply_options.email.answerable`). */
  emailAnswerable: boolean;
  /** An agent, a rule or another integration has already answered the customer. */
  agentReplied: boolean;
  /** Our own auto-reply is already on the ticket (found by its external_id). */
  autoReplyPresent: boolean;
  /** The customer's latest message: where they wrote to, so the reply goes out from the same address. */
  lastCustomerMessage: {
    id: number;
    integrationId: number | null;
    supportAddress: { address: string; name: string | null } | null;
    subject: string | null;
  } | null;
}

export type SkipReason =
  | 'spam'
  | 'closed'
  | 'opened-by-agent'
  | 'agent-replied-first'
  | 'already-auto-replied'
  | 'no-customer-email'
  | 'no-reply-sender'
  | 'not-answerable-by-email';

export type Decision = { reply: true } | { reply: false; reason: SkipReason };

/** Local parts of automatic senders: answering them risks a mail loop and reaches nobody. */
const AUTOMATED_LOCAL_PART =
  /^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?)([-+_.].*)?$/i;

export function isAutomatedAddress(email: string): boolean {
  const localPart = email.trim().split('@')[0] ?? '';
  return AUTOMATED_LOCAL_PART.test(localPart);
}

export function decideAutoReply(ticket: TicketFacts): Decision {
  if (ticket.autoReplyPresent) return { reply: false, reason: 'already-auto-replied' };
  if (ticket.spam) return { reply: false, reason: 'spam' };
  if (ticket.status === 'closed') return { reply: false, reason: 'closed' };
  if (ticket.openedByAgent) return { reply: false, reason: 'opened-by-agent' };
  if (ticket.agentReplied) return { reply: false, reason: 'agent-replied-first' };
  const email = ticket.customer?.email;
  if (!email) return { reply: false, reason: 'no-customer-email' };
  if (isAutomatedAddress(email)) return { reply: false, reason: 'no-reply-sender' };
  if (!ticket.emailAnswerable || !ticket.lastCustomerMessage?.supportAddress) {
    return { reply: false, reason: 'not-answerable-by-email' };
  }
  return { reply: true };
}
