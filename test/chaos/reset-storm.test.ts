import { describe, expect, it } from '@jest/globals';
import type { temporal } from '@temporalio/proto';
import { workflowIdForTicket, type AutoReplyResult } from '../../src/temporal/definitions';
import {
  notesByKind,
  printFigures,
  repeatedNotes,
  tally,
  ticketsNotRepliedExactlyOnce,
} from '../support/figures';
import { useChaosRig } from './support/rig';
import { temporalCli, type CliRun } from './support/temporal-cli';

const rig = useChaosRig();

const TICKETS = 20;
// Workflows reset at once (each one's resets one after the other): all of them; the CLI is a process per reset.
const PARALLEL = TICKETS;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

interface ResetRun {
  ticketId: number;
  eventId: number;
  runId: string;
  outcome: string;
}

describe('a reset storm: every replied ticket reset to each of its workflow tasks, one after the other', () => {
  it('still one reply per ticket and no note repeated', async () => {
    const ticketIds = await rig.service.seedTickets(TICKETS);
    await rig.service.startServer();
    // A reset run looks for what the run it replaced posted only once that run's POSTs have had the
    // unknown-outcome wait to land (30 s by default): 3 s here, or 130 resets one after the other would take an hour.
    await rig.service.startWorker({ GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: '3000' });
    const answers = await rig.service.deliverAll(ticketIds, 10);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    const first = await rig.service.results(ticketIds, 120_000);
    expect([...first.values()].map((r) => (r instanceof Error ? r.message : r.outcome))).toEqual(
      ticketIds.map(() => 'replied'),
    );
    const postsBefore = rig.sandbox.requests.filter((r) => r.method === 'POST').length;

    const resets: ResetRun[] = [];
    const failedCommands: CliRun[] = [];
    const queue = [...ticketIds];
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let ticketId = queue.shift(); ticketId !== undefined; ticketId = queue.shift()) {
          const workflowId = workflowIdForTicket(ticketId);
          const original = rig.temporal.client.workflow.getHandle(workflowId);
          const originalRunId = (await original.describe()).runId;
          const events: HistoryEvent[] = (await original.fetchHistory()).events ?? [];
          const points = events
            .filter((e) => e.workflowTaskCompletedEventAttributes)
            .map((e) => Number(e.eventId));
          let current = originalRunId;
          for (const eventId of points) {
            const run = await temporalCli(rig.temporal, [
              'workflow',
              'reset',
              '--workflow-id',
              workflowId,
              '--run-id',
              originalRunId,
              '--event-id',
              String(eventId),
              '--reason',
              'chaos: reset storm',
            ]);
            if (run.code !== 0) {
              failedCommands.push(run);
              continue;
            }
            const runId = (await rig.temporal.client.workflow.getHandle(workflowId).describe()).runId;
            expect(runId).not.toBe(current);
            current = runId;
            // The reset run ends before the next reset of this workflow.
            const outcome = await rig.temporal.client.workflow
              .getHandle<() => Promise<AutoReplyResult>>(workflowId, runId)
              .result()
              .then(
                (r) => (r.outcome === 'skipped' ? `skipped/${r.reason}` : r.outcome),
                (err: unknown) => `error: ${err instanceof Error ? err.message : String(err)}`,
              );
            resets.push({ ticketId, eventId, runId, outcome });
          }
        }
      }),
    );

    const results = await rig.service.results(ticketIds, 60_000);
    const outcomes: Record<string, number> = {};
    for (const r of resets) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    const postsDuringResets = rig.sandbox.requests.filter((r) => r.method === 'POST').length - postsBefore;
    const figures = tally(
      'reset storm',
      `${resets.length} resets (each ticket to each of its workflow tasks, ${PARALLEL} tickets at a time); ` +
        `reset runs ended ${Object.entries(outcomes)
          .map(([o, n]) => `${o} ×${n}`)
          .join(', ')}; ${postsDuringResets} POSTs made by the reset runs`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);

    expect(failedCommands).toEqual([]);
    expect(resets.length).toBeGreaterThanOrEqual(TICKETS * 4);
    expect(resets.filter((r) => r.outcome.startsWith('error'))).toEqual([]);
    expect(repeatedNotes(rig.sandbox, ticketIds)).toEqual([]);
    expect(ticketIds.filter((id) => notesByKind(rig.sandbox, id).replied !== 1)).toEqual([]);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
    // The reset runs found what the first runs had posted: none posted anything.
    expect(postsDuringResets).toBe(0);
  });
});
