import { log, metricMeter, proxyActivities, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
// Type-only: no activity code is bundled into the workflow.
import type { createActivities } from '../activities';
import { METRICS } from '../telemetry/coverage';
import { newlyCounted, planListing, summarizeRun, type CatchUpCarry } from '../reply/catch-up';
import type { CatchUpInput, CatchUpResult } from '../temporal/definitions';
import { whenVersioned } from './versioning';

type Activities = ReturnType<typeof createActivities>;

const { listRecentTickets, startMissedTicketWorkflows } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * Auto-upgrade (Worker Versioning): a run takes a minute at most and keeps nothing but its result, and the Schedule
 * skips a run while the previous one is open. Pinned, one run left on a version whose workers are gone would block
 * every later run; auto-upgrading, it moves to the current version. Its changes still follow the replay rules.
 */
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), catchUpWorkflow);

/**
 * Run by a Temporal Schedule every few minutes: lists the tickets created since the last run's checkpoint, leaves
 * out those the listing shows cannot be due (spam, closed, another channel, older than the staleness window), and
 * starts the ticket workflow for any other that has none, e.g. because Gorgias disabled the HTTP integration or a
 * delivery was lost. The ticket workflow's ID makes this safe to repeat. Its result says what it saw.
 */
export async function catchUpWorkflow(input: CatchUpInput): Promise<CatchUpResult> {
  const previous = workflowInfo().lastResult as CatchUpCarry | undefined;
  const plan = planListing(previous, input, Date.now());
  const listing = await listRecentTickets(plan);
  const candidates = listing.tickets
    .filter((t) => t.class === 'due' || t.class === 'stale')
    .map(({ ticketId, createdAt, channel, class: c }) => ({
      ticketId,
      createdAt,
      channel,
      stale: c === 'stale',
    }));
  const examined = candidates.length > 0 ? await startMissedTicketWorkflows(candidates) : [];
  const result = summarizeRun({ previous, plan, listing, examined, now: Date.now() });
  report(result, newlyCounted({ previous, listing, examined }));
  return result;
}

/** Where the operator sees a run: metrics, and a log line (an error when the webhooks have gone quiet). */
function report(result: CatchUpResult, counted: ReturnType<typeof newlyCounted>): void {
  const tickets = metricMeter.createCounter(
    METRICS.catchUpTickets,
    'tickets',
    'Tickets the catch-up left out (by reason), started (their webhook never came) or could not start',
  );
  for (const { class: c, channel, count } of counted) tickets.add(count, { class: c, channel });
  const { webhooks } = result;
  if (webhooks?.silent) {
    metricMeter
      .createCounter(
        METRICS.webhookSilentRuns,
        'runs',
        'Catch-up runs that found tickets but no webhook delivery',
      )
      .add(1);
    log.error(
      `${webhooks.catchUpOnly} tickets since ${webhooks.catchUpOnlySince} were found only by the catch-up: no ` +
        'webhook delivery has started a ticket since. Gorgias disables an HTTP integration after repeated failed ' +
        'calls: check it in Gorgias (Settings → HTTP integrations) and the webhook server (docs/production.md)',
      { lastWebhookTicket: webhooks.lastWebhookTicket, catchUpOnly: webhooks.catchUpOnly },
    );
  }
  if (result.truncated) {
    log.warn('Catch-up listing cut at its cap: older tickets were not looked at', {
      since: result.listedSince,
    });
  }
  log.info('Catch-up run', {
    seen: result.seen,
    started: result.started.length,
    notStarted: result.notStarted,
    known: result.known,
    waiting: result.waiting,
    filtered: result.filtered,
    checkpoint: result.checkpoint,
  });
}
