import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SkipReason } from '../reply/decision';
import type { ClaimAnswer, Grant, GrantLimit, Recipient } from '../reply/recipient-grants';

/**
 * What clients (the webhook intake, the catch-up, the CLI tools, the tests) need to talk to the workflows:
 * their IDs, signatures, signals, queries, search attributes and result types. Clients import this module,
 * never the workflow implementations (the worker bundles those from ./index).
 */

/** One workflow per ticket, its ID derived from the ticket ID alone, so every duplicate delivery meets it. */
export function workflowIdForTicket(ticketId: number): string {
  return `gorgias-ticket-${ticketId}`;
}

/** The triggers of a Gorgias HTTP integration (docs/gorgias.md, "Webhook deliveries"). */
export const TRIGGERS = [
  'ticket-created',
  'ticket-updated',
  'ticket-message-created',
  'ticket-self-unsnoozed',
  'ticket-message-failed',
  'ticket-assignment-updated',
  'ticket-status-updated',
  'ticket-handed-over',
] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** One delivery to a ticket's workflow: a webhook call, or the catch-up finding a ticket with no workflow. */
export interface TicketDelivery {
  trigger: Trigger | 'catch-up' | null;
  receivedAt: string;
}

export interface TicketWorkflowInput {
  ticketId: number;
}

export interface CatchUpInput {
  /** The staleness window: the first run looks back this far; older tickets are counted, never started. */
  lookbackMinutes: number;
  /** A ticket younger than this is left for the next run: its webhook may be on its way (default 60). */
  graceSeconds?: number;
}

/** Tickets found only by the catch-up since the newest ticket whose workflow a webhook started. */
export interface WebhookSilence {
  /** Creation time of the newest ticket a webhook delivery started (null: none seen yet). */
  lastWebhookTicket: string | null;
  /** Tickets created after it whose workflow the catch-up started. */
  catchUpOnly: number;
  /** Creation time of the first of those. */
  catchUpOnlySince: string | null;
}

/** One line of the catch-up's coverage section: the tickets of one store and channel that this run looked at. */
export interface CoverageRow {
  store: string;
  channel: string;
  /** Could be due, from the listing: looked at by this run. */
  listed: number;
  acknowledged: number;
  /** Due, but nothing sent on purpose (dry run, kill switch). */
  held: number;
  /** Decided and ended without a reply being owed (answered already, cooldown, ...). */
  skipped: number;
  /** Still running, or left for the next run. */
  pending: number;
  stale: number;
  failed: number;
  /** Started by the catch-up (now or by an earlier run): its webhook never came. */
  missed: number;
}

/** What one catch-up run saw and did; the next run continues from `checkpoint` (docs/production.md). */
export interface CatchUpResult {
  /** Where the next run lists from: the oldest ticket not started yet, or the newest seen less an overlap. */
  checkpoint: string;
  /** Where this run listed from. */
  listedSince?: string;
  /** Tickets listed. */
  seen: number;
  /** The listing stopped at its cap (MAX_LISTED): older tickets were not looked at, not even counted. */
  truncated?: boolean;
  /** Creation time of the newest ticket listed (what later runs count metrics from). */
  newest?: string | null;
  /** Tickets whose workflow this run started: their webhook never came (missed). */
  started: number[];
  /** Tickets seen whose workflow failed (tagged and handed back): retry them once the cause is fixed (README). */
  handedBack?: number[];
  /** Tickets whose workflow was terminated, cancelled or timed out without an outcome. */
  stopped?: number[];
  /** Tickets whose workflow could not be started this run: the next run tries again. */
  notStarted?: number[];
  /** Tickets that had a workflow already. */
  known?: number;
  /** Tickets younger than the grace period, left for the next run (their webhook may be on its way). */
  waiting?: number;
  /**
   * What the listing showed cannot be due, by reason, with no GET and no workflow. `stale`: older than the
   * staleness window and without a workflow: missed for good (after a gap, what fell beyond the window).
   */
  filtered?: Record<'spam' | 'closed' | 'outside-channel' | 'stale', number>;
  /** Per store and channel, what became of the tickets this run looked at. */
  coverage?: CoverageRow[];
  /** Tickets found only by the catch-up since the last one a webhook started; `silent`: the webhook looks dead. */
  webhooks?: WebhookSilence & { silent: boolean };
}

/** Why a ticket did not get its reply; it is then tagged and handed back to humans, and the workflow fails. */
export type FailureReason =
  /** Gorgias accepted the reply but failed to deliver it (`failed_datetime`, `last_sending_error`). */
  | 'send-failed'
  /** Gorgias refused our credentials (401/403): an expired or revoked API key. */
  | 'gorgias-auth'
  /** Gorgias refused the request (another 4xx). */
  | 'gorgias-rejected'
  /** Gorgias could not be reached, or kept failing, for longer than the retry window. */
  | 'gorgias-unavailable'
  /** Gorgias's answer about the ticket could not be read. */
  | 'unreadable-ticket'
  /** The policy's template failed to render for this ticket. */
  | 'template-error'
  /** The per-customer cooldown (the customer's recipient workflow) could not be asked while a reply was useful. */
  | 'cooldown-unavailable'
  /** Anything else: a bug; the error is in the note and the workflow's history. */
  | 'internal-error';

export type AutoReplyResult =
  | {
      outcome: 'replied';
      ticketId: number;
      replyMessageId: number;
      sentAt: string;
      noteMessageId: number | null;
    }
  /** Gorgias accepted the reply but had not reported sending it when the confirmation window ended. */
  | { outcome: 'unconfirmed'; ticketId: number; replyMessageId: number; noteMessageId: number | null }
  | { outcome: 'dry-run'; ticketId: number; noteMessageId: number }
  | { outcome: 'skipped'; ticketId: number; reason: SkipReason; noteMessageId: number | null };

/** `sending` is recorded before the send starts: the operator sees which tickets are posting their reply. */
export type Outcome = AutoReplyResult['outcome'] | 'sending' | 'failed';

export type Phase =
  | 'reading-ticket'
  | 'reading-orders'
  | 'waiting'
  | 'claiming-acknowledgement'
  | 'sending-reply'
  | 'confirming-delivery'
  | 'adding-note'
  | 'handing-back'
  | 'done';

/** The deliveries a workflow keeps in its state: every one is counted, the latest are listed. */
export const KEPT_DELIVERIES = 50;

export interface TicketWorkflowState {
  ticketId: number;
  phase: Phase;
  /** The latest deliveries (at most KEPT_DELIVERIES), oldest first. */
  deliveries: TicketDelivery[];
  deliveryCount: number;
  outcome: Outcome | null;
  reason: SkipReason | FailureReason | null;
  result: AutoReplyResult | null;
}

export const deliverySignal = defineSignal<[TicketDelivery]>('delivery');
export const stateQuery = defineQuery<TicketWorkflowState>('state');

/**
 * The workflows' signatures, as clients start them by name (`'ticketWorkflow'`, `'catchUpWorkflow'`); ticket.ts
 * and catch-up.ts implement them with these same input and result types.
 */
export type TicketWorkflow = (input: TicketWorkflowInput) => Promise<AutoReplyResult>;
export type CatchUpWorkflow = (input: CatchUpInput) => Promise<CatchUpResult>;

/**
 * One workflow per recipient (a customer's address, or a mail domain) while its acknowledgements count: tickets
 * claim their reply from it through an Update, so two tickets decided in the same second cannot both be granted
 * (src/workflows/recipient.ts; docs/guarantees.md, "One voice").
 */
export interface RecipientWorkflowInput {
  recipient: Recipient;
  /** The grants still live when the previous run continued as new. */
  grants: Grant[];
  /** Claims one run takes before it continues as new (its history stays short); tests lower it. */
  claimsPerRun?: number;
}

export interface AcknowledgementClaim extends GrantLimit {
  ticketId: number;
}

export const claimAcknowledgementUpdate = defineUpdate<ClaimAnswer, [AcknowledgementClaim]>(
  'claimAcknowledgement',
);
export const grantsQuery = defineQuery<Grant[]>('grants');
export type RecipientWorkflow = (input: RecipientWorkflowInput) => Promise<void>;

/**
 * What an operator searches by in the Web UI or CLI, e.g. `GorgiasTicketId = 123` or
 * `AutoReplyOutcome = "skipped" AND AutoReplyReason = "no-reply-sender"`. The customer's email is there on
 * purpose (support looks tickets up by customer); nothing else personal is.
 */
export const TicketIdAttribute = defineSearchAttributeKey('GorgiasTicketId', SearchAttributeType.INT);
export const CustomerEmailAttribute = defineSearchAttributeKey('CustomerEmail', SearchAttributeType.KEYWORD);
export const OutcomeAttribute = defineSearchAttributeKey('AutoReplyOutcome', SearchAttributeType.KEYWORD);
export const ReasonAttribute = defineSearchAttributeKey('AutoReplyReason', SearchAttributeType.KEYWORD);
/** The store section of the policy the ticket resolved to (`default`: the top level). */
export const StoreAttribute = defineSearchAttributeKey('GorgiasStore', SearchAttributeType.KEYWORD);
/** The version (content hash) of the resolved store policy the ticket was decided by (src/policy/version.ts). */
export const PolicyVersionAttribute = defineSearchAttributeKey(
  'AutoReplyPolicyVersion',
  SearchAttributeType.KEYWORD,
);
/** For a ticket the policy would acknowledge: its arm of the holdout experiment, `acknowledged` or `holdout`. */
export const ArmAttribute = defineSearchAttributeKey('AutoReplyArm', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  TicketIdAttribute,
  CustomerEmailAttribute,
  OutcomeAttribute,
  ReasonAttribute,
  StoreAttribute,
  PolicyVersionAttribute,
  ArmAttribute,
];
