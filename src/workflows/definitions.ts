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

/** Why a reply finally did not go out; the ticket is then tagged and handed back to humans. */
export type FailureReason = 'stale' | 'gorgias-rejected' | 'gorgias-unavailable';

export type AutoReplyResult =
  | { outcome: 'replied'; ticketId: number; replyMessageId: number; noteMessageId: number }
  | { outcome: 'dry-run'; ticketId: number; noteMessageId: number }
  | { outcome: 'skipped'; ticketId: number; reason: SkipReason; noteMessageId: number | null };

export type Outcome = AutoReplyResult['outcome'] | 'failed';

export type Phase = 'reading-ticket' | 'waiting' | 'sending-reply' | 'adding-note' | 'handing-back' | 'done';

export interface TicketWorkflowState {
  ticketId: number;
  phase: Phase;
  deliveries: TicketDelivery[];
  outcome: Outcome | null;
  reason: SkipReason | FailureReason | null;
  result: AutoReplyResult | null;
}

export const deliverySignal = defineSignal<[TicketDelivery]>('delivery');
export const stateQuery = defineQuery<TicketWorkflowState>('state');
