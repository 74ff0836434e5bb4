import type { OrderFacts } from '../orders/branch';
import type { Policy } from '../policy/schema';

/**
 * The auto-reply decision: a pure function of what Gorgias says about the ticket, the policy and the
 * (workflow's deterministic) clock, so it is deterministic by construction and testable without a server.
 */

/** Why mail looks automatic, from the customer's message headers. */
export type AutomatedMailSign = 'auto-submitted' | 'mailing-list' | 'bounce';

/** What the workflow needs to know about a ticket; built from Gorgias's answer by the fetchTicket activity. */
export interface TicketFacts {
  ticketId: number;
  status: string;
  channel: string;
  spam: boolean;
  /** The ticket is in Gorgias's trash (`trashed_datetime` set). */
  trashed: boolean;
  subject: string | null;
  language: string | null;
  createdAt: string | null;
  tags: string[];
  /** The first message came from our side (an agent, a rule or the API), not from the customer. */
  openedByAgent: boolean;
  customer: { id: number | null; email: string | null; firstName: string | null; name: string | null } | null;
  /** Gorgias can send an email reply on this ticket now (`reply_options.email.answerable`). */
  emailAnswerable: boolean;
  /** A person (an agent) has already answered the customer. */
  agentReplied: boolean;
  /** A Gorgias Rule (e.g. its Autoresponder) has already answered the customer. */
  ruleReplied: boolean;
  /** Our own auto-reply is already on the ticket (found by its external_id), and Gorgias has not failed to send it. */
  autoReplyPresent: boolean;
  /** An internal note of ours is on the ticket: a workflow of this ticket has run before. */
  notedBefore?: boolean;
  /** Headers of the customer's latest message say it was sent by a machine. */
  automatedMail: AutomatedMailSign | null;
  /**
   * The customer's latest message: where they wrote to, so the reply goes out from the same address. The
   * reply is sent from the email integration that received it (`integrationId`); `supportAddress` is the
   * best guess from its recipients when that integration is unknown.
   */
  lastCustomerMessage: {
    id: number;
    integrationId: number | null;
    /** The integration's own address, read only when store sections are keyed by address. */
    integrationAddress?: string | null;
    supportAddress: { address: string; name: string | null } | null;
    subject: string | null;
  } | null;
  /** The customer's latest message asks about an order (the policy's keywords, or Gorgias's intents). */
  orderQuestion: boolean;
  /** Numbers in that message that may name an order ("#1042"). */
  mentionedOrders: string[];
  /** The customer's Shopify orders, most recent first; null when the ticket carried none (read the customer). */
  orders: OrderFacts[] | null;
}

export type SkipReason =
  | 'already-auto-replied'
  /** A later run found an earlier one's notes, that earlier workflow gone (retention): said once, not again. */
  | 'handled-before'
  | 'spam'
  | 'trashed'
  | 'closed'
  | 'outside-channel'
  | 'opened-by-agent'
  | 'agent-replied-first'
  | 'rule-replied-first'
  | 'skip-tag'
  | 'no-customer-email'
  | 'no-reply-sender'
  | AutomatedMailSign
  | 'blocked-sender'
  | 'not-answerable-by-email'
  | 'cooldown'
  /** The order the customer asks about is late (not shipped past `orders.preparing.within_days`): for a human. */
  | 'order-delayed'
  /** Held out of the acknowledgement by the policy's experiment (`experiment.holdout_percent`): nothing is written. */
  | 'holdout';

export type Decision = { reply: true } | { reply: false; reason: SkipReason } | { reply: false; stale: true };

export function isAutomatedAddress(email: string, automatedSenders: readonly string[]): boolean {
  const localPart = (email.trim().split('@')[0] ?? '').toLowerCase();
  return automatedSenders.some((sender) => {
    const s = sender.toLowerCase();
    return (
      localPart === s ||
      localPart.startsWith(`${s}+`) ||
      localPart.startsWith(`${s}-`) ||
      localPart.startsWith(`${s}.`)
    );
  });
}

export function isBlockedAddress(email: string, guard: Policy['loop_guard']): boolean {
  const address = email.trim().toLowerCase();
  const domain = address.split('@')[1] ?? '';
  return (
    guard.blocked_addresses.some((a) => a.toLowerCase() === address) ||
    guard.blocked_domains.some((d) => domain === d.toLowerCase() || domain.endsWith(`.${d.toLowerCase()}`))
  );
}

/** Whether this ticket's channel only gets a "would have replied" note: per channel, else the policy's flag. */
export function isDryRun(ticket: TicketFacts, policy: Policy): boolean {
  return policy.channels[ticket.channel]?.dry_run ?? policy.dry_run;
}

/** When an acknowledgement for this ticket stops being worth sending (ms since epoch), if known. */
export function staleAt(ticket: TicketFacts, policy: Policy): number | null {
  // createdAt is normalised to UTC by the Gorgias reader (an offset-less Gorgias datetime means UTC).
  const created = ticket.createdAt ? Date.parse(ticket.createdAt) : NaN;
  return Number.isFinite(created) ? created + policy.timing.stale_after_minutes * 60_000 : null;
}

/** Everything but the per-customer cooldown, which needs a look at other tickets (see the workflow). */
export function decideAutoReply(ticket: TicketFacts, policy: Policy, now: number): Decision {
  const skip = (reason: SkipReason): Decision => ({ reply: false, reason });
  const guard = policy.loop_guard;
  if (ticket.autoReplyPresent) return skip('already-auto-replied');
  if (ticket.trashed) return skip('trashed');
  if (ticket.spam) return skip('spam');
  if (ticket.status === 'closed') return skip('closed');
  if (!(ticket.channel in policy.channels)) return skip('outside-channel');
  if (ticket.openedByAgent) return skip('opened-by-agent');
  if (ticket.agentReplied) return skip('agent-replied-first');
  if (ticket.ruleReplied) return skip('rule-replied-first');
  if (guard.skip_tag && ticket.tags.includes(guard.skip_tag)) return skip('skip-tag');
  const email = ticket.customer?.email;
  if (!email) return skip('no-customer-email');
  if (guard.enabled && isAutomatedAddress(email, guard.automated_senders)) return skip('no-reply-sender');
  if (guard.enabled && ticket.automatedMail) return skip(ticket.automatedMail);
  if (isBlockedAddress(email, guard)) return skip('blocked-sender');
  const received = ticket.lastCustomerMessage;
  if (!ticket.emailAnswerable || (!received?.integrationId && !received?.supportAddress))
    return skip('not-answerable-by-email');
  const deadline = staleAt(ticket, policy);
  if (deadline !== null && now >= deadline) return { reply: false, stale: true };
  return { reply: true };
}
