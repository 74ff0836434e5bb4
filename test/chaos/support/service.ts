import { spawn } from 'node:child_process';
import { join } from 'node:path';
import axios from 'axios';
import { sampleTicket } from '../../../src/sandbox/sample-ticket';
import type { NewTicket } from '../../../src/gorgias/schemas';
import { GorgiasClient } from '../../../src/gorgias/client';
import { workflowIdForTicket, type AutoReplyResult } from '../../../src/workflows/definitions';
import { entryPath, readyWhen, startServiceProcess, type ServiceProcess } from '../../support/processes';
import { GORGIAS_API_KEY, GORGIAS_USERNAME, type RecordedSandbox } from './recorded-sandbox';
import { freePort } from '../../support/waiting';
import { NAMESPACE, type ChaosTemporal } from './temporal-server';

/** Where Gorgias's HTTP integration posts (README, "Connecting Gorgias"). */
const WEBHOOK_PATH = '/webhooks/gorgias';

export const WEBHOOK_SECRET = 'chaos-webhook-secret-8d3f0b6a41e2';

/** Every string that must never show up in output, answers or histories. */
export const SECRETS = [
  WEBHOOK_SECRET,
  GORGIAS_API_KEY,
  // What the Basic auth header carries.
  Buffer.from(`${GORGIAS_USERNAME}:${GORGIAS_API_KEY}`).toString('base64'),
];

export interface DeliveryAnswer {
  ticketId: number;
  status: number;
  body: unknown;
  ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The service as it runs in production, as child processes (the built `dist/` entry points): workers and a
 * webhook server on one task queue, talking to a real Temporal dev server and the Gorgias sandbox.
 */
export class ChaosService {
  readonly taskQueue = `chaos-${Math.random().toString(36).slice(2)}`;
  /** Every process started, alive or not, for the output they printed. */
  readonly processes: ServiceProcess[] = [];
  readonly answers: DeliveryAnswer[] = [];
  /** Processes stopped with SIGSTOP and not continued yet: continued before they are stopped for good. */
  private readonly paused = new Set<ServiceProcess>();
  /** Tickets seeded so far: the next one's customer number. */
  private seeded = 0;
  private readonly gorgias: GorgiasClient;

  private constructor(
    readonly temporal: ChaosTemporal,
    readonly sandbox: RecordedSandbox,
    readonly intakePort: number,
    private readonly env: Record<string, string>,
  ) {
    this.gorgias = new GorgiasClient({
      baseUrl: sandbox.url,
      username: GORGIAS_USERNAME,
      apiKey: GORGIAS_API_KEY,
      timeoutMs: 10_000,
    });
  }

  static async create(
    temporal: ChaosTemporal,
    sandbox: RecordedSandbox,
    env: Record<string, string> = {},
  ): Promise<ChaosService> {
    return new ChaosService(temporal, sandbox, await freePort(), env);
  }

  get intakeUrl(): string {
    return `http://127.0.0.1:${this.intakePort}`;
  }

  private baseEnv(): Record<string, string> {
    return {
      TEMPORAL_ADDRESS: this.temporal.address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      LOG_LEVEL: 'info',
      ...this.env,
    };
  }

  private workerEnv(env: Record<string, string>): Record<string, string> {
    return {
      ...this.baseEnv(),
      GORGIAS_BASE_URL: this.sandbox.url,
      GORGIAS_USERNAME,
      GORGIAS_API_KEY,
      GORGIAS_HTTP_TIMEOUT_MS: '2000',
      // 40 calls per 40 ms: 1000 a second, far above any sandbox limit.
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '0.04',
      ...env,
    };
  }

  async startWorker(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const worker = await startServiceProcess('worker', this.workerEnv(env), readyWhen.workerStarted, 120_000);
    this.processes.push(worker);
    return worker;
  }

  /**
   * Starts a worker that is expected to refuse to start (e.g. a broken policy) and waits for it to exit:
   * its exit code (null when it had to be killed after `timeoutMs`) and everything it printed.
   */
  runWorkerToExit(
    env: Record<string, string> = {},
    timeoutMs = 60_000,
  ): Promise<{ code: number | null; output: string; ms: number }> {
    const started = Date.now();
    const child = spawn(process.execPath, [entryPath('worker')], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        METRICS_PORT: '0',
        ...this.workerEnv(env),
      },
      cwd: join(__dirname, '..', '..', '..', 'dist'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    return new Promise((resolve) =>
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output, ms: Date.now() - started });
      }),
    );
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

  async startServer(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const server = await startServiceProcess(
      'server',
      {
        ...this.baseEnv(),
        PORT: String(this.intakePort),
        HOST: '127.0.0.1',
        WEBHOOK_SECRET,
        WEBHOOK_TEMPORAL_TIMEOUT_MS: '2000',
        ...env,
      },
      readyWhen.httpOk(`${this.intakeUrl}/healthz`),
    );
    this.processes.push(server);
    return server;
  }

  /**
   * Creates tickets in the sandbox, at most `perSecond` per second (the sandbox's bucket counts them too), each
   * from a customer of its own (numbered across calls); `overrides` changes the sample ticket (e.g. language).
   */
  async seedTickets(count: number, perSecond = 1000, overrides: Partial<NewTicket> = {}): Promise<number[]> {
    const ids: number[] = [];
    const started = Date.now();
    for (let i = 0; i < count; i++) {
      const due = started + (i * 1000) / perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      const n = this.seeded++;
      const ticket = await this.gorgias.createTicket({
        ...sampleTicket({ customerEmail: this.customerEmail(n), customerName: `Customer ${n}` }),
        ...overrides,
      });
      ids.push(ticket.id);
    }
    return ids;
  }

  /** A ticket as Gorgias shows it (its tags, for instance): one API call, recorded like the service's. */
  ticket(ticketId: number) {
    return this.gorgias.getTicket(ticketId);
  }

  /**
   * The customer of the i-th seeded ticket: one per ticket and per scenario, so the policy's per-customer
   * cooldown (which asks Temporal, shared by the scenarios of a file) never skips a ticket.
   */
  customerEmail(i: number): string {
    return `customer-${i}-${this.taskQueue}@example.org`;
  }

  /** One webhook delivery, as Gorgias sends it for a new ticket. Never throws: a refused connection is status 0. */
  async deliver(ticketId: number, timeoutMs = 15_000): Promise<DeliveryAnswer> {
    const started = Date.now();
    const answer = await axios
      .post(
        `${this.intakeUrl}${WEBHOOK_PATH}?event=ticket-created`,
        { ticket_id: String(ticketId) },
        {
          headers: { Authorization: `Bearer ${WEBHOOK_SECRET}`, 'Content-Type': 'application/json' },
          timeout: timeoutMs,
          validateStatus: () => true,
        },
      )
      .then(
        (res) => ({ ticketId, status: res.status, body: res.data as unknown, ms: Date.now() - started }),
        (err: unknown) => ({
          ticketId,
          status: 0,
          body: { error: axios.isAxiosError(err) ? (err.code ?? 'network') : String(err) },
          ms: Date.now() - started,
        }),
      );
    this.answers.push(answer);
    return answer;
  }

  /** Delivers like Gorgias does: again after a failure or a 5xx, a bounded number of times. */
  async deliverUntilAccepted(ticketId: number, attempts = 20, retryDelayMs = 500): Promise<DeliveryAnswer> {
    let answer = await this.deliver(ticketId);
    for (let attempt = 1; attempt < attempts && (answer.status === 0 || answer.status >= 500); attempt++) {
      await sleep(retryDelayMs);
      answer = await this.deliver(ticketId);
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

  /** Waits for every ticket's workflow to finish; resolves with each result (or the error it failed with). */
  async results(ticketIds: number[], timeoutMs: number): Promise<Map<number, AutoReplyResult | Error>> {
    const deadline = Date.now() + timeoutMs;
    const results = new Map<number, AutoReplyResult | Error>();
    await Promise.all(
      ticketIds.map(async (ticketId) => {
        const handle = this.temporal.client.workflow.getHandle(workflowIdForTicket(ticketId));
        while (Date.now() < deadline) {
          try {
            results.set(ticketId, await this.temporal.client.withDeadline(deadline, () => handle.result()));
            return;
          } catch (err) {
            // A workflow that failed or is not there (yet): report it, unless it is only the connection.
            const name = err instanceof Error ? err.name : '';
            if (name === 'WorkflowFailedError' || name === 'WorkflowNotFoundError') {
              results.set(ticketId, err as Error);
              return;
            }
            await sleep(1000);
          }
        }
        results.set(ticketId, new Error(`ticket ${ticketId}: no result within ${timeoutMs} ms`));
      }),
    );
    return results;
  }

  /** Everything every process printed. */
  output(): string {
    return this.processes.map((p) => `--- ${p.entry} ${p.pid}\n${p.output()}`).join('\n');
  }

  async stopAll(): Promise<void> {
    for (const process of [...this.paused]) this.resume(process);
    await Promise.all(this.processes.map((p) => p.stop('SIGTERM', 10_000)));
  }
}
