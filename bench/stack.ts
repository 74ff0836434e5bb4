import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Ticket } from '../src/gorgias/schemas';
import { startSandbox, type RunningSandbox, type SandboxFaults } from '../src/tools/sandbox';
import type { LeakyBucketOptions } from '../src/tools/sandbox/leaky-bucket';
import { ProductionStack } from '../src/tools/dev/cluster/stack';
import { ensureSearchAttributes } from '../src/temporal/search-attributes';
import { findPid } from './load';
import { shippedPolicyWith } from '../harness/policy';
import {
  EVENTS,
  postDelivery,
  ServiceProcesses,
  type ServiceProcess,
  type WebhookEvent,
} from '../harness/service-processes';
import { locateTemporalCli, TestTemporalServer } from '../harness/temporal-server';
import { freePort } from '../harness/waiting';

/**
 * The real local stack for one `npm run bench`: one Temporal dev server (in a temporary database), and per
 * scenario its own Gorgias sandbox (own ticket ids), task queue, worker process and webhook-server process,
 * so scenarios never meet each other's workflows. Everything listens on 127.0.0.1. The processes are started
 * by the same harness as the chaos suite's (harness/service-processes.ts), from the service's build.
 */

export const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789abcdef';
const USERNAME = 'autoreply@bench.example.com';
const API_KEY = 'bench-gorgias-api-key';
/** As production runs (one line per delivery), so the figures include logging. */
const LOG_LEVEL = 'info';
/** The worker's process settings as docker-compose.yml runs it (memory; see docs/benchmarks.md, footprint). */
export const WORKER_RUNTIME_ENV = { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-semi-space-size=4' };

export { EVENTS, freePort };

export type TemporalDb = 'memory' | 'file';

/**
 * The shipped policy with one change: no catch-up Schedule. It is one per namespace, follows the task queue
 * of the worker that started last and fires on the wall clock every few minutes, so it would land, with its
 * own Gorgias calls, in whichever scenario happens to be running.
 */
export const BENCH_POLICY = shippedPolicyWith({ catch_up: { enabled: false } });

/** What the scenarios run against: the dev server, or the local production stack (`--cluster`). */
export interface TemporalTopology {
  kind: 'dev-server' | 'cluster';
  /** The scenarios' webhook servers (and the bench's own client) use this frontend... */
  address: string;
  /** ...and their workers this one (the other node on the cluster). */
  workerAddress: string;
  /** PIDs whose CPU counts as "temporal" (the dev server; or both nodes and PostgreSQL's processes). */
  serverPids(): number[];
  stop(): Promise<void>;
  /** For the report. */
  description: Record<string, unknown>;
}

export class TemporalForBench {
  private constructor(
    readonly topology: TemporalTopology,
    readonly client: Client,
    private readonly connection: Connection,
    private readonly dataDir: string,
  ) {}

  get address(): string {
    return this.topology.address;
  }

  get workerAddress(): string {
    return this.topology.workerAddress;
  }

  /**
   * The local production stack (src/tools/dev/cluster: PostgreSQL, two Temporal nodes, compose's setup jobs) in a
   * temporary directory. The scenarios' webhook servers and the bench's client use node 1, their workers node 2,
   * so work crosses nodes as it does behind a load balancer.
   */
  static async startCluster(log: (line: string) => void): Promise<TemporalForBench> {
    const dataDir = mkdtempSync(join(tmpdir(), 'gorgias-autoreply-bench-cluster-'));
    // PostgreSQL runs as `postgres` when we are root: it must reach its data directory below this one.
    chmodSync(dataDir, 0o755);
    const started = Date.now();
    const stack = await ProductionStack.start({ dir: join(dataDir, 'stack'), log }).catch((err: unknown) => {
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    });
    const [first, second] = stack.nodes;
    if (!first || !second) throw new Error('the cluster has fewer than two nodes');
    const topology: TemporalTopology = {
      kind: 'cluster',
      address: first.address,
      workerAddress: second.address,
      serverPids: () => stack.serverPids(),
      stop: () => stack.stop(),
      description: {
        temporal_server: stack.service('temporal').image,
        postgres: stack.postgres.version(),
        nodes: stack.nodes.map((n) => n.address),
        webhook_servers_on: first.address,
        workers_on: second.address,
        startup_seconds: Math.round((Date.now() - started) / 100) / 10,
        startup_steps_seconds: stack.timings,
      },
    };
    return TemporalForBench.connect(topology, dataDir, stack.namespace);
  }

  /**
   * `file`: the dev server as `npm start` runs it (SQLite file, every write synced to disk). `memory`: as the
   * tests run it (in-memory SQLite), which takes the disk out of Temporal's own latency.
   */
  static async start(
    db: TemporalDb,
    dynamicConfig: readonly string[],
    log: (line: string) => void,
  ): Promise<TemporalForBench> {
    if (dynamicConfig.length > 0 && db === 'file') {
      throw new Error('--temporal-config needs the in-memory dev server');
    }
    const cli = await locateTemporalCli((line) => log(`[temporal] ${line}`));
    const dataDir = mkdtempSync(join(tmpdir(), 'gorgias-autoreply-bench-'));
    const server = await TestTemporalServer.start(cli, {
      dbFilename: db === 'file' ? join(dataDir, 'temporal.db') : undefined,
      dynamicConfig: Object.fromEntries(
        dynamicConfig.map((kv) => {
          const at = kv.indexOf('=');
          return [kv.slice(0, at), JSON.parse(kv.slice(at + 1)) as string | number | boolean];
        }),
      ),
    }).catch((err: unknown) => {
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    });
    const port = server.address.split(':')[1];
    return TemporalForBench.connect(
      {
        kind: 'dev-server',
        address: server.address,
        workerAddress: server.address,
        serverPids: () => {
          const pid = findPid(['start-dev', `--port ${port}`]);
          return pid === null ? [] : [pid];
        },
        stop: () => server.stop(),
        description: { cli: cli.path, db },
      },
      dataDir,
    );
  }

  private static async connect(
    topology: TemporalTopology,
    dataDir: string,
    namespace = 'default',
  ): Promise<TemporalForBench> {
    try {
      const connection = await Connection.connect({ address: topology.address });
      // The dev server registers them in its `default` namespace at start; a saved state may predate them.
      await ensureSearchAttributes(connection, namespace);
      return new TemporalForBench(topology, new Client({ connection, namespace }), connection, dataDir);
    } catch (err) {
      await topology.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.connection.close().catch(() => undefined);
    await this.topology.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface ScenarioStackOptions {
  name: string;
  /** First ticket id of this scenario's sandbox: scenarios use disjoint ranges. */
  firstTicketId: number;
  rateLimit: LeakyBucketOptions | false;
  /** How fast the worker's call budget drains: its GORGIAS_RATE_LIMIT_WINDOW_SECONDS is 40 / this. */
  workerRatePerSecond: number;
  faults?: Partial<SandboxFaults>;
  /** Start a worker process (default true). */
  worker?: boolean;
  /** Extra environment of both processes, e.g. NODE_OPTIONS for CPU profiles. */
  processEnv?: Record<string, string>;
}

/** One scenario's sandbox, worker process and webhook-server process. */
export class ScenarioStack {
  private constructor(
    readonly options: ScenarioStackOptions,
    readonly sandbox: RunningSandbox,
    readonly service: ServiceProcesses,
    readonly worker: ServiceProcess | null,
    readonly server: ServiceProcess,
    /** Added to the sandbox's clock: `skipSandboxClock` empties its rate-limit bucket after seeding. */
    private readonly clock: { offset: number },
  ) {}

  get intakeUrl(): string {
    return this.service.intakeUrl;
  }

  get taskQueue(): string {
    return this.service.taskQueue;
  }

  static async start(temporal: TemporalForBench, options: ScenarioStackOptions): Promise<ScenarioStack> {
    const clock = { offset: 0 };
    const sandbox = await startSandbox({
      username: USERNAME,
      apiKey: API_KEY,
      rateLimit: options.rateLimit,
      faults: options.faults,
      firstTicketId: options.firstTicketId,
      now: () => Date.now() + clock.offset,
      port: 0,
    });
    const service = await ServiceProcesses.create({
      name: `bench-${options.name}`,
      temporal,
      gorgias: {
        url: sandbox.url,
        username: USERNAME,
        apiKey: API_KEY,
        messagesOf: (ticketId) => sandbox.messagesOf(ticketId),
      },
      webhookSecret: WEBHOOK_SECRET,
      policy: BENCH_POLICY,
      env: { LOG_LEVEL, ...options.processEnv },
      // The worker's bucket is the default 40 calls, so this window drains it at workerRatePerSecond.
      // The worker runs with compose's process settings, unless the scenario's environment says otherwise.
      workerEnv: {
        GORGIAS_RATE_LIMIT_WINDOW_SECONDS: String(40 / options.workerRatePerSecond),
        ...WORKER_RUNTIME_ENV,
        ...options.processEnv,
      },
    });
    try {
      const [worker, server] = await Promise.all([
        options.worker === false ? Promise.resolve(null) : service.startWorker(),
        service.startServer(),
      ]);
      return new ScenarioStack(options, sandbox, service, worker, server, clock);
    } catch (err) {
      await service.stopAll();
      await sandbox.close();
      throw err;
    }
  }

  /**
   * Seeds `count` new email tickets (as customers' first messages create them), `parallel` at a time, each
   * from its own customer; `beforeEach` runs before each one is created.
   */
  seedTickets(
    count: number,
    options: { parallel?: number; beforeEach?: () => void } = {},
  ): Promise<Ticket[]> {
    return this.service.seed(count, { parallel: options.parallel ?? 16, beforeEach: options.beforeEach });
  }

  /**
   * Moves the sandbox's clock a minute ahead, more than a full bucket takes to drain (20 s), which empties it:
   * the scenario then starts as an account that has been idle, without the seeding's calls counting.
   */
  skipSandboxClock(): void {
    this.clock.offset += 60_000;
  }

  /** Replies and notes the service posted on a ticket, found by their external_id marker. */
  posted(ticketId: number): { replies: number; notes: number } {
    return this.service.posted(ticketId);
  }

  async stop(): Promise<void> {
    await this.service.stopAll();
    await this.sandbox.close();
  }
}

/** Posts one delivery as a Gorgias HTTP integration would; resolves with the status (0: no answer). */
export async function deliver(
  intakeUrl: string,
  ticket: Ticket | { id: number },
  event: WebhookEvent,
): Promise<number> {
  const body = 'messages' in ticket ? ticket : ticket.id;
  return (await postDelivery(intakeUrl, WEBHOOK_SECRET, body, { event })).status;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `done` every `everyMs` until it is true or `timeoutMs` passed; resolves with whether it became true. */
export async function waitFor(done: () => boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done()) return true;
    await sleep(everyMs);
  }
  return done();
}
