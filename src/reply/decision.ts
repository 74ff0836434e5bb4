import type { OrderQuestion } from './orders/branch';
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
  /**
   * Another deployment of the service on this account (a staging, say) has replied, and Gorgias has not failed
   * to send it: the customer has their acknowledgement. Absent in facts recorded before deployments.
   */
  otherDeploymentReplied?: boolean;
  /** An internal note of ours (this deployment's) is on the ticket: a workflow of this ticket has run before. */
  notedBefore?: boolean;
  /** Headers of the customer's latest message say it was sent by a machine. */
  automatedMail: AutomatedMailSign | null;
  /**
   * The customer's latest message: where they wrote to (the email integration that received it, and the
   * best guess from its recipients), for the store it belongs to and the reply's From.
   */
  lastCustomerMessage: {
    id: number;
    integrationId: number | null;
    /** The integration's own address, read only when store sections are keyed by address. */
    integrationAddress?: string | null;
    supportAddress: { address: string; name: string | null } | null;
    subject: string | null;
  } | null;
  /** Who the reply goes to (see replyRecipient); null: the customer has no email address. */
  replyTo: ReplyRecipient | null;
  /** Where the reply comes from (see replySender); null: no address to answer from. */
  replyFrom: ReplySender | null;
  /**
   * The customer's latest message asks about an order (the policy's keywords, or Gorgias's intents): the one
   * order of theirs it is about (or why none), or what to look for once their orders are read. Null: it does
   * not (or order replies are off).
   */
  orderQuestion: OrderQuestion | null;
}

/** The address a reply goes to. */
export interface ReplyRecipient {
  address: string;
  name: string | null;
  /** The customer's latest message came from this address, which is not their main one. */
  lastMessage: boolean;
}

/** The address a reply is sent from, and the email integration it goes through (null: none named). */
export interface ReplySender {
  address: string;
  name: string | null;
  integrationId: number | null;
}

export type SkipReason =
  /** Older than the staleness window when looked at (or the send could not go out before it): not owed any more. */
  | 'stale'
  /** The ticket answers 404: deleted, or merged into another ticket. */
  | 'gone'
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
  /** Another deployment of the service on this account already replied (see otherDeploymentReplied). */
  | 'other-deployment-replied'
  | 'skip-tag'
  | 'no-customer-email'
  | 'no-reply-sender'
  | AutomatedMailSign
  | 'blocked-sender'
  | 'not-answerable-by-email'
  /** No address to send the reply from: the integration has none, nothing is configured or guessed. */
  | 'no-reply-address'
  | 'cooldown'
  /** The recipient's mail domain had its `loop_guard.per_domain` acknowledgements in the window. */
  | 'recipient-domain-limit'
  /** The order the customer asks about is late (not shipped past `orders.preparing.within_days`): for a human. */
  | 'order-delayed'
  /** Held out of the acknowledgement by the policy's experiment (`experiment.holdout_percent`): nothing is written. */
  | 'holdout';

export type Decision = { reply: true } | { reply: false; reason: SkipReason };

/**
 * Skip reasons that get a note when `notes.on_skip` is on: where an agent would otherwise wonder why the customer
 * got no acknowledgement. Tickets the agents already see as handled, not due, or gone (spam, closed, another
 * channel, answered, stale…) get nothing; a late order (order-delayed) always gets its note and tag.
 */
const NOTED_SKIPS: ReadonlySet<SkipReason> = new Set<SkipReason>([
  'no-customer-email',
  'no-reply-sender',
  'auto-submitted',
  'mailing-list',
  'bounce',
  'blocked-sender',
  'not-answerable-by-email',
  'no-reply-address',
  'cooldown',
  'recipient-domain-limit',
]);

/** Whether a skip is explained to the agents in an internal note. */
export function isSkipNoted(reason: SkipReason, policy: Policy): boolean {
  return reason === 'order-delayed' || (policy.notes.on_skip && NOTED_SKIPS.has(reason));
}

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

/** Where the reply goes, as the notes say it: the address, and why when it is not the customer's main one. */
export function recipientOf(ticket: TicketFacts): string {
  const to = ticket.replyTo;
  if (!to) return 'nobody (no address)';
  return to.lastMessage ? `${to.address} (the address of their latest message)` : to.address;
}

/** The reply as its POST needs it, and nothing more: the ticket, the addresses, the customer, the text. */
export interface OutgoingReply {
  ticketId: number;
  to: { address: string; name: string | null };
  from: ReplySender;
  /** The customer's Gorgias id (the message's receiver); null: the receiver is named by the To address. */
  receiverId: number | null;
  subject: string;
  bodyText: string;
  bodyHtml: string;
}

/** The sendReply input for a ticket the decision said to answer (so its To and From are known). */
export function outgoingReply(
  ticket: TicketFacts,
  reply: { subject: string; bodyText: string; bodyHtml: string },
): OutgoingReply {
  const { replyTo: to, replyFrom: from } = ticket;
  if (!to || !from) throw new Error(`ticket ${ticket.ticketId}: a reply without its To or From address`);
  return {
    ticketId: ticket.ticketId,
    to: { address: to.address, name: to.name },
    from,
    receiverId: ticket.customer?.id ?? null,
    subject: reply.subject,
    bodyText: reply.bodyText,
    bodyHtml: reply.bodyHtml,
  };
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
  if (ticket.otherDeploymentReplied) return skip('other-deployment-replied');
  if (guard.skip_tag && ticket.tags.includes(guard.skip_tag)) return skip('skip-tag');
  // Before the reasons a note may explain: nothing is owed on an old ticket, so nothing is said on it either.
  const deadline = staleAt(ticket, policy);
  if (deadline !== null && now >= deadline) return skip('stale');
  const to = ticket.replyTo?.address;
  if (!to) return skip('no-customer-email');
  // The address answered, and the customer's main one: a blocked or automatic sender stays one.
  const addresses = [to, ticket.customer?.email].filter((a): a is string => !!a);
  if (guard.enabled && addresses.some((a) => isAutomatedAddress(a, guard.automated_senders)))
    return skip('no-reply-sender');
  if (guard.enabled && ticket.automatedMail) return skip(ticket.automatedMail);
  if (addresses.some((a) => isBlockedAddress(a, guard))) return skip('blocked-sender');
  if (!ticket.emailAnswerable) return skip('not-answerable-by-email');
  if (!ticket.replyFrom) return skip('no-reply-address');
  return { reply: true };
}
