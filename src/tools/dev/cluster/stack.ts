import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli, type LocatedCli } from '../temporal-cli';
import { ComposeFile, hostPath, localEnvironment, type ComposeServiceValues } from './compose';
import { LocalPostgres } from './postgres';
import { ensureTemporalServer, type TemporalServerBinaries } from './temporal-server';

/**
 * The production topology of docker-compose.yml, without Docker, on this machine: PostgreSQL, the schema
 * job (deploy/temporal/setup-schema.sh), two Temporal server nodes sharing the database (each running every
 * service, one on 127.0.0.2 and one on 127.0.0.3), then the namespace job (deploy/temporal/setup-namespace.sh).
 *
 * Every value comes from docker-compose.yml itself: each process gets the environment compose gives its
 * container, with only the network names replaced by local addresses (`postgres` → 127.0.0.4, `temporal` →
 * a node, a 0.0.0.0 bind → the node's address) and mounted paths by the mounted files. The nodes run
 * `temporal-server start`, the server image's entrypoint, which renders the server's embedded config
 * template from that environment, as in the container. So this stack cannot drift from compose.
 */

export const NODE_IPS = ['127.0.0.2', '127.0.0.3'] as const;
export const POSTGRES_IP = '127.0.0.4';

export interface ProductionStackOptions {
  /** Where the stack keeps PostgreSQL's data, logs and tool links. Reused when it exists. */
  dir: string;
  /** What a user puts in .env (POSTGRES_PASSWORD is generated and kept in `dir` when absent). */
  vars?: Record<string, string>;
  nodeIps?: readonly string[];
  postgresIp?: string;
  /** Delete `dir` when the stack stops (tests and benchmarks). */
  removeOnStop?: boolean;
  log?: (line: string) => void;
  composeFile?: string;
}

export interface TemporalNode {
  index: number;
  ip: string;
  /** host:port of its frontend, for TEMPORAL_ADDRESS. */
  address: string;
  /** Its Prometheus endpoint (PROMETHEUS_ENDPOINT). */
  metricsUrl: string;
  logFile: string;
  process: ChildProcess | null;
  /** Resolves when the current process exits. */
  exited: Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ProductionStack {
  readonly compose: ComposeFile;
  readonly vars: Record<string, string>;
  readonly nodes: TemporalNode[];
  readonly postgres: LocalPostgres;
  readonly binDir: string;
  private readonly log: (line: string) => void;
  private binaries!: TemporalServerBinaries;
  private cli!: LocatedCli;
  private readonly onExit = () => this.killNow();
  /** Seconds each step of the last start() took. */
  readonly timings: Record<string, number> = {};

  private constructor(readonly options: ProductionStackOptions) {
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.compose = ComposeFile.load(options.composeFile);
    mkdirSync(options.dir, { recursive: true });
    // PostgreSQL runs as `postgres` (as root): it must reach its data directory inside this one.
    chmodSync(options.dir, 0o755);
    this.vars = { POSTGRES_PASSWORD: this.password(), ...options.vars };
    this.binDir = join(options.dir, 'bin');
    const postgresEnv = this.service('postgres').environment;
    const db = this.service('temporal').environment;
    this.postgres = new LocalPostgres({
      dataDir: join(options.dir, 'postgres'),
      host: options.postgresIp ?? POSTGRES_IP,
      port: Number(db.DB_PORT ?? 5432),
      user: required(postgresEnv, 'POSTGRES_USER', 'postgres'),
      password: required(postgresEnv, 'POSTGRES_PASSWORD', 'postgres'),
      database: required(postgresEnv, 'POSTGRES_DB', 'postgres'),
      log: (line) => this.log(`[postgres] ${line}`),
    });
    const frontendPort =
      (this.service('temporal-setup').environment.TEMPORAL_ADDRESS ?? '').split(':')[1] ?? '7233';
    const metricsPort = (db.PROMETHEUS_ENDPOINT ?? '').split(':')[1] ?? '8000';
    this.nodes = (options.nodeIps ?? NODE_IPS).map((ip, index) => ({
      index,
      ip,
      address: `${ip}:${frontendPort}`,
      metricsUrl: `http://${ip}:${metricsPort}/metrics`,
      logFile: join(options.dir, `temporal-node-${index + 1}.log`),
      process: null,
      exited: Promise.resolve(),
    }));
  }

  /** The stack as it would start, without starting anything (to inspect the environment it passes). */
  static prepare(options: ProductionStackOptions): ProductionStack {
    return new ProductionStack(options);
  }

  /** Builds or finds the binaries, then starts PostgreSQL, the schema job, the nodes one by one and the namespace job. */
  static async start(options: ProductionStackOptions): Promise<ProductionStack> {
    const stack = new ProductionStack(options);
    process.once('exit', stack.onExit);
    try {
      await stack.startAll();
      return stack;
    } catch (err) {
      await stack.stop().catch(() => undefined);
      throw err;
    }
  }

  /** One compose service's values, interpolated with this stack's .env values. */
  service(name: string): ComposeServiceValues {
    return this.compose.service(name, this.vars);
  }

  /**
   * The environment compose gives one of our services (`worker`, `webhook`), pointed at a node, with `vars`
   * as the .env values it needs (GORGIAS_*, WEBHOOK_SECRET): what the tests, the benchmark and `npm run
   * cluster` start the built entry points with (they override only what they must).
   */
  serviceEnvironment(
    name: 'worker' | 'webhook' | 'gorgias-sandbox',
    node: number,
    vars: Record<string, string> = {},
  ): Record<string, string> {
    const target = this.nodes[node];
    if (!target) throw new Error(`no node ${node}`);
    const service = this.compose.service(name, { ...this.vars, ...vars });
    return localEnvironment(service, { temporal: target.ip }, '127.0.0.1', (volume) =>
      this.volumeFolder(volume),
    );
  }

  /**
   * A compose named volume as a folder of the stack's, shared by every process that mounts it, as the volume is by
   * the service's replicas (the kill switch's `worker-control`: KILL_SWITCH_FILE is in it).
   */
  volumeFolder(volume: string): string {
    const folder = join(this.options.dir, 'volumes', volume);
    mkdirSync(folder, { recursive: true });
    return folder;
  }

  get namespace(): string {
    return this.service('temporal-setup').environment.TEMPORAL_NAMESPACE ?? 'default';
  }

  private password(): string {
    const file = join(this.options.dir, 'postgres-password');
    if (this.options.vars?.POSTGRES_PASSWORD) return this.options.vars.POSTGRES_PASSWORD;
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    const generated = randomBytes(18).toString('base64url');
    writeFileSync(file, `${generated}\n`, { mode: 0o600 });
    return generated;
  }

  private async step<T>(name: string, body: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const result = await body();
    this.timings[name] = Math.round((Date.now() - started) / 100) / 10;
    return result;
  }

  private async startAll(): Promise<void> {
    const log = this.log;
    this.binaries = await this.step('binaries', () =>
      ensureTemporalServer({ log: (line) => log(`[temporal-server] ${line}`) }),
    );
    log(
      `[temporal-server] Temporal server ${this.binaries.version} at ${this.binaries.server} (${this.binaries.source})`,
    );
    this.cli = await ensureTemporalCli({
      explicitPath: process.env.TEMPORAL_CLI_PATH,
      searchPath: process.env.PATH,
      log: (line) => log(`[temporal-cli] ${line}`),
    });
    this.linkTools();
    this.killLeftovers();

    log(
      `[postgres] ${this.postgres.version()} (${this.postgres.bin}) on ${this.postgres.options.host}:${this.postgres.options.port}, data in ${this.postgres.options.dataDir}`,
    );
    const pg = `${this.postgres.options.host}:${this.postgres.options.port}`;
    if (this.postgres.pid() === null && (await listening(pg))) {
      throw new Error(`${pg} is already in use: another local production stack (npm run cluster) runs there`);
    }
    await this.step('postgres', () => this.postgres.start());

    log('[temporal-schema] deploy/temporal/setup-schema.sh (the compose job temporal-schema)');
    await this.step('schema', () =>
      this.runJob('temporal-schema', { SCHEMA_ROOT: this.binaries.schemaRoot }, 180_000),
    );

    // One after the other: started together, both try to create the cluster metadata and one exits.
    await this.step('nodes', async () => {
      for (const node of this.nodes) await this.startNode(node.index);
      await this.waitForMembership(this.nodes, 60_000);
    });
    log(
      `[temporal] ${this.nodes.length} nodes serving, each sees all ${this.nodes.length} in its membership ring`,
    );

    // Through each node in turn: the first creates the namespace and attributes; every run then waits until
    // its node accepts them (each frontend's namespace cache learns them on its own refresh).
    await this.step('namespace', async () => {
      for (const node of this.nodes) {
        log(
          `[temporal-setup] deploy/temporal/setup-namespace.sh (the compose job temporal-setup), node ${node.index + 1}`,
        );
        await this.runJob('temporal-setup', {}, 240_000, node.index);
      }
    });
  }

  /** The names the admin-tools and server images put on PATH, pointing at the cached binaries. */
  private linkTools(): void {
    mkdirSync(this.binDir, { recursive: true });
    const links: Record<string, string> = {
      'temporal-server': this.binaries.server,
      'temporal-sql-tool': this.binaries.sqlTool,
      temporal: this.cli.path,
    };
    for (const [name, target] of Object.entries(links)) {
      const link = join(this.binDir, name);
      rmSync(link, { force: true });
      symlinkSync(target, link);
    }
  }

  private get pidFile(): string {
    return join(this.options.dir, 'temporal-nodes.pid');
  }

  /** Nodes of an earlier run in the same directory that was killed before it could stop them. */
  private killLeftovers(): void {
    let pids: number[] = [];
    try {
      pids = readFileSync(this.pidFile, 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return;
    }
    for (const pid of pids) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.includes('temporal-server')) {
          this.log(`[temporal] stopping node process ${pid} left over by an earlier run`);
          process.kill(pid, 'SIGKILL');
        }
      } catch {
        // Gone already.
      }
    }
    unlinkSync(this.pidFile);
  }

  private writePids(): void {
    const pids = this.nodes.map((n) => n.process?.pid).filter((pid): pid is number => pid !== undefined);
    writeFileSync(this.pidFile, pids.map((pid) => `${pid}\n`).join(''));
  }

  /** A compose one-shot job (its entrypoint and command, with its environment), run here with the cached tools. */
  private runJob(name: string, extraEnv: Record<string, string>, timeoutMs: number, node = 0): Promise<void> {
    const service = this.service(name);
    const env = localEnvironment(service, {
      postgres: this.postgres.options.host,
      temporal: this.nodes[node]!.ip,
    });
    const argv = [...(service.entrypoint ?? []), ...(service.command ?? [])].map((arg) => {
      try {
        return hostPath(arg, service.volumes);
      } catch {
        return arg; // Not a mounted file (e.g. /bin/sh).
      }
    });
    const [command, ...args] = argv;
    if (!command) throw new Error(`compose service ${name} has no command`);
    const logFile = join(this.options.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    return new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, {
        env: {
          ...env,
          ...extraEnv,
          PATH: `${this.binDir}:/usr/local/bin:/usr/bin:/bin`,
          HOME: this.options.dir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: this.options.dir,
      });
      let tail = '';
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        tail = (tail + text).slice(-4000);
        writeFileSync(fd, text);
        // The scripts' own progress lines; the SQL tool's statement-by-statement DEBUG log stays in the file.
        for (const line of text.split('\n')) if (/^\[setup-/.test(line)) this.log(`  ${line}`);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        closeSync(fd);
        if (code === 0) resolve();
        else
          reject(
            new Error(
              `compose job ${name} (${argv.join(' ')}) failed (${code ?? signal}); ${logFile}:\n${tail}`,
            ),
          );
      });
    });
  }

  /** The environment compose gives the `temporal` container, for one node. */
  nodeEnvironment(index: number): Record<string, string> {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index}`);
    return localEnvironment(this.service('temporal'), { postgres: this.postgres.options.host }, node.ip);
  }

  /** Starts one node (again) and waits until its frontend answers SERVING. */
  async startNode(index: number, timeoutMs = 90_000): Promise<void> {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index}`);
    if (node.process && node.process.exitCode === null && node.process.signalCode === null) {
      throw new Error(`node ${index + 1} is already running`);
    }
    if (await listening(node.address)) {
      throw new Error(
        `${node.address} is already in use: another local production stack (npm run cluster) or server runs there`,
      );
    }
    const started = Date.now();
    const offset = existsSync(node.logFile) ? statSync(node.logFile).size : 0;
    const fd = openSync(node.logFile, 'a');
    const child = spawn(join(this.binDir, 'temporal-server'), ['start'], {
      // Exactly what compose passes the container (plus PATH/HOME): the embedded config template reads it.
      env: { ...this.nodeEnvironment(index), PATH: `${this.binDir}:/usr/bin:/bin`, HOME: this.options.dir },
      stdio: ['ignore', fd, fd],
      cwd: this.options.dir,
    });
    closeSync(fd);
    node.process = child;
    node.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.writePids();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `Temporal node ${index + 1} (${node.ip}) exited (${child.exitCode ?? child.signalCode}) while starting:\n` +
            logTail(node.logFile, offset),
        );
      }
      if (await serving(node.address)) {
        this.log(
          `[temporal] node ${index + 1} serving on ${node.address} after ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid})`,
        );
        return;
      }
      await sleep(250);
    }
    child.kill('SIGKILL');
    throw new Error(
      `Temporal node ${index + 1} did not answer on ${node.address} within ${timeoutMs} ms:\n${logTail(node.logFile, offset)}`,
    );
  }

  /** Kills a node (SIGKILL by default: no graceful hand-over of its shards) and waits for it to exit. */
  async killNode(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.nodes[index];
    if (!node?.process || node.process.exitCode !== null || node.process.signalCode !== null) return;
    node.process.kill(signal);
    const timer = setTimeout(() => node.process?.kill('SIGKILL'), 20_000);
    await node.exited;
    clearTimeout(timer);
  }

  /**
   * Waits until each running node lists every running node's frontend, history and matching in its membership
   * ring (its "Current reachable members" log lines).
   */
  async waitForMembership(nodes: readonly TemporalNode[], timeoutMs: number): Promise<void> {
    const ips = nodes.map((n) => n.ip);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const complete = nodes.every((node) => {
        const seen = latestMembers(node.logFile);
        return ['frontend', 'history', 'matching'].every((service) =>
          ips.every((ip) => (seen[service] ?? []).some((address) => address.startsWith(`${ip}:`))),
        );
      });
      if (complete) return;
      if (Date.now() > deadline)
        throw new Error(`the nodes did not all see each other within ${timeoutMs} ms`);
      await sleep(250);
    }
  }

  /** PIDs of the Temporal nodes and of PostgreSQL's processes (the postmaster and its children). */
  serverPids(): number[] {
    const pids = this.nodes.map((n) => n.process?.pid).filter((p): p is number => p !== undefined);
    const postmaster = this.postgres.pid();
    return postmaster === null ? pids : [...pids, postmaster, ...childrenOf(postmaster)];
  }

  /** Stops the nodes (SIGTERM, then SIGKILL after 20 s) and PostgreSQL, and deletes the directory if asked. */
  async stop(): Promise<void> {
    for (const node of [...this.nodes].reverse()) await this.killNode(node.index, 'SIGTERM');
    await this.postgres
      .stop('fast')
      .catch((err: unknown) => this.log(`[postgres] stop failed: ${String(err)}`));
    rmSync(this.pidFile, { force: true });
    process.removeListener('exit', this.onExit);
    if (this.options.removeOnStop) rmSync(this.options.dir, { recursive: true, force: true });
  }

  /** On process exit (a crashed test run): kill the nodes and PostgreSQL at once, synchronously. */
  private killNow(): void {
    for (const node of this.nodes) node.process?.kill('SIGKILL');
    this.postgres.stopNow();
  }
}

function required(env: Record<string, string>, key: string, service: string): string {
  const value = env[key];
  if (!value) throw new Error(`docker-compose.yml: service ${service} has no ${key}`);
  return value;
}

/** Whether something accepts TCP connections at host:port. */
function listening(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The frontend's gRPC health check answers SERVING. */
async function serving(address: string): Promise<boolean> {
  let connection: Connection | null = null;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    const health = await connection.withDeadline(Date.now() + 2000, () =>
      connection!.healthService.check({}),
    );
    return health.status === 1;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** The last "Current reachable members" addresses a node logged, per service. */
function latestMembers(logFile: string): Record<string, string[]> {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return {};
  }
  const seen: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    if (!line.includes('Current reachable members')) continue;
    try {
      const entry = JSON.parse(line) as { service?: string; addresses?: string[] };
      if (entry.service) seen[entry.service] = entry.addresses ?? [];
    } catch {
      // A line cut by a concurrent write.
    }
  }
  return seen;
}

function logTail(file: string, from: number): string {
  try {
    return readFileSync(file, 'utf8').slice(from).slice(-3000);
  } catch {
    return '(no log)';
  }
}

function childrenOf(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
    return children.flatMap((child) => [child, ...childrenOf(child)]);
  } catch {
    return [];
  }
}
