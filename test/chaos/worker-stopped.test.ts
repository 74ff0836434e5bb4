import { describe, expect, it } from '@jest/globals';
import { printFigures, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import { waitUntil } from '../../harness/waiting';
import { useChaosRig } from './support/rig';

const rig = useChaosRig();

const TICKETS = 20;

describe('a worker stopped with SIGTERM (a deploy)', () => {
  it('finishes the Gorgias calls it has in flight, exits cleanly, and a new worker carries on', async () => {
    const ticketIds = await rig.service.seedTickets(TICKETS);
    // Gorgias answers every call after 1.5 s, so calls are in flight when the deploy stops the worker.
    rig.sandbox.sandbox.setFaults({ latencyMs: 1500 });
    await rig.service.startServer();
    const stopping = await rig.service.startWorker();
    const answers = await rig.service.deliverAll(ticketIds, 10);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);

    await waitUntil(() => rig.sandbox.inFlight().length >= 5, 60_000);
    const inFlightAtStop = rig.sandbox.inFlight();
    stopping.child.kill('SIGTERM');
    // Graceful: the process ends by itself (exit code 0), within its 10 s grace time plus start-up slack.
    const exited = await Promise.race([
      stopping.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000)),
    ]);
    expect(exited).toBe(0);
    // Every call it had in flight got its answer before the process went away.
    expect(inFlightAtStop.every((r) => r.status !== undefined)).toBe(true);
    expect(stopping.output()).toContain('worker stopped');

    await rig.service.startWorker();
    const results = await rig.service.results(ticketIds, 180_000);
    const figures = tally(
      'worker stopped with SIGTERM',
      `SIGTERM with ${inFlightAtStop.length} Gorgias calls in flight`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
  });
});
