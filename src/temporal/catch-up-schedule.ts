import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { Policy } from '../policy/schema';
import type { CatchUpWorkflow } from './definitions';

export const CATCH_UP_SCHEDULE_ID = 'gorgias-autoreply-catch-up';

/**
 * Creates, updates or removes the catch-up Schedule to match the policy. Safe to call from every worker at
 * every start: the Schedule is one per namespace.
 */
export async function syncCatchUpSchedule(
  client: Client,
  taskQueue: string,
  policy: Policy,
): Promise<'created' | 'updated' | 'removed' | 'off'> {
  const handle = client.schedule.getHandle(CATCH_UP_SCHEDULE_ID);
  if (!policy.catch_up.enabled) {
    try {
      await handle.delete();
      return 'removed';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'off';
      throw err;
    }
  }
  const spec = { intervals: [{ every: `${policy.catch_up.every_minutes}m` }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'catchUpWorkflow',
    taskQueue,
    workflowId: 'gorgias-autoreply-catch-up',
    // The first run looks back as far as a ticket can still get an acknowledgement.
    args: [{ lookbackMinutes: policy.timing.stale_after_minutes }] as Parameters<CatchUpWorkflow>,
    staticSummary: 'Catch-up: start workflows for tickets whose webhooks were lost',
  };
  try {
    await client.schedule.create<CatchUpWorkflow>({
      scheduleId: CATCH_UP_SCHEDULE_ID,
      spec,
      action,
      policies: { overlap: 'SKIP' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await handle.update<CatchUpWorkflow>((previous) => ({ ...previous, spec, action }));
    return 'updated';
  }
}
