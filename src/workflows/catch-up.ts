import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

const { listTicketsCreatedSince, startMissedTicketWorkflows } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export interface CatchUpInput {
  /** How far back the first run looks (later runs continue from the previous run's checkpoint). */
  lookbackMinutes: number;
}

export interface CatchUpResult {
  /** Creation time of the newest ticket seen: where the next run starts. */
  checkpoint: string;
  seen: number;
  started: number[];
}

/**
 * Run by a Temporal Schedule every few minutes: lists the tickets created since the last run's checkpoint
 * and starts the ticket workflow for any that has none, e.g. because Gorgias disabled the HTTP integration
 * or a delivery was lost. The ticket workflow's ID makes this safe to repeat.
 */
export async function catchUpWorkflow({ lookbackMinutes }: CatchUpInput): Promise<CatchUpResult> {
  const previous = workflowInfo().lastResult as CatchUpResult | undefined;
  const since = previous?.checkpoint ?? new Date(Date.now() - lookbackMinutes * 60_000).toISOString();
  const { ticketIds, newest } = await listTicketsCreatedSince(since);
  const { started } = ticketIds.length > 0 ? await startMissedTicketWorkflows(ticketIds) : { started: [] };
  return { checkpoint: newest ?? since, seen: ticketIds.length, started };
}
