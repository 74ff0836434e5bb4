import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import type { Client } from '@temporalio/client';
import { GorgiasClient } from '../src/gorgias/client';
import type { NewTicket, Ticket } from '../src/gorgias/schemas';
import { sampleTicket } from '../src/tools/sandbox/sample-ticket';
import { workflowIdForTicket, type AutoReplyResult } from '../src/temporal/definitions';
import { writePolicyFile } from './policy';
import { postedBy, type MarkedMessage } from './posted';
import { REPO_ROOT } from './repo';
import { freePort } from './waiting';

/**
 * The service as it runs in production: its built entry points (`dist/worker/main.js`, `dist/server/main.js`)
 * as child processes, given nothing but an environment. The one process harness of the chaos suite and the
 * bench: start workers and a webhook server on a task queue, seed tickets in a Gorgias sandbox, deliver
 * webhooks as Gorgias does, and count what was posted. Needs `npm run build`.
 */

export { REPO_ROOT };

export type Entry = 'worker' | 'server';

/** A built entry point; fails at once, saying what to run, when the build is missing. */
export function entryPath(entry: Entry): string {
  const path = join(REPO_ROOT, 'dist', entry, 'main.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return path;
}

export interface ServiceProcess {
  /** What it is, in output and errors: `worker`, `server`, or the script's name. */
  name: string;
  child: ChildProcess;
  pid: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends a signal and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Runs a Node script with exactly the given environment (plus PATH and HOME), never the repo's .env. */
function spawnScript(script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [script], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'info',
      // Several workers run side by side: no fixed metrics port unless asked for.
      METRICS_PORT: '0',
      ...env,
    },
    // Not the repo root: a developer's .env must not leak into the configuration.
    cwd: join(REPO_ROOT, 'dist'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts a Node script and waits until `ready` (polled, given what it printed so far) says it is. */
export async function startNodeProcess(
  script: string,
  env: Record<string, string>,
  ready: (output: string, pid: number) => boolean | Promise<boolean> = () => true,
  { name = script, timeoutMs = 60_000 }: { name?: string; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const child = spawnScript(script, env);
  let output = '';
  const append = (chunk: Buffer) => (output += chunk.toString('utf8'));
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const started: ServiceProcess = {
    name,
    child,
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (!hasExited) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`${name} exited before it was ready:\n${output}`);
    if (await Promise.resolve(ready(output, started.pid)).catch(() => false)) return started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await started.stop('SIGKILL');
  throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${output}`);
}

/** Runs a Node script that is expected to end by itself: its exit code (null if killed after `timeoutMs`). */
export function runNodeProcessToExit(
  script: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const child = spawnScript(script, env);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    }),
  );
}

/** Ready checks. */
export const readyWhen = {
  httpOk: (url: string) => async () =>
    (await axios.get(url, { timeout: 1000, validateStatus: () => true })).status === 200,
  /**
   * A worker is ready once Temporal lists it among the task queue's pollers, under its identity (the SDK's
   * default, `<pid>@<host>`): at any log level, and not fooled by another worker already polling.
   */
  polling: (client: Client, taskQueue: string) => async (_output: string, pid: number) => {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
    });
    return (pollers ?? []).some((p) => p.identity === `${pid}@${hostname()}`);
  },
};

/** Where Gorgias's HTTP integration posts (README, "Connecting Gorgias"). */
const WEBHOOK_PATH = '/webhooks/gorgias';

export type WebhookEvent = 'ticket-created' | 'ticket-message-created' | 'ticket-updated';
export const EVENTS: readonly WebhookEvent[] = ['ticket-created', 'ticket-message-created', 'ticket-updated'];

export interface DeliveryAnswer {
  ticketId: number;
  /** The webhook server that was asked. */
  intakeUrl: string;
  /** 0 when no answer came (refused, reset, timed out). */
  status: number;
  body: unknown;
  ms: number;
  /** When the answer came (epoch ms). */
  at: number;
}

/**
 * One webhook delivery as a Gorgias HTTP integration sends it: `{ ticket_id }` for an id, the whole context for
 * a ticket (with its first message for `ticket-message-created`). Never throws.
 */
export async function postDelivery(
  intakeUrl: string,
  secret: string,
  ticket: number | Ticket,
  { event = 'ticket-created', timeoutMs = 15_000 }: { event?: WebhookEvent; timeoutMs?: number } = {},
): Promise<DeliveryAnswer> {
  const ticketId = typeof ticket === 'number' ? ticket : ticket.id;
  const body =
    typeof ticket === 'number'
      ? { ticket_id: String(ticket) }
      : event === 'ticket-message-created'
        ? { ticket, message: ticket.messages[0] }
        : { ticket };
  const started = Date.now();
  return axios
    .post(`${intakeUrl}${WEBHOOK_PATH}?event=${event}`, body, {
      headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' },
      timeout: timeoutMs,
      validateStatus: () => true,
    })
    .then(
      (res) => ({ status: res.status, body: res.data as unknown }),
      (err: unknown) => ({
        status: 0,
        body: { error: axios.isAxiosError(err) ? (err.code ?? 'network') : String(err) },
      }),
    )
    .then((answer) => ({ ticketId, intakeUrl, ...answer, ms: Date.now() - started, at: Date.now() }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the processes talk to. */
export interface ServiceTarget {
  /**
   * A Temporal client on the namespace the processes use (for readiness and results), and the frontend the
   * processes call; workers call `workerAddress` when given (another node of a cluster).
   */
  temporal: { address: string; workerAddress?: string; client: Client };
  /** The Gorgias account (a sandbox): where the worker calls, and where what it posted is counted. */
  gorgias: { url: string; username: string; apiKey: string; messagesOf(ticketId: number): unknown[] };
  webhookSecret: string;
  /**
   * The policy, as top-level keys (see harness/policy.ts); written to a file for POLICY_FILE. Without
   * one, the processes' environment says which (POLICY_FILE) or they load the shipped default.
   */
  policy?: Record<string, unknown>;
  /** Names the task queue (`<name>-<random>`, unless `taskQueue` is given) and the customers' addresses. */
  name: string;
  /** The task queue the environment gives the processes (a compose file's, say). */
  taskQueue?: string;
  /** Environment of every process started (a log level, NODE_OPTIONS...). */
  env?: Record<string, string>;
  /** Environment of every worker (the Gorgias client's timeouts and budget, say). */
  workerEnv?: Record<string, string>;
  /** Environment of every webhook server. */
  serverEnv?: Record<string, string>;
}

export interface SeedOptions {
  /** At most this many created per second (the sandbox's rate limit counts them too). */
  perSecond?: number;
  /** This many created at once (default 1). */
  parallel?: number;
  /** Changes to the sample ticket (e.g. its language). */
  overrides?: Partial<NewTicket>;
  /** One customer for every ticket seeded (default: a customer of its own for each). */
  customerEmail?: string;
  /** Runs before each ticket is created. */
  beforeEach?: () => void;
}

/**
 * The service as processes on one task queue: workers and a webhook server (one port for the harness's life,
 * so a restarted server answers where the last one did), the Gorgias account they work on, and every
 * delivery made and its answer.
 */
export class ServiceProcesses {
  readonly taskQueue: string;
  readonly gorgias: GorgiasClient;
  /** Every process started, alive or not, for the output they printed. */
  readonly processes: ServiceProcess[] = [];
  readonly answers: DeliveryAnswer[] = [];
  /** Processes stopped with SIGSTOP and not continued yet: continued before they are stopped for good. */
  private readonly paused = new Set<ServiceProcess>();
  /** Tickets seeded so far: the next one's customer number. */
  private seeded = 0;

  private constructor(
    readonly target: ServiceTarget,
    readonly intakePort: number,
    private readonly dir: string,
    private readonly policyFile: string | null,
  ) {
    this.taskQueue = target.taskQueue ?? `${target.name}-${Math.random().toString(36).slice(2, 10)}`;
    this.gorgias = new GorgiasClient({
      baseUrl: target.gorgias.url,
      username: target.gorgias.username,
      apiKey: target.gorgias.apiKey,
      timeoutMs: 10_000,
    });
  }

  static async create(target: ServiceTarget): Promise<ServiceProcesses> {
    const dir = mkdtempSync(join(tmpdir(), `gorgias-autoreply-${target.name}-`));
    const policyFile = target.policy ? writePolicyFile(dir, target.policy) : null;
    return new ServiceProcesses(target, await freePort(), dir, policyFile);
  }

  get intakeUrl(): string {
    return `http://127.0.0.1:${this.intakePort}`;
  }

  private baseEnv(): Record<string, string> {
    return {
      TEMPORAL_ADDRESS: this.target.temporal.address,
      TEMPORAL_NAMESPACE: this.target.temporal.client.options.namespace,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      ...(this.policyFile ? { POLICY_FILE: this.policyFile } : {}),
      ...this.target.env,
    };
  }

  private workerEnv(env: Record<string, string>): Record<string, string> {
    const { gorgias } = this.target;
    return {
      ...this.baseEnv(),
      TEMPORAL_ADDRESS: this.target.temporal.workerAddress ?? this.target.temporal.address,
      GORGIAS_BASE_URL: gorgias.url,
      GORGIAS_USERNAME: gorgias.username,
      GORGIAS_API_KEY: gorgias.apiKey,
      ...this.target.workerEnv,
      ...env,
    };
  }

  async startWorker(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const worker = await startNodeProcess(
      entryPath('worker'),
      this.workerEnv(env),
      readyWhen.polling(this.target.temporal.client, this.taskQueue),
      { name: 'worker', timeoutMs: 120_000 },
    );
    this.processes.push(worker);
    return worker;
  }

  /**
   * Starts a worker that is expected to refuse to start (e.g. a broken policy) and waits for it to exit:
   * its exit code (null when it had to be killed after `timeoutMs`) and everything it printed.
   */
  runWorkerToExit(env: Record<string, string> = {}, timeoutMs = 60_000) {
    return runNodeProcessToExit(entryPath('worker'), this.workerEnv(env), timeoutMs);
  }

  /** Starts a webhook server on the harness's port, or on another (several servers side by side). */
  async startServer(env: Record<string, string> = {}, port = this.intakePort): Promise<ServiceProcess> {
    const server = await startNodeProcess(
      entryPath('server'),
      {
        ...this.baseEnv(),
        HOST: '127.0.0.1',
        WEBHOOK_SECRET: this.target.webhookSecret,
        ...this.target.serverEnv,
        ...env,
        // Where the harness delivers, whatever port the environment names (a compose file's, say).
        PORT: String(port),
      },
      // Ready: it answers, and has reached Temporal.
      readyWhen.httpOk(`http://127.0.0.1:${port}/readyz`),
      { name: 'server' },
    );
    this.processes.push(server);
    return server;
  }

  /** Freezes a process (SIGSTOP): it holds its connections and its work, and does nothing. */
  pause(process: ServiceProcess): void {
    process.child.kill('SIGSTOP');
    this.paused.add(process);
  }

  /** Lets a paused process carry on (SIGCONT) where it stopped. */
  resume(process: ServiceProcess): void {
    process.child.kill('SIGCONT');
    this.paused.delete(process);
  }

  /**
   * The customer of the i-th seeded ticket: one per ticket and per harness, each at a mail domain of its own, so
   * the policy's per-customer cooldown and per-domain limit never skip a ticket.
   */
  customerEmail(i: number): string {
    return `customer-${i}@c${i}.${this.taskQueue.toLowerCase()}.example.org`;
  }

  /** Creates `count` new email tickets as customers' first messages do, each from a customer of its own. */
  async seed(count: number, options: SeedOptions = {}): Promise<Ticket[]> {
    const tickets = new Array<Ticket>(count);
    const started = Date.now();
    let next = 0;
    const lane = async () => {
      while (next < count) {
        const index = next++;
        const due = started + (index * 1000) / (options.perSecond ?? Infinity);
        if (due > Date.now()) await sleep(due - Date.now());
        options.beforeEach?.();
        const n = this.seeded++;
        tickets[index] = await this.gorgias.createTicket({
          ...sampleTicket({
            customerEmail: options.customerEmail ?? this.customerEmail(n),
            customerName: `Customer ${n}`,
          }),
          ...options.overrides,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.parallel ?? 1, count) }, lane));
    return tickets;
  }

  /** A ticket as Gorgias shows it (its tags, for instance): one API call, recorded like the service's. */
  ticket(ticketId: number): Promise<Ticket> {
    return this.gorgias.getTicket(ticketId);
  }

  /** `seed`, for the ids only, at most `perSecond` a second. */
  async seedTickets(count: number, perSecond = 1000, overrides: Partial<NewTicket> = {}): Promise<number[]> {
    return (await this.seed(count, { perSecond, overrides })).map((t) => t.id);
  }

  /** One delivery to a webhook server (default the harness's), recorded in `answers`. Never throws. */
  async deliver(
    ticket: number | Ticket,
    options: { event?: WebhookEvent; timeoutMs?: number; intakeUrl?: string } = {},
  ): Promise<DeliveryAnswer> {
    const { intakeUrl = this.intakeUrl, ...delivery } = options;
    const answer = await postDelivery(intakeUrl, this.target.webhookSecret, ticket, delivery);
    this.answers.push(answer);
    return answer;
  }

  /**
   * Delivers like Gorgias does: again after no answer or a 5xx, a bounded number of times; with several
   * `intakeUrls` (servers behind a load balancer), each attempt goes to the next one.
   */
  async deliverUntilAccepted(
    ticket: number | Ticket,
    {
      event,
      attempts = 20,
      retryDelayMs = 500,
      intakeUrls = [this.intakeUrl],
    }: { event?: WebhookEvent; attempts?: number; retryDelayMs?: number; intakeUrls?: string[] } = {},
  ): Promise<DeliveryAnswer> {
    const to = (attempt: number) => ({ event, intakeUrl: intakeUrls[attempt % intakeUrls.length] });
    let answer = await this.deliver(ticket, to(0));
    for (let attempt = 1; attempt < attempts && (answer.status === 0 || answer.status >= 500); attempt++) {
      await sleep(retryDelayMs);
      answer = await this.deliver(ticket, to(attempt));
    }
    return answer;
  }

  /**
   * Delivers one webhook per ticket, `concurrency` at a time, each until it is accepted (bounded); each lane
   * pauses `paceMs` between tickets.
   */
  async deliverAll(ticketIds: number[], concurrency = 10, paceMs = 0): Promise<DeliveryAnswer[]> {
    const queue = [...ticketIds];
    const answers: DeliveryAnswer[] = [];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let ticketId = queue.shift(); ticketId !== undefined; ticketId = queue.shift()) {
          answers.push(await this.deliverUntilAccepted(ticketId));
          if (paceMs > 0) await sleep(paceMs);
        }
      }),
    );
    return answers;
  }

  /**
   * Waits for every ticket's workflow to finish; resolves with each result (or the error it failed with). A
   * workflow not found is reported at once, unless `untilStarted` (something else is about to start it);
   * with several `clients` (a cluster's nodes), each try asks the next one.
   */
  async results(
    ticketIds: number[],
    timeoutMs: number,
    {
      clients = [this.target.temporal.client],
      untilStarted = false,
    }: { clients?: Client[]; untilStarted?: boolean } = {},
  ): Promise<Map<number, AutoReplyResult | Error>> {
    const deadline = Date.now() + timeoutMs;
    const results = new Map<number, AutoReplyResult | Error>();
    await Promise.all(
      ticketIds.map(async (ticketId) => {
        for (let attempt = 0; Date.now() < deadline; attempt++) {
          const client = clients[attempt % clients.length] as Client;
          try {
            const handle = client.workflow.getHandle(workflowIdForTicket(ticketId));
            results.set(ticketId, await client.withDeadline(deadline, () => handle.result()));
            return;
          } catch (err) {
            // A workflow that failed or is not there (yet): report it, unless it is only the connection.
            const name = err instanceof Error ? err.name : '';
            if (name === 'WorkflowFailedError' || (name === 'WorkflowNotFoundError' && !untilStarted)) {
              results.set(ticketId, err as Error);
              return;
            }
            await sleep(attempt === 0 ? 500 : 1000);
          }
        }
        results.set(ticketId, new Error(`ticket ${ticketId}: no result within ${timeoutMs} ms`));
      }),
    );
    return results;
  }

  /** How many replies and notes the service posted on a ticket. */
  posted(ticketId: number): { replies: number; notes: number } {
    const { replies, notes } = postedBy(this.target.gorgias.messagesOf(ticketId) as MarkedMessage[]);
    return { replies: replies.length, notes: notes.length };
  }

  /** Everything every process printed. */
  output(): string {
    return this.processes.map((p) => `--- ${p.name} ${p.pid}\n${p.output()}`).join('\n');
  }

  async stopAll(): Promise<void> {
    for (const process of [...this.paused]) this.resume(process);
    await Promise.all(this.processes.map((p) => p.stop('SIGTERM', 10_000)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
