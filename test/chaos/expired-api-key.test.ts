import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { workflowIdForTicket, type AutoReplyResult } from '../../src/temporal/definitions';
import { waitUntil } from '../../harness/waiting';
import {
  notesByKind,
  printFigures,
  repeatedNotes,
  tally,
  ticketsNotRepliedExactlyOnce,
} from '../support/figures';
import { useChaosRig } from './support/rig';
import { temporalCli, waitForBatch } from './support/temporal-cli';

const rig = useChaosRig();

const TICKETS = 20;
// Long enough for every delivery of the burst to fail while it lasts; no timeout of the service is this long.
const OUTAGE_MS = 30_000;
/** docs/production.md's "retry all failed tickets" command, word for word. */
const RETRY_ALL = [
  'workflow',
  'reset',
  '--query',
  'AutoReplyOutcome = "failed" AND ExecutionStatus = "Failed"',
  '--type',
  'FirstWorkflowTask',
  '--reason',
  'retry after fix',
  '--yes',
];

let ticketIds: number[] = [];
/** When the operator ran the retry-all command the first time. */
let retriedAt = '';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a failed ticket shows an operator: its workflow's status, failure and search attributes. */
async function failureShown(ticketId: number) {
  const handle = rig.temporal.client.workflow.getHandle(workflowIdForTicket(ticketId));
  const description = await handle.describe();
  const failure = await handle.result().then(
    () => null,
    (err: unknown) => (err as { cause?: unknown }).cause,
  );
  const details = failure instanceof ApplicationFailure ? (failure.details?.[0] as { reason?: string }) : {};
  return {
    ticketId,
    runId: description.runId,
    status: description.status.name,
    failureType: failure instanceof ApplicationFailure ? failure.type : String(failure),
    failureReason: details?.reason,
    outcome: description.searchAttributes.AutoReplyOutcome?.[0],
    reason: description.searchAttributes.AutoReplyReason?.[0],
  };
}

describe('the Gorgias API key refused for 30 s (401 on every call)', () => {
  it('every ticket delivered meanwhile fails visibly as gorgias-auth; the documented retry-all answers each once', async () => {
    ticketIds = await rig.service.seedTickets(TICKETS);
    await rig.service.startServer();
    // A reset run's reply waits GORGIAS_UNKNOWN_OUTCOME_WAIT_MS from the reset before it looks for what the runs it
    // replaced may have posted (30 s by default): 5 s here, still longer than the rig's 2 s HTTP timeout.
    await rig.service.startWorker({ GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: '5000' });

    // The key "expires": every API call is refused 401 (after the sandbox's own auth, which the key passes).
    const outageStart = Date.now();
    rig.sandbox.sandbox.setFaults({ errorRate: 1, errorStatuses: [401] });
    const seenBefore = rig.sandbox.requests.length;
    // One delivery every 0.9 s, through most of the outage.
    const answers = await rig.service.deliverAll(ticketIds, 1, (OUTAGE_MS * 0.6) / TICKETS);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    const failedRuns = await rig.service.results(ticketIds, outageStart + OUTAGE_MS - Date.now() - 2000);

    const shown = await Promise.all(ticketIds.map(failureShown));
    const duringOutage = rig.sandbox.requests.slice(seenBefore);
    const refused = duringOutage.filter((r) => r.status === 401).length;
    // The hand-back was attempted: a tag and a note, each refused 401 like everything else.
    const handBackTried = ticketIds.filter(
      (id) =>
        duringOutage.some((r) => r.ticketId === id && r.method === 'POST' && r.url.endsWith('/tags')) &&
        duringOutage.some((r) => r.ticketId === id && r.method === 'POST' && r.url.endsWith('/messages')),
    ).length;
    const failedQuery =
      'AutoReplyOutcome = "failed" AND AutoReplyReason = "gorgias-auth" AND ExecutionStatus = "Failed"';
    await waitUntil(
      async () => (await rig.temporal.client.workflow.count(failedQuery)).count === TICKETS,
      10_000,
      250,
    );
    expect([...failedRuns.values()].map((r) => (r instanceof Error ? r.name : r.outcome))).toEqual(
      ticketIds.map(() => 'WorkflowFailedError'),
    );
    expect(shown.filter((s) => s.status !== 'FAILED' || s.failureType !== 'AutoReplyFailed')).toEqual([]);
    expect(shown.filter((s) => s.outcome !== 'failed' || s.reason !== 'gorgias-auth')).toEqual([]);
    expect(shown.filter((s) => s.failureReason !== 'gorgias-auth')).toEqual([]);
    expect(handBackTried).toBe(TICKETS);
    // Nothing could be written, so nothing was: no message of ours on any ticket yet.
    expect(ticketIds.filter((id) => Object.keys(notesByKind(rig.sandbox, id)).length > 0)).toEqual([]);

    // The key is renewed at the end of the outage; then the operator runs the documented command.
    await sleep(outageStart + OUTAGE_MS - Date.now());
    rig.sandbox.sandbox.setFaults({ errorRate: 0 });
    retriedAt = new Date().toISOString();
    const retried = await temporalCli(rig.temporal, RETRY_ALL);
    console.log(`[chaos] ${retried.command}\n${retried.stdout}${retried.stderr}`);
    expect(retried.code).toBe(0);
    const job = await waitForBatch(rig.temporal, retried);
    expect(job).toMatchObject({ state: 'BATCH_OPERATION_STATE_COMPLETED' });

    // The batch resets each failed run: a new run of each ticket's workflow, which must end replied.
    const failedRunIds = new Map(shown.map((s) => [s.ticketId, s.runId]));
    await waitUntil(
      async () => {
        const current = await Promise.all(
          ticketIds.map(
            async (id) =>
              (await rig.temporal.client.workflow.getHandle(workflowIdForTicket(id)).describe()).runId,
          ),
        );
        return current.every((runId, i) => runId !== failedRunIds.get(ticketIds[i] as number));
      },
      60_000,
      500,
    );
    const results = await rig.service.results(ticketIds, 120_000);
    const figures = tally(
      'API key refused for 30 s',
      `every call answered 401 for ${OUTAGE_MS / 1000} s (${refused} calls refused); ${TICKETS} tickets delivered ` +
        `meanwhile all ended failed/gorgias-auth (workflow Failed, AutoReplyFailed; tag and note tried, refused); ` +
        `then \`${retried.command}\` (batch: ${String(job.completeOperationCount)} of ${String(job.totalOperationCount)} resets done, ${String(job.failureOperationCount ?? 0)} failed)`,
      rig.sandbox,
      ticketIds,
      results as Map<number, AutoReplyResult | Error>,
    );
    printFigures(figures);

    expect(repeatedNotes(rig.sandbox, ticketIds)).toEqual([]);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
  });

  it('running the retry-all command again sends nothing twice (the query matches the old failed runs again)', async () => {
    const postsBefore = rig.sandbox.requests.filter((r) => r.method === 'POST').length;
    // The failed runs stay in visibility after their reset, so the query still matches them; narrowed to what
    // failed after the first retry, it matches none (no reset run failed).
    const query = RETRY_ALL[3] as string;
    const { count: stillMatching } = await rig.temporal.client.workflow.count(query);
    const { count: failedSince } = await rig.temporal.client.workflow.count(
      `${query} AND CloseTime > "${retriedAt}"`,
    );
    expect({ stillMatching, failedSince }).toEqual({ stillMatching: TICKETS, failedSince: 0 });

    const again = await temporalCli(rig.temporal, RETRY_ALL);
    expect(again.code).toBe(0);
    const job = await waitForBatch(rig.temporal, again);
    // Each old failed run is reset once more: a new run of every ticket, which looks before it posts.
    const results = await rig.service.results(ticketIds, 60_000);
    const outcomes: Record<string, number> = {};
    for (const r of results.values()) {
      const o = r instanceof Error ? r.name : r.outcome === 'skipped' ? `skipped/${r.reason}` : r.outcome;
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    const posts = rig.sandbox.requests.filter((r) => r.method === 'POST').length - postsBefore;
    console.log(
      `[chaos] retry-all run a second time: batch ${String(job.state)}; the new runs ended ` +
        `${Object.entries(outcomes)
          .map(([o, n]) => `${o} ×${n}`)
          .join(', ')}; ${posts} POSTs`,
    );
    expect(posts).toBe(0);
    expect(repeatedNotes(rig.sandbox, ticketIds)).toEqual([]);
    const figures = tally('retry-all twice', '', rig.sandbox, ticketIds, results);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0 });
  });
});
