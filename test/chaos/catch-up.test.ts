import axios from 'axios';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CATCH_UP_SCHEDULE_ID } from '../../src/temporal/catch-up-schedule';
import type { NewTicket } from '../../src/gorgias/schemas';
import { workflowIdForTicket, type CatchUpResult } from '../../src/temporal/definitions';
import { minutesAgo } from '../support/clock';
import { printFigures, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import { exposedMetricNames, metricsReadByRules, shippedAlertRules } from '../support/alert-rules';
import { RecordedSandbox } from '../../harness/recorded-sandbox';
import type { ServiceProcesses } from '../../harness/service-processes';
import { freePort, waitUntil } from '../../harness/waiting';
import { chaosService } from './support/rig';
import { ChaosTemporal } from './support/temporal-server';
import { TemporalProxy } from './support/temporal-proxy';

/**
 * The catch-up Schedule on the built service: a Temporal that refuses to start one ticket's workflow, and a ticket
 * Gorgias lists late, behind a newer one. Every webhook is lost (none is delivered). Each ticket must still get
 * exactly one reply, from a later run; what the listing shows cannot be due costs no call; and the worker's
 * /metrics shows every metric the alerting rules (deploy/prometheus) read.
 */

let temporal: ChaosTemporal;
let sandbox: RecordedSandbox;
let proxy: TemporalProxy;
let service: ServiceProcesses;

beforeAll(async () => {
  temporal = await ChaosTemporal.onRunServer('catch-up');
  sandbox = await RecordedSandbox.start();
  proxy = await TemporalProxy.start(temporal.address);
  service = await chaosService(temporal, sandbox, proxy.address);
}, 120_000);

afterAll(async () => {
  await service?.stopAll();
  await proxy?.close();
  await sandbox?.close();
  await temporal?.close();
});

/** The results of the catch-up runs so far, oldest first. */
async function catchUpRuns(): Promise<CatchUpResult[]> {
  const schedule = temporal.client.schedule.getHandle(CATCH_UP_SCHEDULE_ID);
  const results: CatchUpResult[] = [];
  for (const { action } of (await schedule.describe()).info.recentActions) {
    const run = temporal.client.workflow.getHandle(action.workflow.workflowId);
    if ((await run.describe()).status.name === 'COMPLETED') results.push(await run.result());
  }
  return results;
}

async function scrape(url: string): Promise<string> {
  return (await axios.get<string>(url, { responseType: 'text' })).data;
}

describe('the catch-up with a failed start and a late-listed ticket', () => {
  it('every lost ticket is replied to exactly once by a later run; nothing is read for a ticket that cannot be due', async () => {
    // Lost webhooks, older than the minute a webhook is given; the failing and the late ones were created before
    // the others, so a run that moves on to the newest ticket it saw leaves them behind.
    const seedOne = async (minutes: number, overrides: Partial<NewTicket> = {}) =>
      (await service.seedTickets(1, 1000, { created_datetime: minutesAgo(minutes), ...overrides }))[0];
    const failing = await seedOne(13);
    const late = await seedOne(12.5);
    const newer = await seedOne(12);
    const lost = await seedOne(12);
    const spam = await seedOne(12, { spam: true });
    const chat = await seedOne(12, { channel: 'chat' });
    const ids = { failing, late, newer, lost, spam, chat } as Record<string, number>;
    proxy.refusing.add(workflowIdForTicket(ids.failing as number));
    sandbox.sandbox.setListed(ids.late as number, false);

    const metricsPort = await freePort();
    await service.startServer();
    await service.startWorker({ METRICS_HOST: '127.0.0.1', METRICS_PORT: String(metricsPort) });
    // The worker created the Schedule from the policy (every 5 minutes): run it every 10 s instead.
    await temporal.client.schedule
      .getHandle(CATCH_UP_SCHEDULE_ID)
      .update((previous) => ({ ...previous, spec: { intervals: [{ every: '10s' }] } }));

    // A run starts the others and cannot start the failing one.
    await waitUntil(
      async () => (await catchUpRuns()).some((r) => r.notStarted?.includes(ids.failing as number)),
      120_000,
    );
    const refusedRun = (await catchUpRuns()).find((r) => r.notStarted?.includes(ids.failing as number));
    expect(refusedRun?.started.sort()).toEqual([ids.newer, ids.lost].sort());
    expect(refusedRun?.filtered).toMatchObject({ spam: 1, 'outside-channel': 1 });
    // Later runs still hold their checkpoint at the failing ticket, however many pass.
    await waitUntil(async () => (await catchUpRuns()).length >= 3, 60_000);
    expect(await service.results([ids.failing as number], 1_000)).toEqual(
      new Map([[ids.failing, expect.objectContaining({ name: 'WorkflowNotFoundError' })]]),
    );

    // Temporal takes the start again, and Gorgias lists the late ticket.
    proxy.refusing.clear();
    sandbox.sandbox.setListed(ids.late as number, true);
    const answered = [ids.failing, ids.late, ids.newer, ids.lost] as number[];
    const results = await service.results(answered, 120_000, { untilStarted: true });

    const figures = tally(
      'catch-up: failed start, late-listed ticket',
      `${proxy.refused.length} starts refused; late ticket listed after ${(await catchUpRuns()).length} runs`,
      sandbox,
      answered,
      results,
    );
    printFigures(figures);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ duplicates: 0, lost: 0 });
    // No workflow, and not one API call about them: the listing said all there was to know.
    for (const ticketId of [ids.spam, ids.chat] as number[]) {
      expect(await service.results([ticketId], 1_000)).toEqual(
        new Map([[ticketId, expect.objectContaining({ name: 'WorkflowNotFoundError' })]]),
      );
      expect(sandbox.requests.filter((r) => r.ticketId === ticketId && r.method !== 'POST')).toEqual([]);
    }

    // The tickets only the catch-up found, twelve minutes old: the webhooks look dead.
    await waitUntil(() => service.output().includes('were found only by the catch-up'), 30_000);
    const worker = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    const server = await scrape(`${service.intakeUrl}/metrics`);
    expect(worker).toMatch(/^autoreply_webhook_silent_runs\{[^}]*\} [1-9]/m);
    expect(worker).toMatch(/^autoreply_catch_up_tickets\{[^}]*class="start-failed"[^}]*\} [1-9]/m);
    expect(worker).toMatch(
      /^autoreply_tickets_due\{[^}]*found_by="catch-up"[^}]*result="acknowledged"[^}]*\} 4/m,
    );
    expect(worker).toMatch(/^autoreply_acknowledgement_seconds_count\{[^}]*\} 4$/m);

    // Every metric the alerting rules read is one these processes export, under that very name.
    const exported = exposedMetricNames(`${worker}\n${server}`);
    expect(metricsReadByRules(shippedAlertRules()).filter((name) => !exported.has(name))).toEqual([]);
  });
});
