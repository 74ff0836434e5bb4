import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { printFigures, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import type { ServiceProcesses } from '../../harness/service-processes';
import { RecordedSandbox, type RecordedRequest } from '../../harness/recorded-sandbox';
import { chaosService } from './support/rig';
import { ChaosTemporal } from './support/temporal-server';

let temporal: ChaosTemporal;
const sandboxes: RecordedSandbox[] = [];
const services: ServiceProcesses[] = [];

beforeAll(async () => {
  temporal = await ChaosTemporal.onRunServer('rate-limit');
}, 120_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stopAll()));
  await Promise.all(sandboxes.map((s) => s.close()));
  await temporal?.close();
});

async function stack(rateLimit: { capacity: number; drainPerSecond: number }) {
  const sandbox = await RecordedSandbox.start({ rateLimit });
  sandboxes.push(sandbox);
  const service = await chaosService(temporal, sandbox);
  services.push(service);
  return { sandbox, service };
}

/** The fullest the sandbox's leaky bucket got, replayed from the arrival times of the admitted requests. */
function peakBucketLevel(requests: RecordedRequest[], drainPerSecond: number): number {
  let level = 0;
  let peak = 0;
  let last = requests[0]?.receivedAt ?? 0;
  for (const r of requests) {
    level = Math.max(0, level - ((r.receivedAt - last) / 1000) * drainPerSecond);
    last = r.receivedAt;
    if (r.status !== 429) level += 1;
    peak = Math.max(peak, level);
  }
  return Math.ceil(peak);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Gorgias's rate limit", () => {
  // Gorgias allows API-key integrations a burst of 40 and 2 calls a second (the service's default,
  // GORGIAS_RATE_LIMIT_WINDOW_SECONDS=20). At 2 a second a backlog of 100 tickets (300 calls) takes minutes, so the
  // scenario runs ten times faster on both sides: the same bucket drained at 20 a second, and the limit at 20.
  const LIMIT = { capacity: 40, drainPerSecond: 20 };
  const TICKETS = 100;

  it('two workers work off a backlog of 100 tickets within the limit they share, causing no 429', async () => {
    const { sandbox, service } = await stack(LIMIT);
    const ticketIds = await service.seedTickets(TICKETS, LIMIT.drainPerSecond - 1);
    // The backlog: every webhook is accepted while no worker runs.
    await service.startServer();
    const answers = await service.deliverAll(ticketIds, 10);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    await sleep((LIMIT.capacity / LIMIT.drainPerSecond) * 1000);
    const backlogStart = sandbox.requests.length;

    // Configured as docs/production.md tells an operator running two workers: each keeps room for the other's
    // calls it cannot see yet. (Left at 1, one CI run got a 429: more of the other worker's calls were in flight
    // than the 4 slots one worker keeps free.)
    const workerEnv = {
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: String(LIMIT.capacity / LIMIT.drainPerSecond),
      GORGIAS_WORKERS_SHARING_ACCOUNT: '2',
    };
    await Promise.all([service.startWorker(workerEnv), service.startWorker(workerEnv)]);
    const results = await service.results(ticketIds, 240_000);
    const backlog = sandbox.requests.slice(backlogStart);
    const peak = peakBucketLevel(backlog, LIMIT.drainPerSecond);
    const figures = tally(
      'rate limit, backlog, two workers',
      `${backlog.length} calls against a bucket of ${LIMIT.capacity} drained at ${LIMIT.drainPerSecond}/s ` +
        `(limit ${LIMIT.drainPerSecond}/s); fullest ${peak}/${LIMIT.capacity}`,
      sandbox,
      ticketIds,
      results,
      backlogStart,
    );
    printFigures(figures);

    // Both workers took part: the limit held across processes, not within one.
    const identities = new Set<string>();
    for (const ticketId of ticketIds.slice(0, 40)) {
      const history = await temporal.client.workflow.getHandle(workflowIdForTicket(ticketId)).fetchHistory();
      for (const event of history.events ?? []) {
        const identity = event.activityTaskStartedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
    expect(identities.size).toBe(2);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({
      replies: TICKETS,
      notes: TICKETS,
      duplicates: 0,
      lost: 0,
      rateLimited: 0,
    });
  });

  it('when it does get a 429, every retry waits at least the Retry-After Gorgias sent, and all tickets finish', async () => {
    // A service configured far above the account's limit (1000/s against Gorgias's drain of 2/s, with a
    // small bucket), so 429s are certain.
    const tight = { capacity: 5, drainPerSecond: 2 };
    const { sandbox, service } = await stack(tight);
    const ticketIds = await service.seedTickets(10, tight.drainPerSecond);
    await sleep((tight.capacity / tight.drainPerSecond) * 1000);
    const start = sandbox.requests.length;
    await service.startServer();
    await service.startWorker({ GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '0.04' });
    await service.deliverAll(ticketIds, 10);
    const results = await service.results(ticketIds, 180_000);
    const figures = tally(
      'rate limit exceeded on purpose',
      `limit 1000/s against a bucket of ${tight.capacity} drained at ${tight.drainPerSecond}/s`,
      sandbox,
      ticketIds,
      results,
      start,
    );
    printFigures(figures);

    const requests = sandbox.requests.slice(start);
    const limited = requests.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    // The retry of a call is the next call of the same ticket; calls that name no ticket (a customer's or an
    // integration's read) are matched by their URL, so two tickets' reads are not taken for one retried call.
    const sameCaller = (r: (typeof requests)[number], n: (typeof requests)[number]) =>
      r.ticketId === undefined || r.ticketId === null ? n.url === r.url : n.ticketId === r.ticketId;
    const earlyRetries = limited.flatMap((r) => {
      const next = requests.find((n) => sameCaller(r, n) && n.receivedAt > r.receivedAt);
      const waitedMs = next ? next.receivedAt - r.receivedAt : Infinity;
      const askedMs = (r.retryAfterSeconds ?? 0) * 1000;
      // 100 ms for the clocks of two processes reading one wall clock at slightly different moments.
      return waitedMs + 100 < askedMs ? [{ url: r.url, askedMs, waitedMs }] : [];
    });
    expect(earlyRetries).toEqual([]);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ duplicates: 0, lost: 0 });
  });
});
