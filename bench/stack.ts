import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { parse as parseYaml } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { sampleTicket } from '../src/sandbox/sample-ticket';
import { GorgiasClient } from '../src/gorgias/client';
import type { Ticket } from '../src/gorgias/schemas';
import { startSandbox, type RunningSandbox, type SandboxFaults } from '../src/sandbox';
import type { LeakyBucketOptions } from '../src/sandbox/leaky-bucket';
import { describeCli, ensureTemporalCli } from '../src/dev/temporal-cli';
import { startDevServer, stopProcess, type RunningDevServer } from '../src/dev/dev-server';
import { ProductionStack } from '../src/dev/cluster/stack';
import { findPid } from './load';
import { ensureSearchAttributes } from '../src/temporal/search-attributes';
import { readyWhen, startServiceProcess, type ServiceProcess } from '../test/support/processes';

/**
 * The real local stack for one `npm run bench`: one Temporal dev server (in a temporary database), and per
 * scenario its own Gorgias sandbox (own ticket ids), task queue, worker process and webhook-server process,
 * so scenarios never meet each other's workflows. Everything listens on 127.0.0.1.
 */

export const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789abcdef';
const USERNAME = 'autoreply@bench.example.com';
const API_KEY = 'bench-gorgias-api-key';
const LOG_LEVEL = 'warn';
/** The worker's process settings as docker-compose.yml runs it (memory; see docs/benchmarks.md, footprint). */
export const WORKER_RUNTIME_ENV = { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-semi-space-size=4' };

/** The compiled bench runs from dist-bench/; the process harness looks for the service's build beside it. */
function linkServiceBuild(): void {
  const benchRoot = join(__dirname, '..');
  const link = join(benchRoot, 'dist');
  const serviceBuild = join(benchRoot, '..', 'dist');
  if (!existsSync(join(serviceBuild, 'worker', 'main.js'))) {
    throw new Error(`${serviceBuild} has no build: run \`npm run build\` first`);
  }
  let present = false;
  try {
    present = lstatSync(link).isSymbolicLink();
  } catch {
    present = false;
  }
  if (!present) symlinkSync(join('..', 'dist'), link, 'dir');
}

import { freePort } from '../test/support/waiting';

export { freePort };

export type TemporalDb = 'memory' | 'file';

async function waitUntilServing(devServer: RunningDevServer): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    try {
      const connection = await Connection.connect({ address: devServer.address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch {
      await sleep(250);
    }
  }
  await devServer.stop();
  throw new Error(`The Temporal dev server did not answer on ${devServer.address} within 60 s`);
}

/**
 * The shipped policy with one change: no catch-up Schedule. It is one per namespace, follows the task queue
 * of the worker that started last and fires on the wall clock every few minutes, so it would land, with its
 * own Gorgias calls, in whichever scenario happens to be running.
 */
function writeBenchPolicy(dir: string): string {
  // From dist-bench/bench/: the repository's policy/ directory.
  const shipped = join(__dirname, '..', '..', 'policy', 'default.yaml');
  const policy = parseYaml(readFileSync(shipped, 'utf8')) as Record<string, unknown>;
  const file = join(dir, 'bench-policy.json');
  writeFileSync(
    file,
    JSON.stringify({ ...policy, catch_up: { ...(policy.catch_up as object), enabled: false } }),
  );
  return file;
}

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
    readonly policyFile: string,
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
   * The local production stack (src/dev/cluster: PostgreSQL, two Temporal nodes, compose's setup jobs) in a
   * temporary directory. The scenarios' webhook servers and the bench's client use node 1, their workers node 2,
   * so work crosses nodes as it does behind a load balancer.
   */
  static async startCluster(log: (line: string) => void): Promise<TemporalForBench> {
    linkServiceBuild();
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

  private static async connect(
    topology: TemporalTopology,
    dataDir: string,
    namespace = 'default',
  ): Promise<TemporalForBench> {
    try {
      const policyFile = writeBenchPolicy(dataDir);
      const connection = await Connection.connect({ address: topology.address });
      // The in-memory server starts without the service's search attributes; the others have them.
      await ensureSearchAttributes(connection, namespace);
      const client = new Client({ connection, namespace });
      return new TemporalForBench(topology, policyFile, client, connection, dataDir);
    } catch (err) {
      await topology.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
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
    linkServiceBuild();
    const cli = await ensureTemporalCli({
      explicitPath: process.env.TEMPORAL_CLI_PATH,
      searchPath: process.env.PATH,
      log: (line) => log(`[temporal] ${line}`),
    });
    log(`[temporal] ${describeCli(cli)}`);
    const dataDir = mkdtempSync(join(tmpdir(), 'gorgias-autoreply-bench-'));
    const port = await freePort();
    let devServer: RunningDevServer;
    if (dynamicConfig.length > 0 && db === 'file') {
      throw new Error('--temporal-config needs the in-memory dev server');
    }
    if (db === 'file') {
      devServer = await startDevServer({
        cli,
        port,
        uiPort: await freePort(),
        dbFilename: join(dataDir, 'temporal.db'),
        namespace: 'default',
      });
    } else {
      const child = spawn(
        cli.path,
        [
          ...['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless'],
          ...['--log-level', 'warn'],
          ...dynamicConfig.flatMap((kv) => ['--dynamic-config-value', kv]),
        ],
        { stdio: 'ignore' },
      );
      devServer = { address: `127.0.0.1:${port}`, uiUrl: '', stop: () => stopProcess(child) };
      await waitUntilServing(devServer);
    }
    const running = devServer;
    return TemporalForBench.connect(
      {
        kind: 'dev-server',
        address: running.address,
        workerAddress: running.address,
        serverPids: () => {
          const pid = findPid(['start-dev', `--port ${port}`]);
          return pid === null ? [] : [pid];
        },
        stop: () => running.stop(),
        description: { cli: cli.path, db },
      },
      dataDir,
    );
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
  readonly gorgias: GorgiasClient;

  private constructor(
    readonly options: ScenarioStackOptions,
    readonly sandbox: RunningSandbox,
    readonly intakeUrl: string,
    readonly worker: ServiceProcess | null,
    readonly server: ServiceProcess,
    readonly taskQueue: string,
    /** Added to the sandbox's clock: `skipSandboxClock` empties its rate-limit bucket after seeding. */
    private readonly clock: { offset: number },
  ) {
    this.gorgias = new GorgiasClient({
      baseUrl: sandbox.url,
      username: USERNAME,
      apiKey: API_KEY,
      timeoutMs: 10_000,
    });
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
    const taskQueue = `bench-${options.name}-${Date.now().toString(36)}`;
    const port = await freePort();
    const env: Record<string, string> = {
      GORGIAS_BASE_URL: sandbox.url,
      GORGIAS_USERNAME: USERNAME,
      GORGIAS_API_KEY: API_KEY,
      // The worker's bucket is the default 40 calls, so this window drains it at workerRatePerSecond.
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: String(40 / options.workerRatePerSecond),
      WEBHOOK_SECRET,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL,
      POLICY_FILE: temporal.policyFile,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...options.processEnv,
    };
    const started: ServiceProcess[] = [];
    try {
      const [worker, server] = await Promise.all([
        options.worker === false
          ? Promise.resolve(null)
          : // At LOG_LEVEL=warn the worker prints nothing when it is ready: its poller is the sign.
            startServiceProcess(
              'worker',
              { ...WORKER_RUNTIME_ENV, ...env, TEMPORAL_ADDRESS: temporal.workerAddress },
              () => pollerSeen(temporal, taskQueue),
              120_000,
            ).then((w) => {
              started.push(w);
              return w;
            }),
        startServiceProcess('server', env, readyWhen.httpOk(`http://127.0.0.1:${port}/readyz`)).then((s) => {
          started.push(s);
          return s;
        }),
      ]);
      return new ScenarioStack(
        options,
        sandbox,
        `http://127.0.0.1:${port}`,
        worker,
        server,
        taskQueue,
        clock,
      );
    } catch (err) {
      await Promise.all(started.map((p) => p.stop('SIGKILL')));
      await sandbox.close();
      throw err;
    }
  }

  /**
   * Seeds `count` new email tickets (as customers' first messages create them), `parallel` at a time, each
   * from its own customer; `beforeEach` runs before each one is created.
   */
  async seedTickets(
    count: number,
    options: { parallel?: number; beforeEach?: () => void } = {},
  ): Promise<Ticket[]> {
    const tickets: Ticket[] = new Array<Ticket>(count);
    let next = 0;
    const seedOne = async (): Promise<void> => {
      while (next < count) {
        const index = next++;
        options.beforeEach?.();
        tickets[index] = await this.gorgias.createTicket(
          sampleTicket({
            // Customers of one scenario only: the policy's per-customer cooldown spans the namespace.
            customerEmail: `customer-${index}@${this.taskQueue}.example.org`,
            customerName: `Customer ${index}`,
            subject: `Order question ${index}`,
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.parallel ?? 16, count) }, seedOne));
    return tickets;
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
    const messages = this.sandbox.messagesOf(ticketId) as { external_id?: string | null; channel?: string }[];
    let replies = 0;
    let notes = 0;
    for (const m of messages) {
      if (!String(m.external_id ?? '').startsWith('gorgias-autoreply:')) continue;
      if (m.channel === 'internal-note') notes++;
      else replies++;
    }
    return { replies, notes };
  }

  async stop(): Promise<void> {
    await Promise.all([this.server.stop('SIGTERM', 10_000), this.worker?.stop('SIGTERM', 10_000)]);
    await this.sandbox.close();
  }
}

/** True once a worker polls the task queue (DescribeTaskQueue lists its pollers). */
async function pollerSeen(temporal: TemporalForBench, taskQueue: string): Promise<boolean> {
  const response = await temporal.client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: taskQueue },
  });
  return (response.pollers?.length ?? 0) > 0;
}

/** Posts one delivery as a Gorgias HTTP integration would; resolves with the status (0: no answer). */
export async function deliver(
  intakeUrl: string,
  ticket: Ticket | { id: number },
  event: 'ticket-created' | 'ticket-message-created' | 'ticket-updated',
): Promise<number> {
  const body =
    'messages' in ticket && event === 'ticket-message-created'
      ? { ticket, message: ticket.messages[0] }
      : 'messages' in ticket
        ? { ticket }
        : { ticket_id: String(ticket.id) };
  try {
    const answer = await axios.post(`${intakeUrl}/webhooks/gorgias?event=${event}`, body, {
      headers: { Authorization: `Bearer ${WEBHOOK_SECRET}` },
      timeout: 15_000,
      validateStatus: () => true,
    });
    return answer.status;
  } catch {
    return 0;
  }
}

export const EVENTS = ['ticket-created', 'ticket-message-created', 'ticket-updated'] as const;

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
