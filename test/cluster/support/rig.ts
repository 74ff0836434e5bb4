import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import { ProductionStack } from '../../../src/dev/cluster/stack';
import { GorgiasClient } from '../../../src/gorgias/client';
import type { Ticket } from '../../../src/gorgias/schemas';
import { sampleTicket } from '../../../src/sandbox/sample-ticket';
import { workflowIdForTicket, type AutoReplyResult } from '../../../src/workflows/definitions';
import { GORGIAS_API_KEY, GORGIAS_USERNAME, RecordedSandbox } from '../../chaos/support/recorded-sandbox';
import { readyWhen, startServiceProcess, type ServiceProcess } from '../../support/processes';
import { freePort } from '../../support/waiting';

/**
 * The service on the local production stack (src/dev/cluster): PostgreSQL, two Temporal nodes, and per node
 * one worker and one webhook server (the built dist/ entry points, with the environment docker-compose.yml
 * gives the `worker` and `webhook` containers), answering the recorded Gorgias sandbox.
 */

export const WEBHOOK_SECRET = 'cluster-webhook-secret-3c9a51e07b2d';
export const EVENTS = ['ticket-created', 'ticket-message-created', 'ticket-updated'] as const;
export type DeliveryEvent = (typeof EVENTS)[number];

export interface Answer {
  ticketId: number;
  /** Which webhook server (0 or 1) answered. */
  server: number;
  status: number;
  ms: number;
  /** When the answer came (epoch ms). */
  at: number;
  body: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What the tests set beyond compose's defaults, as an operator would in .env: two workers share the account,
 * and the Gorgias call budget is far above the sandbox's (its rate limit is off), so 200 tickets take seconds,
 * not the 400 s a 2-calls-a-second account needs.
 */
export const TEST_VARS = {
  WEBHOOK_SECRET,
  GORGIAS_USERNAME,
  GORGIAS_API_KEY,
  GORGIAS_WORKERS_SHARING_ACCOUNT: '2',
  GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '0.04',
};

export class ClusterRig {
  readonly answers: Answer[] = [];
  readonly workers: ServiceProcess[] = [];
  readonly servers: ServiceProcess[] = [];
  readonly intakePorts: number[] = [];
  private seeded = 0;

  private constructor(
    readonly stack: ProductionStack,
    readonly sandbox: RecordedSandbox,
    readonly gorgias: GorgiasClient,
    /** One client per node. */
    readonly clients: Client[],
    private readonly connections: Connection[],
    readonly dir: string,
  ) {}

  /** `vars`: more .env values for the service (e.g. POLICY_FILE), on top of TEST_VARS. */
  static async start(log: (line: string) => void, vars: Record<string, string> = {}): Promise<ClusterRig> {
    const dir = mkdtempSync(join(tmpdir(), 'gorgias-cluster-test-'));
    const started = Date.now();
    const stack = await ProductionStack.start({ dir, removeOnStop: true, log });
    let sandbox: RecordedSandbox | null = null;
    const connections: Connection[] = [];
    try {
      sandbox = await RecordedSandbox.start();
      for (const node of stack.nodes) {
        connections.push(
          await Connection.connect({
            address: node.address,
            channelArgs: { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 1000 },
          }),
        );
      }
      const clients = connections.map((connection) => new Client({ connection, namespace: stack.namespace }));
      const gorgias = new GorgiasClient({
        baseUrl: sandbox.url,
        username: GORGIAS_USERNAME,
        apiKey: GORGIAS_API_KEY,
        timeoutMs: 10_000,
      });
      const rig = new ClusterRig(stack, sandbox, gorgias, clients, connections, dir);
      await rig.startService(vars);
      log(`[cluster] stack and service up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return rig;
    } catch (err) {
      for (const connection of connections) await connection.close().catch(() => undefined);
      await sandbox?.close();
      await stack.stop();
      throw err;
    }
  }

  private async startService(extraVars: Record<string, string>): Promise<void> {
    const vars = { ...TEST_VARS, ...extraVars, GORGIAS_BASE_URL: this.sandbox.url };
    const control = join(this.dir, 'control');
    mkdirSync(control, { recursive: true });
    for (const node of this.stack.nodes) {
      const workerEnv = {
        ...this.stack.serviceEnvironment('worker', node.index, vars),
        // Compose gives each container its own network namespace: here two workers share one host.
        METRICS_PORT: '0',
        KILL_SWITCH_FILE: join(control, 'stop-sending'),
      };
      const port = await freePort();
      const serverEnv = { ...this.stack.serviceEnvironment('webhook', node.index, vars), PORT: String(port) };
      const [worker, server] = await Promise.all([
        startServiceProcess('worker', workerEnv, readyWhen.workerStarted, 120_000),
        startServiceProcess('server', serverEnv, readyWhen.httpOk(`http://127.0.0.1:${port}/readyz`)),
      ]);
      this.workers.push(worker);
      this.servers.push(server);
      this.intakePorts.push(port);
    }
  }

  intakeUrl(server: number): string {
    return `http://127.0.0.1:${this.intakePorts[server]}`;
  }

  /** Creates tickets in the sandbox, each from a customer of its own unless `customerEmail` is given. */
  async seedTickets(count: number, customerEmail?: string): Promise<Ticket[]> {
    const tickets: Ticket[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.seeded++;
      tickets.push(
        await this.gorgias.createTicket(
          sampleTicket({
            customerEmail: customerEmail ?? `customer-${n}@cluster-test.example.org`,
            customerName: `Customer ${n}`,
            subject: `Order question ${n}`,
          }),
        ),
      );
    }
    return tickets;
  }

  /** One webhook delivery as Gorgias sends it. Never throws: no answer is status 0. */
  async deliver(ticket: Ticket, server: number, event: DeliveryEvent = 'ticket-created'): Promise<Answer> {
    const body =
      event === 'ticket-message-created'
        ? { ticket, message: ticket.messages[0] }
        : event === 'ticket-updated'
          ? { ticket }
          : { ticket_id: String(ticket.id) };
    const started = Date.now();
    const answer = await axios
      .post(`${this.intakeUrl(server)}/webhooks/gorgias?event=${event}`, body, {
        headers: { Authorization: `Bearer ${WEBHOOK_SECRET}`, 'Content-Type': 'application/json' },
        timeout: 15_000,
        validateStatus: () => true,
      })
      .then(
        (res) => ({ status: res.status, body: res.data as unknown }),
        (err: unknown) => ({ status: 0, body: { error: axios.isAxiosError(err) ? err.code : String(err) } }),
      );
    const entry = { ticketId: ticket.id, server, ...answer, ms: Date.now() - started, at: Date.now() };
    this.answers.push(entry);
    return entry;
  }

  /**
   * Delivers like Gorgias through a load balancer: after no answer or a 5xx, again a little later, to the
   * other webhook server; a bounded number of times.
   */
  async deliverUntilAccepted(
    ticket: Ticket,
    server: number,
    event: DeliveryEvent = 'ticket-created',
    attempts = 120,
    retryDelayMs = 500,
  ): Promise<Answer> {
    let answer = await this.deliver(ticket, server, event);
    for (let attempt = 1; attempt < attempts && (answer.status === 0 || answer.status >= 500); attempt++) {
      await sleep(retryDelayMs);
      answer = await this.deliver(ticket, (server + attempt) % this.servers.length, event);
    }
    return answer;
  }

  /** Tries each node's client in turn until one answers (a node may be down). */
  async anyClient<T>(call: (client: Client) => Promise<T>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (let i = 0; Date.now() < deadline; i++) {
      const client = this.clients[i % this.clients.length] as Client;
      try {
        return await client.withDeadline(Math.min(deadline, Date.now() + 10_000), () => call(client));
      } catch (err) {
        lastError = err;
        await sleep(250);
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  /** Every ticket's workflow result (or the error it failed with), through whichever node answers. */
  async results(ticketIds: number[], timeoutMs: number): Promise<Map<number, AutoReplyResult | Error>> {
    const deadline = Date.now() + timeoutMs;
    const results = new Map<number, AutoReplyResult | Error>();
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < ticketIds.length; i = next++) {
        const ticketId = ticketIds[i] as number;
        for (let attempt = 0; ; attempt++) {
          const client = this.clients[attempt % this.clients.length] as Client;
          try {
            const handle = client.workflow.getHandle(workflowIdForTicket(ticketId));
            results.set(ticketId, await client.withDeadline(deadline, () => handle.result()));
            break;
          } catch (err) {
            const name = err instanceof Error ? err.name : '';
            if (name === 'WorkflowFailedError' || Date.now() > deadline) {
              results.set(ticketId, err instanceof Error ? err : new Error(String(err)));
              break;
            }
            await sleep(500);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, lane));
    return results;
  }

  /** The `delivery` signals a ticket's workflow history holds, by trigger: what Temporal persisted. */
  async persistedDeliveries(ticketId: number): Promise<string[]> {
    const history = await this.anyClient((client) =>
      client.workflow.getHandle(workflowIdForTicket(ticketId)).fetchHistory(),
    );
    const triggers: string[] = [];
    for (const event of history.events ?? []) {
      const signal = event.workflowExecutionSignaledEventAttributes;
      if (signal?.signalName !== 'delivery') continue;
      const data = signal.input?.payloads?.[0]?.data;
      const delivery = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { trigger?: string }) : {};
      triggers.push(String(delivery.trigger));
    }
    return triggers;
  }

  /**
   * Each ticket's 202 answers against the deliveries its workflow history holds: tickets answered 202 more often
   * than Temporal recorded a delivery (accepted without being persisted: must be none), and the recorded
   * deliveries by trigger.
   */
  async auditDeliveries(ticketIds: number[]): Promise<{
    notPersisted: { ticketId: number; accepted: number; persisted: number }[];
    persistedByTrigger: Record<string, number>;
  }> {
    const notPersisted: { ticketId: number; accepted: number; persisted: number }[] = [];
    const persistedByTrigger: Record<string, number> = {};
    for (const ticketId of ticketIds) {
      // 202: recorded in the running workflow. (200 "duplicate": the workflow had finished, recorded before.)
      const accepted = this.answers.filter((a) => a.ticketId === ticketId && a.status === 202).length;
      const triggers = await this.persistedDeliveries(ticketId);
      for (const trigger of triggers) persistedByTrigger[trigger] = (persistedByTrigger[trigger] ?? 0) + 1;
      if (triggers.length < accepted) notPersisted.push({ ticketId, accepted, persisted: triggers.length });
    }
    return { notPersisted, persistedByTrigger };
  }

  /** A visibility count (SQL visibility in PostgreSQL), through whichever node answers. */
  count(query: string): Promise<number> {
    return this.anyClient(async (client) => (await client.workflow.count(query)).count);
  }

  /** When each worker process last polled the task queue (by the SDK's identity, `<pid>@<host>`). */
  async lastPolls(): Promise<Map<number, number>> {
    const response = await this.anyClient((client) =>
      client.workflowService.describeTaskQueue({
        namespace: this.stack.namespace,
        taskQueue: { name: this.taskQueue },
      }),
    );
    const polls = new Map<number, number>();
    for (const poller of response.pollers ?? []) {
      const pid = Number(String(poller.identity ?? '').split('@')[0]);
      const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
      polls.set(pid, Math.max(polls.get(pid) ?? 0, seconds * 1000));
    }
    return polls;
  }

  get taskQueue(): string {
    return this.stack.serviceEnvironment('worker', 0, { ...TEST_VARS, GORGIAS_BASE_URL: this.sandbox.url })
      .TEMPORAL_TASK_QUEUE as string;
  }

  output(): string {
    return [...this.workers, ...this.servers]
      .map((p) => `--- ${p.entry} ${p.pid}\n${p.output().slice(-3000)}`)
      .join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers, ...this.workers].map((p) => p.stop('SIGTERM', 15_000)));
    for (const connection of this.connections) await connection.close().catch(() => undefined);
    await this.sandbox.close();
    await this.stack.stop();
  }
}
