import { defineQuery, defineSignal, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
// Type-only: no activity code is bundled into the workflow.
import type { createActivities } from '../activities';
import { decideAutoReply, type SkipReason } from './decide';
import { CustomerEmailAttribute, OutcomeAttribute, ReasonAttribute } from './search-attributes';

export { workflowIdForTicket } from './ids';
export {
  decideAutoReply,
  isAutomatedAddress,
  type TicketFacts,
  type SkipReason,
  type Decision,
} from './decide';

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

/** One webhook delivery, as the intake hands it to the ticket's workflow. */
export interface TicketDelivery {
  trigger: Trigger | null;
  receivedAt: string;
}

export interface TicketWorkflowInput {
  ticketId: number;
}

export type AutoReplyResult =
  | { outcome: 'replied'; ticketId: number; replyMessageId: number; noteMessageId: number }
  | { outcome: 'skipped'; ticketId: number; reason: SkipReason };

export type Phase = 'fetching-ticket' | 'sending-reply' | 'adding-note' | 'done';

export interface TicketWorkflowState {
  ticketId: number;
  phase: Phase;
  deliveries: TicketDelivery[];
  result: AutoReplyResult | null;
}

export const deliverySignal = defineSignal<[TicketDelivery]>('delivery');
export const stateQuery = defineQuery<TicketWorkflowState>('state');

const gorgias = proxyActivities<ReturnType<typeof createActivities>>({
  // Per attempt, a little above the HTTP client's timeout (GORGIAS_HTTP_TIMEOUT_MS, 10 s by default),
  // leaving room for the idempotency look-up a retried send makes first.
  startToCloseTimeout: '30s',
  // An acknowledgement that cannot be sent within half an hour is no longer worth sending.
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** One workflow per Gorgias ticket: fetch it, decide, reply, note. */
export async function ticketWorkflow({ ticketId }: TicketWorkflowInput): Promise<AutoReplyResult> {
  const state: TicketWorkflowState = { ticketId, phase: 'fetching-ticket', deliveries: [], result: null };
  // Every delivery for this ticket lands here; recording it is all there is to do, so redelivery is harmless.
  setHandler(deliverySignal, (delivery) => void state.deliveries.push(delivery));
  setHandler(stateQuery, () => state);

  const ticket = await gorgias.fetchTicket(ticketId);
  if (ticket.customer?.email) upsertSearchAttributes([{ key: CustomerEmailAttribute, value: ticket.customer.email }]);
  const decision = decideAutoReply(ticket);
  if (!decision.reply) return finish(state, { outcome: 'skipped', ticketId, reason: decision.reason });

  state.phase = 'sending-reply';
  const reply = await gorgias.sendReply(ticket);

  state.phase = 'adding-note';
  const note = await gorgias.addInternalNote({ ticketId, reply });

  return finish(state, {
    outcome: 'replied',
    ticketId,
    replyMessageId: reply.messageId,
    noteMessageId: note.messageId,
  });
}

function finish(state: TicketWorkflowState, result: AutoReplyResult): AutoReplyResult {
  state.phase = 'done';
  state.result = result;
  upsertSearchAttributes([
    { key: OutcomeAttribute, value: result.outcome },
    ...(result.outcome === 'skipped' ? [{ key: ReasonAttribute, value: result.reason }] : []),
  ]);
  return result;
}
