import { composeReply, renderNote, type ComposedReply } from '../activities/reply-content';
import { ticketFacts } from '../activities/ticket-facts';
import type { GorgiasClient } from '../gorgias/client';
import { decideAutoReply, isDryRun, type Decision, type TicketFacts } from '../workflows/decision';
import type { Policy } from '../policy/schema';

export interface Preview {
  ticket: TicketFacts;
  decision: Decision;
  reply: ComposedReply | null;
  note: string;
}

/** What the policy would do for one ticket, as facts: the decision, the reply and the note. Sends nothing. */
export function previewFacts(ticket: TicketFacts, policy: Policy, now: Date, traceUrl: string): Preview {
  const decision = decideAutoReply(ticket, policy, now.getTime());
  if ('stale' in decision) {
    const error = `not sent within ${policy.timing.stale_after_minutes} minutes of the ticket's creation`;
    const note = renderNote(
      { kind: 'failed', reason: 'stale', error, tag: policy.failure.tag },
      traceUrl,
    ).bodyText;
    return { ticket, decision, reply: null, note };
  }
  if (!decision.reply) {
    return {
      ticket,
      decision,
      reply: null,
      note: renderNote({ kind: 'skipped', reason: decision.reason }, traceUrl).bodyText,
    };
  }
  const reply = composeReply(ticket, policy, now);
  const to = ticket.customer?.email ?? '';
  const note = isDryRun(ticket, policy)
    ? renderNote({ kind: 'dry-run', to, reply }, traceUrl)
    : renderNote({ kind: 'replied', to, sentAt: now.toISOString(), replyMessageId: 0, reply }, traceUrl);
  return { ticket, decision, reply, note: note.bodyText };
}

/** Reads a ticket from Gorgias (or the sandbox) and previews it. */
export async function previewTicket(
  gorgias: Pick<GorgiasClient, 'getTicket'>,
  ticketId: number,
  policy: Policy,
  now: Date,
  traceUrl: string,
): Promise<Preview> {
  return previewFacts(ticketFacts(await gorgias.getTicket(ticketId)), policy, now, traceUrl);
}

export function describeDecision(decision: Decision, policy: Policy, ticket: TicketFacts): string {
  if ('stale' in decision)
    return `no reply: too late (stale after ${policy.timing.stale_after_minutes} min); tag and note`;
  if (!decision.reply) return `skip (${decision.reason})`;
  return isDryRun(ticket, policy) ? 'dry run: note only' : 'reply';
}
