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
import { readyWhen, startNodeProcess } from '../../harness/service-processes';
import { MemoryProbe, type MemoryPhase } from '../memory';
import { r2 } from '../numbers';
import { loadConfig } from '../../src/config';
import { workerTuning, type WorkerTuning } from '../../src/worker';
import {
  freePort,
  ScenarioStack,
  sleep,
  WEBHOOK_SECRET,
  WORKER_RUNTIME_ENV,
  type TemporalForBench,
} from '../stack';

/** One round: ceiling (a) and the service back to back (in alternating order), and how they compare. */
export interface IntakeRound {
  /** Which ran first in this round. */
  first: 'ceilingA' | 'intake';
  intakeRps: number;
  ceilingARps: number;
  intakeP99Ms: number;
  ceilingAP99Ms: number;
  /** intake / ceiling (a): requests a second, and p99. */
  rpsRatio: number;
  p99Ratio: number;
}

/** `--bare-relay`: the same call behind a bare Node HTTP server in its own process, in the same round. */
export interface RelayRound {
  relayRps: number;
  relayP99Ms: number;
  relayToCeilingA: number;
  intakeToRelay: number;
  relayP99ToCeilingA: number;
  intakeP99ToRelay: number;
}

/** One run against another of the same round: its rate and p99, and their ratios to the other's. */
export interface Compared {
  rps: number;
  p99Ms: number;
  rpsRatio: number;
  p99Ratio: number;
}

/** `--aa-check`: ceiling (a) run a second time in the same round, against ceiling (a). Identical arms: any
 * distance of the ratios from 1 is noise. */
export type AaRound = Compared;

/** The median of per-round values, with their spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** The middle half of the rounds lies between these. */
  q1: number;
  q3: number;
}

export interface IntakeResult {
  intake: LoadSummary;
  /** Ceiling (a): signal-with-start straight from a Temporal client, same concurrency and time. */
  ceilingA: LoadSummary;
  /** Ceiling (b): the webhook app answering without calling Temporal. */
  ceilingB: LoadSummary;
  /** Per round (service vs ceiling (a) in alternating order), and the medians of their ratios. */
  rounds: IntakeRound[];
  rpsRatio: Spread;
  p99Ratio: Spread;
  bareRelay?: {
    rounds: RelayRound[];
    relayToCeilingA: Spread;
    intakeToRelay: Spread;
    relayP99ToCeilingA: Spread;
    intakeP99ToRelay: Spread;
  };
  aaCheck?: {
    rounds: AaRound[];
    rpsRatio: Spread;
    p99Ratio: Spread;
  };
  footprint: {
    workerPeakRssMb: number;
    serverPeakRssMb: number;
    workerHwmMb: number;
    serverHwmMb: number;
    /** The worker's own process.memoryUsage() at its phases and the bench's. */
    workerPhases: MemoryPhase[];
    /** WORKER_MAX_CACHED_WORKFLOWS and WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, as the worker ran with them. */
    workerTuning: WorkerTuning;
    /** MALLOC_ARENA_MAX and NODE_OPTIONS of the worker process. */
    workerRuntimeEnv: Record<string, string>;
  };
  /** Cores used by each process during each kind of run (CPU seconds / wall seconds): what bounds it. */
  cores: Record<'intake' | 'ceilingA' | 'ceilingB', Record<ProcessName, number>> & {
    relay?: Record<ProcessName, number>;
  };
  /**
   * CPU milliseconds each process spent per delivery (per call for ceiling (a)). On two cores the processes
   * share, what the caller's side spends more is CPU Temporal does not get.
   */
  cpuMsPerCall: Record<'intake' | 'ceilingA', Record<ProcessName, number>> & {
    /** With --bare-relay: the relay's arm, so Temporal's CPU per call can be compared across all three. */
    relay?: Record<ProcessName, number>;
  };
  /** The webhook server's CPU milliseconds per delivery in each 3 s window of its warm-up, in order. */
  warmupServerCpuMsPerCall: number[];
}

/** `relay` is the --bare-relay process (NaN without it). */
type ProcessName = 'temporal' | 'worker' | 'server' | 'httpOnly' | 'relay' | 'bench';

// Ticket ids of the runs never meet: each arm has its own range (and the scenario its own task queue).
const INTAKE_FIRST_ID = 10_000_000;
const CEILING_A_FIRST_ID = 20_000_000;
const CEILING_B_FIRST_ID = 30_000_000;
const RELAY_FIRST_ID = 35_000_000;
const AA_FIRST_ID = 40_000_000;
/** The intake's default WEBHOOK_TEMPORAL_TIMEOUT_MS. */
const TEMPORAL_TIMEOUT_MS = 5000;
const AFTER_LOAD_MS = 5000;
/** The service's warm-up runs in windows this long, at least --warmup seconds and until it has settled: */
const WARMUP_WINDOW_SECONDS = 3;
/** its CPU per delivery in the last three windows within 10 % of each other, */
const WARMUP_SETTLED_WINDOWS = 3;
const WARMUP_SETTLED = 1.1;
/** or --warmup times this at most. */
const WARMUP_MAX_FACTOR = 4;

/**
 * Scenario 1 (and 5, the footprint): webhook intake at fixed concurrency against its two ceilings. The service
 * and ceiling (a) run in rounds, each round one short run of each, alternating which goes first (A-B, B-A, ...),
 * so a drift in machine load falls on both alike; each round gives a ratio, and the medians of those ratios
 * (with their spread) are the figures, so one noisy second decides one round, not the result. Ceiling (b)
 * runs once. The worker polls the same task queue throughout, at the production rate
 * limit (2 activities/s), so Temporal does the same work behind both the service and ceiling (a).
 */
export async function runIntake(
  temporal: TemporalForBench,
  options: {
    connections: number;
    /** Seconds of the service (and as many of ceiling (a)), split over the rounds. */
    seconds: number;
    rounds: number;
    /** Seconds of load on each arm before measuring (the JIT's warm-up; see BenchFlags.warmup); the service's
     * goes on until its CPU per delivery has settled. */
    warmupSeconds: number;
    profileDir: string | null;
    /** Also run the bare relay (bench/bare-relay-server.ts) in every round. */
    bareRelay?: boolean;
    /** Also run ceiling (a) a second time in every round and compare it with itself (an A/A check). */
    aaCheck?: boolean;
    /** Extra environment of the worker and webhook server (e.g. WORKER_MAX_CACHED_WORKFLOWS). */
    serviceEnv?: Record<string, string>;
  },
  log: (line: string) => void,
): Promise<IntakeResult> {
  const stack = await ScenarioStack.start(temporal, {
    name: 'intake',
    firstTicketId: INTAKE_FIRST_ID,
    rateLimit: false,
    workerRatePerSecond: 2,
    processEnv: {
      ...options.serviceEnv,
      ...(options.profileDir
        ? {
            NODE_OPTIONS: `--require ${join(__dirname, '..', 'profile-preload.js')}`,
            BENCH_PROFILE_DIR: options.profileDir,
          }
        : {}),
    },
  });
  const memory = new MemoryProbe(stack.worker);
  const httpOnly = await startHttpOnlyServer(stack.taskQueue);
  const relay = options.bareRelay
    ? await startHttpOnlyServer(stack.taskQueue, 'bare-relay-server.js', {
        TEMPORAL_ADDRESS: temporal.address,
      })
    : null;
  const samplers = {
    worker: new RssSampler(stack.worker?.pid ?? -1),
    server: new RssSampler(stack.server.pid),
  };
  try {
    let intakeId = INTAKE_FIRST_ID;
    let ceilingAId = CEILING_A_FIRST_ID;
    let ceilingBId = CEILING_B_FIRST_ID;
    const headers = { Authorization: `Bearer ${WEBHOOK_SECRET}`, 'Content-Type': 'application/json' };
    let relayId = RELAY_FIRST_ID;
    let aaId = AA_FIRST_ID;
    /** A run of new-ticket deliveries to the webhook at `baseUrl`, the n-th with ticket id `nextId()`. */
    const deliveries = (baseUrl: string, nextId: () => number) => (seconds: number) =>
      httpLoad({
        url: `${baseUrl}/webhooks/gorgias?event=ticket-created`,
        connections: options.connections,
        seconds,
        headers,
        body: () => JSON.stringify({ ticket_id: nextId() }),
        ok: (status) => status === 202,
      });
    const intakeRun = deliveries(stack.intakeUrl, () => intakeId++);
    const ceilingBRun = deliveries(httpOnly.url, () => ceilingBId++);
    const relayRun = deliveries(relay?.url ?? '', () => relayId++);
    /** A run of signal-with-starts from this process's client, the n-th for ticket id `nextId()`. */
    const signalWithStarts = (nextId: () => number) => (seconds: number) =>
      // Exactly the call the intake makes for a `{ ticket_id }` delivery.
      callLoad(options.connections, seconds, () =>
        startTicketWorkflow(
          temporal.client,
          stack.taskQueue,
          {
            ticketId: nextId(),
            delivery: { trigger: 'ticket-created', receivedAt: new Date().toISOString() },
          },
          TEMPORAL_TIMEOUT_MS,
        ),
      );
    const ceilingARun = signalWithStarts(() => ceilingAId++);
    const aaRun = signalWithStarts(() => aaId++);

    const pids: Record<Exclude<ProcessName, 'bench' | 'temporal'>, number | null> = {
      worker: stack.worker?.pid ?? null,
      server: stack.server.pid,
      httpOnly: httpOnly.pid,
      relay: relay?.pid ?? null,
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
        relay: cpuOf(pids.relay),
        bench: (self.user + self.system) / 1e6,
      };
    };
    const zero = (): Record<ProcessName, number> => ({
      temporal: 0,
      worker: 0,
      server: 0,
      httpOnly: 0,
      relay: 0,
      bench: 0,
    });
    const used = { intake: zero(), ceilingA: zero(), ceilingB: zero(), relay: zero() };
    const wall = { intake: 0, ceilingA: 0, ceilingB: 0, relay: 0 };
    const calls = { intake: 0, ceilingA: 0, ceilingB: 0, relay: 0 };
    const measured = async (kind: keyof typeof used, run: () => Promise<LoadRun>) => {
      const before = cpuNow();
      const result = await run();
      const after = cpuNow();
      for (const name of Object.keys(before) as ProcessName[]) used[kind][name] += after[name] - before[name];
      wall[kind] += result.seconds;
      calls[kind] += result.calls;
      return result;
    };

    await memory.take('idle, polling (before any load)');
    log(`  warm-up (${options.warmupSeconds} s each, while the JIT compiles)`);
    await ceilingBRun(options.warmupSeconds);
    await ceilingARun(options.warmupSeconds);
    // The service's in windows, until its CPU per delivery has settled as the JIT compiled its code: the JIT
    // counts calls, not seconds, so a slower Temporal (the cluster) needs longer.
    const warmupServerCpuMsPerCall: number[] = [];
    const settled = () => {
      const last = warmupServerCpuMsPerCall.slice(-WARMUP_SETTLED_WINDOWS);
      return (
        last.length === WARMUP_SETTLED_WINDOWS && Math.max(...last) <= Math.min(...last) * WARMUP_SETTLED
      );
    };
    for (
      let seconds = 0;
      seconds < options.warmupSeconds || (!settled() && seconds < options.warmupSeconds * WARMUP_MAX_FACTOR);
      seconds += WARMUP_WINDOW_SECONDS
    ) {
      const before = cpuOf(pids.server);
      const run = await intakeRun(WARMUP_WINDOW_SECONDS);
      warmupServerCpuMsPerCall.push(r2(((cpuOf(pids.server) - before) * 1000) / run.calls));
    }
    log(`    webhook server CPU ms per delivery, window by window: ${warmupServerCpuMsPerCall.join(', ')}`);
    if (relay) await relayRun(options.warmupSeconds);
    temporalPids = temporal.topology.serverPids();

    log(`  ceiling (b), HTTP only: ${options.seconds} s at ${options.connections} connections`);
    const b = await measured('ceilingB', () => ceilingBRun(options.seconds));
    const roundSeconds = options.seconds / options.rounds;
    log(
      `  ceiling (a) and the service, ${options.rounds} rounds of ${roundSeconds.toFixed(1)} s each, ` +
        'alternating which goes first (A-B, B-A, ...)',
    );
    const a: LoadRun[] = [];
    const intake: LoadRun[] = [];
    const rounds: IntakeRound[] = [];
    const relayRounds: RelayRound[] = [];
    const relayRuns: LoadRun[] = [];
    const aaRounds: AaRound[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const first = round % 2 === 0 ? 'ceilingA' : 'intake';
      let ra: LoadRun;
      let ri: LoadRun;
      // The relay and the A/A check's second ceiling (a): first, between or last, in turn, so each arm takes each place.
      const extraAt = round % 3;
      const aaRuns: LoadRun[] = [];
      const extraArms = async (at: number) => {
        if (extraAt !== at) return;
        if (relay) relayRuns.push(await measured('relay', () => relayRun(roundSeconds)));
        if (options.aaCheck) aaRuns.push(await aaRun(roundSeconds));
      };
      await extraArms(0);
      if (first === 'ceilingA') {
        ra = await measured('ceilingA', () => ceilingARun(roundSeconds));
        await extraArms(1);
        ri = await measured('intake', () => intakeRun(roundSeconds));
      } else {
        ri = await measured('intake', () => intakeRun(roundSeconds));
        await extraArms(1);
        ra = await measured('ceilingA', () => ceilingARun(roundSeconds));
      }
      await extraArms(2);
      for (const again of aaRuns) aaRounds.push(compared(again, ra));
      if (relay) {
        const relayRun1 = relayRuns[relayRuns.length - 1] as LoadRun;
        const [toA, intakeTo] = [compared(relayRun1, ra), compared(ri, relayRun1)];
        relayRounds.push({
          relayRps: toA.rps,
          relayP99Ms: toA.p99Ms,
          relayToCeilingA: toA.rpsRatio,
          intakeToRelay: intakeTo.rpsRatio,
          relayP99ToCeilingA: toA.p99Ratio,
          intakeP99ToRelay: intakeTo.p99Ratio,
        });
      }
      a.push(ra);
      intake.push(ri);
      const [sa, si] = [summarize([ra]), summarize([ri])];
      rounds.push({
        first,
        intakeRps: si.rps,
        ceilingARps: sa.rps,
        intakeP99Ms: si.p99_ms,
        ceilingAP99Ms: sa.p99_ms,
        rpsRatio: si.rps / sa.rps,
        p99Ratio: si.p99_ms / sa.p99_ms,
      });
      if (round === Math.floor(options.rounds / 2))
        await memory.take('under load (mid-way through the rounds)');
    }
    await memory.take('under load (just after the last round)');
    await sleep(200);

    // The load is over; the workflows it started still wait for their (rate-limited) Gorgias calls. The peak
    // RSS counts this too: the worker keeps working through them.
    await sleep(AFTER_LOAD_MS);
    await memory.take(`${AFTER_LOAD_MS / 1000} s after the load (its workflows still open)`);
    const worker = samplers.worker.stop();
    const server = samplers.server.stop();
    return {
      intake: summarize(intake),
      ceilingA: summarize(a),
      ceilingB: summarize([b]),
      rounds,
      rpsRatio: spreadOf(rounds.map((r) => r.rpsRatio)),
      p99Ratio: spreadOf(rounds.map((r) => r.p99Ratio)),
      bareRelay: spreadsOf(relayRounds, [
        'relayToCeilingA',
        'intakeToRelay',
        'relayP99ToCeilingA',
        'intakeP99ToRelay',
      ]),
      aaCheck: spreadsOf(aaRounds, ['rpsRatio', 'p99Ratio']),
      footprint: {
        workerPeakRssMb: worker.peakRssMb,
        serverPeakRssMb: server.peakRssMb,
        workerHwmMb: worker.hwmMb,
        serverHwmMb: server.hwmMb,
        workerPhases: memory.phases,
        // As the worker's configuration reads it (its default unless the bench set one).
        workerTuning: workerTuning(loadConfig({ ...options.serviceEnv }, ['worker']).worker),
        workerRuntimeEnv: { ...WORKER_RUNTIME_ENV, ...pick(options.serviceEnv, WORKER_RUNTIME_ENV) },
      },
      cores: {
        intake: perWall(used.intake, wall.intake),
        ceilingA: perWall(used.ceilingA, wall.ceilingA),
        ceilingB: perWall(used.ceilingB, wall.ceilingB),
        ...(relay ? { relay: perWall(used.relay, wall.relay) } : {}),
      },
      cpuMsPerCall: {
        intake: perCall(used.intake, calls.intake),
        ceilingA: perCall(used.ceilingA, calls.ceilingA),
        ...(relay ? { relay: perCall(used.relay, calls.relay) } : {}),
      },
      warmupServerCpuMsPerCall,
    };
  } finally {
    samplers.worker.stop();
    samplers.server.stop();
    await httpOnly.stop();
    await relay?.stop();
    await stack.stop();
  }
}

/** The entries of `env` whose keys `like` has. */
function pick(env: Record<string, string> | undefined, like: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).filter(([key]) => key in like));
}

/** A run against the run it is compared with: its rate and p99, and their ratios to the other's. */
function compared(run: LoadRun, base: LoadRun): Compared {
  const [s, b] = [summarize([run]), summarize([base])];
  return { rps: s.rps, p99Ms: s.p99_ms, rpsRatio: s.rps / b.rps, p99Ratio: s.p99_ms / b.p99_ms };
}

/** The rounds of an optional arm with the spread of each of `keys` over them; undefined if the arm did not run. */
function spreadsOf<R, K extends keyof R>(
  rounds: R[],
  keys: readonly K[],
): ({ rounds: R[] } & Record<K, Spread>) | undefined {
  if (rounds.length === 0) return undefined;
  const spreads = Object.fromEntries(keys.map((key) => [key, spreadOf(rounds.map((r) => Number(r[key])))]));
  return { rounds, ...(spreads as Record<K, Spread>) };
}

export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => {
    if (sorted.length === 0) return NaN;
    const pos = (sorted.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
  };
  return { median: at(0.5), min: at(0), max: at(1), q1: at(0.25), q3: at(0.75) };
}

/** CPU seconds per wall second (cores), to two decimals. */
const perWall = (cpu: Record<ProcessName, number>, seconds: number) => scaled(cpu, 1 / seconds);
/** CPU milliseconds per call, to two decimals. */
const perCall = (cpu: Record<ProcessName, number>, calls: number) => scaled(cpu, 1000 / calls);

function scaled(cpu: Record<ProcessName, number>, factor: number): Record<ProcessName, number> {
  const out = { ...cpu };
  for (const name of Object.keys(out) as ProcessName[]) out[name] = r2(cpu[name] * factor);
  return out;
}

async function startHttpOnlyServer(
  taskQueue: string,
  script = 'http-only-server.js',
  env: Record<string, string> = {},
): Promise<{ url: string; pid: number | null; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startNodeProcess(
    join(__dirname, '..', script),
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      WEBHOOK_SECRET,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'warn',
      ...env,
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
