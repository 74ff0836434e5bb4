import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SkipReason } from './decision';

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
  /** How far back the first run looks (later runs continue from the previous run's checkpoint). */
  lookbackMinutes: number;
}

export interface CatchUpResult {
  /** Creation time of the newest ticket seen: where the next run starts. */
  checkpoint: string;
  seen: number;
  started: number[];
  /** Tickets seen whose workflow failed (tagged and handed back): retry them once the cause is fixed (README). */
  handedBack?: number[];
  /** Tickets whose workflow could not be started this run. */
  notStarted?: number[];
}

/** Why a ticket did not get its reply; it is then tagged and handed back to humans, and the workflow fails. */
export type FailureReason =
  /** Not sent within the policy's staleness limit. */
  | 'stale'
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

/** `sending` is recorded before the send starts, so the per-customer cooldown of other tickets sees it. */
export type Outcome = AutoReplyResult['outcome'] | 'sending' | 'failed';

export type Phase =
  | 'reading-ticket'
  | 'reading-orders'
  | 'waiting'
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
