import type { Client } from '@temporalio/client';
import { TicketIdAttribute } from '../workflows/search-attributes';
import { deliverySignal, workflowIdForTicket, type TicketDelivery, type ticketWorkflow } from '../workflows';

export interface TicketStart {
  ticketId: number;
  delivery: TicketDelivery;
  /** Shown in the Web UI's workflow list until the workflow has read the ticket itself; display only. */
  customerEmail?: string | null;
  subject?: string | null;
}

const MAX_SUMMARY_BYTES = 200;

/** One readable line for the Web UI: `Gorgias ticket #123 · dana@example.org · Where is my order?`. */
export function ticketSummary({ ticketId, customerEmail, subject }: Omit<TicketStart, 'delivery'>): string {
  let line = [`Gorgias ticket #${ticketId}`, customerEmail, subject?.replace(/\s+/g, ' ').trim()]
    .filter(Boolean)
    .join(' · ');
  while (Buffer.byteLength(line) > MAX_SUMMARY_BYTES) line = `${line.slice(0, -2)}…`;
  return line;
}

/**
 * Signal-with-start on the ticket's workflow: the first delivery starts it, later ones are recorded in its
 * history. A finished workflow is never started again for the same ticket (REJECT_DUPLICATE: the call throws
 * WorkflowExecutionAlreadyStartedError), so a late delivery cannot cause a second reply. Resolves once
 * Temporal has persisted the delivery, or rejects after `timeoutMs`.
 */
export async function startTicketWorkflow(
  client: Client,
  taskQueue: string,
  start: TicketStart,
  timeoutMs: number,
): Promise<string> {
  const workflowId = workflowIdForTicket(start.ticketId);
  await client.withDeadline(Date.now() + timeoutMs, () =>
    client.workflow.signalWithStart<typeof ticketWorkflow, [TicketDelivery]>('ticketWorkflow', {
      workflowId,
      taskQueue,
      args: [{ ticketId: start.ticketId }],
      signal: deliverySignal,
      signalArgs: [start.delivery],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: TicketIdAttribute, value: start.ticketId }],
      staticSummary: ticketSummary(start),
    }),
  );
  return workflowId;
}

/** Whether the ticket has a workflow (running, or closed and still within the namespace's retention). */
export async function ticketWorkflowExists(client: Client, ticketId: number): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowIdForTicket(ticketId)).describe();
    return true;
  } catch {
    return false;
  }
}
