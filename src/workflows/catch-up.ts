import { proxyActivities, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
// Type-only: no activity code is bundled into the workflow.
import type { createActivities } from '../activities';
import type { CatchUpInput, CatchUpResult } from './definitions';
import { whenVersioned } from './versioning';

type Activities = ReturnType<typeof createActivities>;

const { listTicketsCreatedSince, startMissedTicketWorkflows } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

const OVERLAP_MINUTES = 2;

/**
 * Auto-upgrade (Worker Versioning): a run takes a minute at most and keeps nothing but its result, and the Schedule
 * skips a run while the previous one is open. Pinned, one run left on a version whose workers are gone would block
 * every later run; auto-upgrading, it moves to the current version. Its changes still follow the replay rules.
 */
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), catchUpWorkflow);

/**
 * Run by a Temporal Schedule every few minutes: lists the tickets created since the last run's checkpoint
 * and starts the ticket workflow for any that has none, e.g. because Gorgias disabled the HTTP integration
 * or a delivery was lost. The ticket workflow's ID makes this safe to repeat.
 */
export async function catchUpWorkflow({ lookbackMinutes }: CatchUpInput): Promise<CatchUpResult> {
  const previous = workflowInfo().lastResult as CatchUpResult | undefined;
  // Never further back than a ticket can still get its acknowledgement (plus a small overlap): after a long
  // outage, days of tickets would only end stale, each with a tag and a note, and starve the live ones.
  const floor = new Date(Date.now() - (lookbackMinutes + OVERLAP_MINUTES) * 60_000).toISOString();
  const since = previous?.checkpoint && previous.checkpoint > floor ? previous.checkpoint : floor;
  const { ticketIds, newest } = await listTicketsCreatedSince(since);
  const starts =
    ticketIds.length > 0
      ? await startMissedTicketWorkflows(ticketIds)
      : { started: [], failed: [], handedBack: [] };
  return {
    checkpoint: newest ?? since,
    seen: ticketIds.length,
    started: starts.started,
    handedBack: starts.handedBack,
    notStarted: starts.failed,
  };
}
