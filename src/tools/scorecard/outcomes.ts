import { isServiceReply } from '../../reply/markers';
import { isFromRule, isInternalNote } from '../../reply/facts';
import type { Message, SatisfactionSurvey, Ticket } from '../../gorgias/schemas';

/**
 * What happened to one ticket after it arrived, read from Gorgias: the figures the scorecard compares between
 * the acknowledged and the held-out tickets. Pure. A human answer is a message from our side that is neither
 * ours (the auto-reply), a Rule's, an API integration's, nor an internal note: what the customer waits for.
 */

export interface TicketOutcome {
  ticketId: number;
  createdAt: string;
  channel: string;
  /** Seconds from the ticket's creation to the first human answer; null: none (yet). */
  firstHumanResponseSeconds: number | null;
  /** Seconds from creation to the ticket's (last) close; null: open. */
  resolutionSeconds: number | null;
  /** The customer's messages after their first one and before the first human answer (all, when none came). */
  followUpsBeforeAnswer: number;
  /** The customer wrote again after the first human answer; null without a human answer. */
  reopened: boolean | null;
  /** The score (1 to 5) of the ticket's satisfaction survey, if the customer answered one. */
  satisfaction: number | null;
}

const time = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

/** Who wrote a message, as the scorecard counts it. */
function authorOf(message: Message, ticketId: number): 'customer' | 'human' | 'automation' | 'note' {
  if (isInternalNote(message)) return 'note';
  if (!message.from_agent) return 'customer';
  const ours = isServiceReply(message, ticketId);
  return ours || isFromRule(message) || message.via === 'api' ? 'automation' : 'human';
}

export function ticketOutcome(ticket: Ticket, survey: SatisfactionSurvey | null = null): TicketOutcome {
  const created = time(ticket.created_datetime);
  const messages = ticket.messages
    .filter((m) => Number.isFinite(time(m.created_datetime)))
    .sort((a, b) => time(a.created_datetime) - time(b.created_datetime) || a.id - b.id);
  const firstHuman = messages.find((m) => authorOf(m, ticket.id) === 'human');
  const answeredAt = firstHuman ? time(firstHuman.created_datetime) : Infinity;
  const fromCustomer = messages.filter((m) => authorOf(m, ticket.id) === 'customer');
  const closed = ticket.status === 'closed' ? time(ticket.closed_datetime) : NaN;
  const seconds = (ms: number) => Math.max(0, (ms - created) / 1000);
  return {
    ticketId: ticket.id,
    createdAt: new Date(created).toISOString(),
    channel: ticket.channel ?? 'unknown',
    firstHumanResponseSeconds: firstHuman ? seconds(answeredAt) : null,
    resolutionSeconds: Number.isFinite(closed) ? seconds(closed) : null,
    followUpsBeforeAnswer: fromCustomer.slice(1).filter((m) => time(m.created_datetime) < answeredAt).length,
    reopened: firstHuman ? fromCustomer.some((m) => time(m.created_datetime) > answeredAt) : null,
    satisfaction: survey?.score ?? null,
  };
}
