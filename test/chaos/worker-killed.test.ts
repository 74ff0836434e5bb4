import { describe, expect, it } from '@jest/globals';
import { printFigures, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import { waitUntil } from '../../harness/waiting';
import { useChaosRig } from './support/rig';

const rig = useChaosRig();

const TICKETS = 100;

describe('a worker killed in the middle of a burst', () => {
  it('every ticket still ends with exactly one reply and one note once a new worker takes over', async () => {
    const ticketIds = await rig.service.seedTickets(TICKETS);
    // Gorgias answers every call after a second: many calls are in flight when the worker dies, some of them
    // already committed by Gorgias (the sandbox commits first, then answers).
    rig.sandbox.sandbox.setFaults({ latencyMs: 1000 });
    await rig.service.startServer();
    const doomed = await rig.service.startWorker();

    const postsAnswered = () =>
      rig.sandbox.requests.filter(
        (r) => r.method === 'POST' && r.url.includes('/messages') && r.status === 201,
      ).length;
    const delivering = rig.service.deliverAll(ticketIds, 20);
    await waitUntil(() => postsAnswered() >= 20 && rig.sandbox.inFlight().length >= 10, 120_000);
    const inFlightAtKill = rig.sandbox.inFlight();
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBeNull();
    const answers = await delivering;
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);

    await rig.service.startWorker();
    const results = await rig.service.results(ticketIds, 240_000);
    const figures = tally(
      'worker SIGKILLed mid-burst',
      `SIGKILL with ${inFlightAtKill.length} Gorgias calls in flight (${inFlightAtKill.filter((r) => r.method === 'POST').length} posts)`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);

    expect(inFlightAtKill.length).toBeGreaterThan(0);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
  });
});
