import { join } from 'node:path';
import { startTicketWorkflow } from '../../src/temporal/ticket-start';
import {
  callLoad,
  cpuSeconds,
  httpLoad,
  RssSampler,
  summarize,
  type LoadRun,
  type LoadSummary,
} from '../load';
import { readyWhen, startNodeProcess } from '../../test/support/service-processes';
import { freePort, ScenarioStack, sleep, WEBHOOK_SECRET, type TemporalForBench } from '../stack';

export interface IntakeResult {
  intake: LoadSummary;
  /** Ceiling (a): signal-with-start straight from a Temporal client, same concurrency and time. */
  ceilingA: LoadSummary;
  /** Ceiling (b): the webhook app answering without calling Temporal. */
  ceilingB: LoadSummary;
  footprint: { workerPeakRssMb: number; serverPeakRssMb: number; workerHwmMb: number; serverHwmMb: number };
  /** Cores used by each process during each kind of run (CPU seconds / wall seconds): what bounds it. */
  cores: Record<'intake' | 'ceilingA' | 'ceilingB', Record<ProcessName, number>>;
}

type ProcessName = 'temporal' | 'worker' | 'server' | 'httpOnly' | 'bench';

// Ticket ids of the three runs never meet: each has its own range (and the scenario its own task queue).
const INTAKE_FIRST_ID = 10_000_000;
const CEILING_A_FIRST_ID = 20_000_000;
const CEILING_B_FIRST_ID = 30_000_000;
const WARMUP_SECONDS = 1;
/** The intake's default WEBHOOK_TEMPORAL_TIMEOUT_MS. */
const TEMPORAL_TIMEOUT_MS = 5000;

/**
 * Scenario 1 (and 5, the footprint): webhook intake at fixed concurrency against its two ceilings. The service
 * and ceiling (a) run as two halves each in A-B-B-A order, so a drift in machine load during the run falls on
 * both alike; ceiling (b) runs once. The worker polls the same task queue throughout, at the production rate
 * limit (2 activities/s), so Temporal does the same work behind both the service and ceiling (a).
 */
export async function runIntake(
  temporal: TemporalForBench,
  options: { connections: number; seconds: number; profileDir: string | null },
  log: (line: string) => void,
): Promise<IntakeResult> {
  const stack = await ScenarioStack.start(temporal, {
    name: 'intake',
    firstTicketId: INTAKE_FIRST_ID,
    rateLimit: false,
    workerRatePerSecond: 2,
    processEnv: options.profileDir
      ? {
          NODE_OPTIONS: `--require ${join(__dirname, '..', 'profile-preload.js')}`,
          BENCH_PROFILE_DIR: options.profileDir,
        }
      : undefined,
  });
  const httpOnly = await startHttpOnlyServer(stack.taskQueue);
  const samplers = {
    worker: new RssSampler(stack.worker?.pid ?? -1),
    server: new RssSampler(stack.server.pid),
  };
  try {
    let intakeId = INTAKE_FIRST_ID;
    let ceilingAId = CEILING_A_FIRST_ID;
    let ceilingBId = CEILING_B_FIRST_ID;
    const headers = { Authorization: `Bearer ${WEBHOOK_SECRET}`, 'Content-Type': 'application/json' };
    const intakeRun = (seconds: number) =>
      httpLoad({
        url: `${stack.intakeUrl}/webhooks/gorgias?event=ticket-created`,
        connections: options.connections,
        seconds,
        headers,
        body: () => JSON.stringify({ ticket_id: intakeId++ }),
        ok: (status) => status === 202,
      });
    const ceilingBRun = (seconds: number) =>
      httpLoad({
        url: `${httpOnly.url}/webhooks/gorgias?event=ticket-created`,
        connections: options.connections,
        seconds,
        headers,
        body: () => JSON.stringify({ ticket_id: ceilingBId++ }),
        ok: (status) => status === 202,
      });
    const ceilingARun = (seconds: number) =>
      // Exactly the call the intake makes for a `{ ticket_id }` delivery, from this process's client.
      callLoad(options.connections, seconds, () =>
        startTicketWorkflow(
          temporal.client,
          stack.taskQueue,
          {
            ticketId: ceilingAId++,
            delivery: { trigger: 'ticket-created', receivedAt: new Date().toISOString() },
          },
          TEMPORAL_TIMEOUT_MS,
        ),
      );

    const pids: Record<Exclude<ProcessName, 'bench' | 'temporal'>, number | null> = {
      worker: stack.worker?.pid ?? null,
      server: stack.server.pid,
      httpOnly: httpOnly.pid,
    };
    // The dev server; on the cluster both nodes and PostgreSQL's processes (taken after the warm-up, once its
    // connection pools are open).
    let temporalPids: number[] = [];
    const cpuOf = (pid: number | null) => (pid === null ? NaN : cpuSeconds(pid));
    const cpuNow = (): Record<ProcessName, number> => {
      const self = process.cpuUsage();
      return {
        temporal:
          temporalPids.length === 0
            ? NaN
            : temporalPids.reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0),
        worker: cpuOf(pids.worker),
        server: cpuOf(pids.server),
        httpOnly: cpuOf(pids.httpOnly),
        bench: (self.user + self.system) / 1e6,
      };
    };
    const zero = (): Record<ProcessName, number> => ({
      temporal: 0,
      worker: 0,
      server: 0,
      httpOnly: 0,
      bench: 0,
    });
    const used = { intake: zero(), ceilingA: zero(), ceilingB: zero() };
    const wall = { intake: 0, ceilingA: 0, ceilingB: 0 };
    const measured = async (kind: keyof typeof used, run: () => Promise<LoadRun>) => {
      const before = cpuNow();
      const result = await run();
      const after = cpuNow();
      for (const name of Object.keys(before) as ProcessName[]) used[kind][name] += after[name] - before[name];
      wall[kind] += result.seconds;
      return result;
    };

    log(`  warm-up (${WARMUP_SECONDS} s each)`);
    await ceilingBRun(WARMUP_SECONDS);
    await ceilingARun(WARMUP_SECONDS);
    await intakeRun(WARMUP_SECONDS);
    temporalPids = temporal.topology.serverPids();

    const half = options.seconds / 2;
    log(`  ceiling (b), HTTP only: ${options.seconds} s at ${options.connections} connections`);
    const b = await measured('ceilingB', () => ceilingBRun(options.seconds));
    const a: LoadRun[] = [];
    const intake: LoadRun[] = [];
    log(`  ceiling (a) and the service, A-B-B-A, ${half} s each`);
    a.push(await measured('ceilingA', () => ceilingARun(half)));
    intake.push(await measured('intake', () => intakeRun(half)));
    intake.push(await measured('intake', () => intakeRun(half)));
    a.push(await measured('ceilingA', () => ceilingARun(half)));
    await sleep(200);

    const worker = samplers.worker.stop();
    const server = samplers.server.stop();
    return {
      intake: summarize(intake),
      ceilingA: summarize(a),
      ceilingB: summarize([b]),
      footprint: {
        workerPeakRssMb: worker.peakRssMb,
        serverPeakRssMb: server.peakRssMb,
        workerHwmMb: worker.hwmMb,
        serverHwmMb: server.hwmMb,
      },
      cores: {
        intake: perWall(used.intake, wall.intake),
        ceilingA: perWall(used.ceilingA, wall.ceilingA),
        ceilingB: perWall(used.ceilingB, wall.ceilingB),
      },
    };
  } finally {
    samplers.worker.stop();
    samplers.server.stop();
    await httpOnly.stop();
    await stack.stop();
  }
}

function perWall(cpu: Record<ProcessName, number>, seconds: number): Record<ProcessName, number> {
  const out = { ...cpu };
  for (const name of Object.keys(out) as ProcessName[])
    out[name] = Math.round((cpu[name] / seconds) * 100) / 100;
  return out;
}

async function startHttpOnlyServer(
  taskQueue: string,
): Promise<{ url: string; pid: number | null; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startNodeProcess(
    join(__dirname, '..', 'http-only-server.js'),
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      WEBHOOK_SECRET,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'warn',
    },
    readyWhen.httpOk(`${url}/healthz`),
    { name: 'the HTTP-only intake', timeoutMs: 30_000 },
  );
  return {
    url,
    pid: server.pid,
    stop: async () => {
      await server.stop('SIGTERM', 5000);
    },
  };
}
