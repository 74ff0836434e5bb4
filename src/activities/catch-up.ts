import { log } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { startTicketWorkflow, ticketWorkflowStatus } from '../temporal/ticket-start';
import { callGorgias } from './gorgias-call';
import type { ActivityDependencies } from './dependencies';

/** The catch-up's activities: list recent tickets, start the workflows that webhooks did not. */
export function catchUpActivities({ gorgias, temporal, now = () => new Date() }: ActivityDependencies) {
  return {
    /** Ids of the (untrashed) tickets created since `since`, and the newest creation time seen (the next checkpoint). */
    async listTicketsCreatedSince(since: string): Promise<{ ticketIds: number[]; newest: string | null }> {
      const tickets = await callGorgias('list tickets', () =>
        gorgias.listTicketsCreatedSince(new Date(since)),
      );
      const newest =
        tickets
          .map((t) => t.created_datetime)
          .filter((d): d is string => !!d)
          .sort()
          .at(-1) ?? null;
      return { ticketIds: tickets.map((t) => t.id), newest };
    },

    /**
     * Starts the ticket workflow for each ticket that has none; the workflow ID makes repeats harmless. A ticket
     * that cannot be started is reported and left for the next run; it never holds up the others. Tickets
     * whose workflow failed (handed back to humans) are listed, so each run shows what awaits a retry.
     */
    async startMissedTicketWorkflows(
      ticketIds: number[],
    ): Promise<{ started: number[]; known: number; failed: number[]; handedBack: number[] }> {
      const started: number[] = [];
      const failed: number[] = [];
      const handedBack: number[] = [];
      let known = 0;
      for (const ticketId of ticketIds) {
        try {
          const status = await ticketWorkflowStatus(temporal.client, ticketId);
          if (status !== null) {
            known += 1;
            if (status === 'FAILED') handedBack.push(ticketId);
            continue;
          }
          await startTicketWorkflow(
            temporal.client,
            temporal.taskQueue,
            { ticketId, delivery: { trigger: 'catch-up', receivedAt: now().toISOString() } },
            10_000,
          );
          started.push(ticketId);
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            known += 1;
          } else {
            log.warn('Catch-up could not start a ticket workflow', { ticketId, error: String(err) });
            failed.push(ticketId);
          }
        }
      }
      if (failed.length === ticketIds.length && failed.length > 0) {
        throw new Error(`Catch-up could not start any of ${failed.length} ticket workflows`);
      }
      return { started, known, failed, handedBack };
    },
  };
}
