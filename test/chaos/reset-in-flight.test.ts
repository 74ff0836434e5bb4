import { describe, expect, it } from '@jest/globals';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { printFigures, repeatedNotes, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import { waitUntil } from '../../harness/waiting';
import { useChaosRig } from './support/rig';
import { temporalCli, type CliRun } from './support/temporal-cli';

const rig = useChaosRig();

const TICKETS = 8;
// Every POST is held 4–6 s before Gorgias commits it, and the worker gives up on it after 2 s: the reply's
// outcome is unknown when the operator resets the ticket, and the reply lands seconds into the reset run.
const HTTP_TIMEOUT_MS = 2000;
const LATE_COMMIT_MS: [number, number] = [4000, 6000];
const UNKNOWN_OUTCOME_WAIT_MS = 10_000;

describe('an operator resets a ticket while its reply is still on its way to Gorgias', () => {
  it('the reset run finds the reply once it lands, and posts no second one', async () => {
    const ticketIds = await rig.service.seedTickets(TICKETS);
    const seeded = rig.sandbox.requests.length;
    rig.sandbox.sandbox.setFaults({ lateCommitRate: 1, lateCommitMs: LATE_COMMIT_MS, methods: ['POST'] });
    await rig.service.startServer();
    await rig.service.startWorker({
      GORGIAS_HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS),
      GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: String(UNKNOWN_OUTCOME_WAIT_MS),
    });
    const answers = await rig.service.deliverAll(ticketIds, 10);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);

    // As soon as a ticket's first POST (its reply) reaches Gorgias, reset the ticket to its start (the Web
    // UI's Reset on the first workflow task).
    const firstPost = (ticketId: number) =>
      rig.sandbox.requests
        .slice(seeded)
        .find((r) => r.method === 'POST' && r.ticketId === ticketId && r.url.includes('/messages'));
    const failed: CliRun[] = [];
    const resetWhilePending: number[] = [];
    await Promise.all(
      ticketIds.map(async (ticketId) => {
        await waitUntil(() => firstPost(ticketId) !== undefined, 60_000);
        const run = await temporalCli(rig.temporal, [
          'workflow',
          'reset',
          '--workflow-id',
          workflowIdForTicket(ticketId),
          '--type',
          'FirstWorkflowTask',
          '--reason',
          'chaos: reset while the reply is in flight',
        ]);
        if (run.code !== 0) failed.push(run);
        // The reset happened before Gorgias committed the reply: what this test is about.
        if (firstPost(ticketId)?.status === undefined) resetWhilePending.push(ticketId);
      }),
    );
    expect(failed).toEqual([]);

    const results = await rig.service.results(ticketIds, 180_000);
    const figures = tally(
      'reset while the reply is in flight',
      `${TICKETS} tickets reset to their first workflow task just after their reply's POST reached Gorgias ` +
        `(${resetWhilePending.length} before Gorgias had committed it); every POST committed ` +
        `${LATE_COMMIT_MS[0] / 1000}–${LATE_COMMIT_MS[1] / 1000} s late (HTTP timeout ${HTTP_TIMEOUT_MS / 1000} s, ` +
        `unknown-outcome wait ${UNKNOWN_OUTCOME_WAIT_MS / 1000} s)`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);

    expect(resetWhilePending.length).toBeGreaterThan(TICKETS / 2);
    expect(repeatedNotes(rig.sandbox, ticketIds)).toEqual([]);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, duplicates: 0, lost: 0 });
  });
});
