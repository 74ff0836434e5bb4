import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { printFigures, tally, ticketsNotRepliedExactlyOnce } from './support/figures';
import { RecordedSandbox } from './support/recorded-sandbox';
import { ChaosService } from './support/service';
import { ChaosTemporal } from './support/temporal-server';

let temporal: ChaosTemporal;
let sandbox: RecordedSandbox;
let service: ChaosService;

beforeAll(async () => {
  temporal = await ChaosTemporal.start();
  sandbox = await RecordedSandbox.start();
  service = await ChaosService.create(temporal, sandbox);
}, 120_000);

afterAll(async () => {
  await service?.stopAll();
  await sandbox?.close();
  await temporal?.close();
});

const TICKETS = 100;

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a worker killed in the middle of a burst', () => {
  it('every ticket still ends with exactly one reply and one note once a new worker takes over', async () => {
    const ticketIds = await service.seedTickets(TICKETS);
    // Gorgias answers every call after a second: many calls are in flight when the worker dies, some of them
    // already committed by Gorgias (the sandbox commits first, then answers).
    sandbox.sandbox.setFaults({ latencyMs: 1000 });
    await service.startServer();
    const doomed = await service.startWorker();

    const postsAnswered = () =>
      sandbox.requests.filter((r) => r.method === 'POST' && r.url.includes('/messages') && r.status === 201)
        .length;
    const delivering = service.deliverAll(ticketIds, 20);
    await until(() => postsAnswered() >= 20 && sandbox.inFlight().length >= 10, 120_000);
    const inFlightAtKill = sandbox.inFlight();
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBeNull();
    const answers = await delivering;
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);

    await service.startWorker();
    const results = await service.results(ticketIds, 240_000);
    const figures = tally(
      'worker SIGKILLed mid-burst',
      `SIGKILL with ${inFlightAtKill.length} Gorgias calls in flight (${inFlightAtKill.filter((r) => r.method === 'POST').length} posts)`,
      sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);

    expect(inFlightAtKill.length).toBeGreaterThan(0);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
  });
});
