import { log } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { describeTicketWorkflow, startTicketWorkflow } from '../temporal/ticket-start';
import {
  answeredChannels,
  classifyListed,
  MAX_LISTED,
  type ExaminedTicket,
  type ListedTicket,
  type ListingPlan,
} from '../reply/catch-up';
import { clippedText, FIELD_LIMITS } from '../gorgias/field-limits';
import { callGorgias } from './gorgias-call';
import type { ActivityDependencies } from './dependencies';

/** A ticket the listing says could be due: its workflow is looked for, and started if it has none (and is not stale). */
export type CatchUpCandidate = Pick<ListedTicket, 'ticketId' | 'createdAt' | 'channel'> & { stale: boolean };

/** The catch-up's activities: list recent tickets, start the workflows that webhooks did not. */
export function catchUpActivities({
  gorgias,
  policy,
  temporal,
  now = () => new Date(),
}: ActivityDependencies) {
  return {
    /**
     * The (untrashed) tickets created since `plan.since`, newest first, at most MAX_LISTED, each classified on
     * what the listing carries (spam, status, channel, creation time): one call per 100 tickets, nothing else.
     */
    async listRecentTickets(plan: ListingPlan): Promise<{ tickets: ListedTicket[]; truncated: boolean }> {
      const listed = await callGorgias('list tickets', () =>
        gorgias.listTicketsCreatedSince(new Date(plan.since), MAX_LISTED),
      );
      const channels = answeredChannels(policy);
      const tickets = listed.map((t) => ({
        ticketId: t.id,
        createdAt: t.created_datetime,
        channel: clippedText(t.channel, FIELD_LIMITS.tokenChars) ?? '',
        class: classifyListed({ ...t, createdAt: t.created_datetime }, channels, plan),
      }));
      return { tickets, truncated: listed.length >= MAX_LISTED };
    },

    /**
     * Looks for each candidate's workflow and starts one for a ticket that has none (not for a stale one: it is
     * only counted); the workflow ID makes repeats harmless. A ticket that cannot be started is reported (and
     * counted in `autoreply_catch_up_tickets{class="start-failed"}`), and the next run lists it again (the
     * checkpoint stays at it); it never holds up the others, nor the next run.
     */
    async startMissedTicketWorkflows(candidates: CatchUpCandidate[]): Promise<ExaminedTicket[]> {
      const examined: ExaminedTicket[] = [];
      for (const candidate of candidates) {
        const { ticketId, createdAt, channel } = candidate;
        const ticket = { ticketId, createdAt, channel, store: null, outcome: null, reason: null };
        const existing = await describeTicketWorkflow(temporal.client, ticketId);
        if (existing) {
          examined.push({ ...ticket, ...existing, workflow: workflowState(existing.status) });
          continue;
        }
        if (candidate.stale) {
          examined.push({ ...ticket, workflow: 'none', startedBy: null });
          continue;
        }
        try {
          await startTicketWorkflow(
            temporal.client,
            temporal.taskQueue,
            { ticketId, delivery: { trigger: 'catch-up', receivedAt: now().toISOString() } },
            10_000,
          );
          examined.push({ ...ticket, workflow: 'started', startedBy: 'catch-up' });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            // Started (by a webhook) between the look and the start: known.
            examined.push({ ...ticket, workflow: 'running', startedBy: 'webhook' });
          } else {
            log.warn('Catch-up could not start a ticket workflow', { ticketId, error: String(err) });
            examined.push({ ...ticket, workflow: 'start-failed', startedBy: null });
          }
        }
      }
      return examined;
    },
  };
}

function workflowState(status: string): ExaminedTicket['workflow'] {
  if (status === 'RUNNING') return 'running';
  if (status === 'FAILED') return 'failed';
  if (status === 'COMPLETED' || status === 'CONTINUED_AS_NEW') return 'closed';
  return 'stopped';
}
