import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SkipReason } from './decide';

/** Gorgias HTTP-integration triggers (shared/reference/gorgias-api.md §1.3). */
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
