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
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the webhook server restarted during a burst', () => {
  it('loses no delivery it answered 202, through a graceful restart and a crash', async () => {
    const ticketIds = await service.seedTickets(TICKETS);
    await service.startWorker();
    let server = await service.startServer();

    // Gorgias's side: about 10 deliveries a second for 10 s, each retried (bounded) while the server is away.
    const delivering = service.deliverAll(ticketIds, 5, 500);
    await until(() => service.answers.length >= TICKETS / 3, 60_000);
    await server.stop('SIGTERM');
    server = await service.startServer();
    await until(() => service.answers.length >= (2 * TICKETS) / 3, 60_000);
    server.child.kill('SIGKILL');
    await server.exited;
    await service.startServer();
    const finalAnswers = await delivering;

    const accepted = new Set(service.answers.filter((a) => a.status === 202).map((a) => a.ticketId));
    const failedAttempts = service.answers.filter((a) => a.status !== 202);
    const results = await service.results(ticketIds, 180_000);
    const figures = tally(
      'webhook server restarted',
      `SIGTERM then SIGKILL of the webhook server mid-burst; ${failedAttempts.length} delivery attempts failed and were retried`,
      sandbox,
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
