import { describe, expect, it } from '@jest/globals';
import { printFigures, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import { waitUntil } from '../../harness/waiting';
import { useChaosRig } from './support/rig';

const rig = useChaosRig();

const TICKETS = 100;

describe('the webhook server restarted during a burst', () => {
  it('loses no delivery it answered 202, through a graceful restart and a crash', async () => {
    const ticketIds = await rig.service.seedTickets(TICKETS);
    await rig.service.startWorker();
    let server = await rig.service.startServer();

    // Gorgias's side: about 10 deliveries a second for 10 s, each retried (bounded) while the server is away.
    const delivering = rig.service.deliverAll(ticketIds, 5, 500);
    // After the graceful stop, the next server starts only once a delivery has found none: Gorgias's side saw the
    // gap. After the crash it starts at once, as a supervisor would restart it.
    const refused = () => rig.service.answers.filter((a) => a.status === 0).length;
    // How far Gorgias's side is through the tickets (retries of one ticket do not move it): each break comes
    // while a third of the tickets are still to be delivered.
    const reached = () => new Set(rig.service.answers.map((a) => a.ticketId)).size;
    await waitUntil(() => reached() >= TICKETS / 3, 60_000);
    const before = refused();
    await server.stop('SIGTERM');
    await waitUntil(() => refused() > before, 10_000);
    server = await rig.service.startServer();
    await waitUntil(() => reached() >= (2 * TICKETS) / 3, 60_000);
    server.child.kill('SIGKILL');
    await server.exited;
    await rig.service.startServer();
    const finalAnswers = await delivering;

    const accepted = new Set(rig.service.answers.filter((a) => a.status === 202).map((a) => a.ticketId));
    const failedAttempts = rig.service.answers.filter((a) => a.status !== 202);
    const results = await rig.service.results(ticketIds, 180_000);
    const figures = tally(
      'webhook server restarted',
      `SIGTERM then SIGKILL of the webhook server mid-burst; ${failedAttempts.length} delivery attempts failed and were retried`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);

    // Every delivery got its 202 in the end (or "duplicate": its ticket was already answered).
    expect(finalAnswers.filter((a) => a.status !== 202 && a.status !== 200)).toEqual([]);
    expect(accepted.size).toBeGreaterThan(0);
    expect(failedAttempts.length).toBeGreaterThan(0);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
  });
});
