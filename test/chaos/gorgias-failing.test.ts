import { describe, expect, it } from '@jest/globals';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { printFigures, tally, ticketsNotRepliedExactlyOnce, type ScenarioFigures } from '../support/figures';
import { SECRETS, useChaosRig } from './support/rig';

let ticketIds: number[];
let figures: ScenarioFigures;

const TICKETS = 100;
// Long enough for hundreds of failed calls and dozens of late successes (the test asserts both happened).
const OUTAGE_MS = 30_000;

const rig = useChaosRig();

/** A history as text, with every payload decoded, so a secret inside an input, result or failure shows. */
function historyText(history: unknown): string {
  return JSON.stringify(history, (key, value: unknown) =>
    key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value,
  );
}

describe('Gorgias failing: 30% of calls answered 500/502/503, 10% committed but answered too late', () => {
  it('every ticket still ends with exactly one reply and one note, and late successes cause no duplicates', async () => {
    ticketIds = await rig.service.seedTickets(TICKETS);
    const seedingCalls = rig.sandbox.requests.length;
    rig.sandbox.sandbox.setFaults({
      errorRate: 0.3,
      errorStatuses: [500, 502, 503],
      // The worker gives up on a Gorgias call after 2 s (GORGIAS_HTTP_TIMEOUT_MS) and the attempt fails;
      // Gorgias has done the work all the same.
      lateResponseRate: 0.1,
      lateResponseMs: 3000,
    });
    await rig.service.startServer();
    await rig.service.startWorker({ GORGIAS_HTTP_TIMEOUT_MS: '2000' });
    const answers = await rig.service.deliverAll(ticketIds, 10);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);

    // The outage lasts 30 s, then Gorgias recovers: with 1 s doubling backoff capped at a minute, a call
    // that failed ten times in a row would otherwise keep the suite waiting for many minutes.
    await rig.service.results(ticketIds, OUTAGE_MS);
    const stats = rig.sandbox.sandbox.stats();
    rig.sandbox.sandbox.setFaults({ errorRate: 0, lateResponseRate: 0 });
    const results = await rig.service.results(ticketIds, 180_000);
    figures = tally(
      'Gorgias failing',
      `${stats.faultsInjected} answers 500/502/503 and ${stats.lateResponses} late successes out of ${stats.requests - seedingCalls} calls during a ${OUTAGE_MS / 1000} s outage`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);

    expect(stats.faultsInjected).toBeGreaterThan(0);
    expect(stats.lateResponses).toBeGreaterThan(0);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
  });

  it('no secret appears in any process output, webhook answer or workflow history of that run', async () => {
    const histories = await Promise.all(
      ticketIds.map(async (id) =>
        historyText(await rig.temporal.client.workflow.getHandle(workflowIdForTicket(id)).fetchHistory()),
      ),
    );
    const everything = [rig.service.output(), JSON.stringify(rig.service.answers), ...histories].join('\n');
    // The search sees what it must: decoded payloads (the customers' addresses) and the failures injected.
    expect(everything).toContain(rig.service.customerEmail(0));
    expect(everything).toMatch(/HTTP 50[023]/);
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });
});
