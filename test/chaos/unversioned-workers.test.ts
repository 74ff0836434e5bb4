import { describe, expect, it } from '@jest/globals';
import { printFigures, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import { EVENTS } from '../../harness/service-processes';
import { waitUntil } from '../../harness/waiting';
import { useChaosRig } from './support/rig';

const rig = useChaosRig();

const TICKETS = 40;
const UNVERSIONED = { TEMPORAL_WORKER_VERSIONING: 'false' };

/** What the workflows of a worker logged: one decision per ticket that worker decided. */
const decisions = (output: string) =>
  output.split('\n').filter((l) => l.includes('Auto-reply decision')).length;

describe('an unversioned worker pair (TEMPORAL_WORKER_VERSIONING=false)', () => {
  it('answers every ticket exactly once, through every trigger and a rolling restart of one worker', async () => {
    const tickets = await rig.service.seed(TICKETS);
    const ticketIds = tickets.map((t) => t.id);
    // Gorgias answers after 300 ms: both workers have calls in flight when one is restarted.
    rig.sandbox.sandbox.setFaults({ latencyMs: 300 });
    await rig.service.startServer();
    const first = await rig.service.startWorker(UNVERSIONED);
    const second = await rig.service.startWorker(UNVERSIONED);
    for (const worker of [first, second]) {
      await waitUntil(() => worker.output().includes('worker started'), 10_000);
      expect(worker.output()).toMatch(/"versioning":"off".*"msg":"worker started"/);
    }

    // Each ticket as Gorgias delivers it with every trigger on: three deliveries, one workflow.
    const delivering = Promise.all(
      EVENTS.map((event) =>
        Promise.all(tickets.map((ticket) => rig.service.deliverUntilAccepted(ticket, { event }))),
      ),
    );
    // A rolling restart of unversioned workers (the documented deploy without versioning): one goes mid-burst.
    await waitUntil(() => decisions(first.output()) >= 5, 120_000);
    expect(await first.stop('SIGTERM')).toBe(0);
    const third = await rig.service.startWorker(UNVERSIONED);
    const answers = (await delivering).flat();
    expect(answers.filter((a) => a.status !== 202 && a.status !== 200)).toEqual([]);

    const results = await rig.service.results(ticketIds, 180_000);
    const figures = tally(
      'an unversioned worker pair',
      'two workers with TEMPORAL_WORKER_VERSIONING=false, every trigger delivered, one worker restarted mid-burst',
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
    // Both workers of the pair took tickets (the restarted one and its replacement count as one place).
    expect(decisions(second.output())).toBeGreaterThan(0);
    expect(decisions(first.output()) + decisions(third.output())).toBeGreaterThan(0);
  });
});
