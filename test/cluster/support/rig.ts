import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ProductionStack } from '../../../src/tools/dev/cluster/stack';
import type { GorgiasClient } from '../../../src/gorgias/client';
import type { Ticket } from '../../../src/gorgias/schemas';
import { workflowIdForTicket, type AutoReplyResult } from '../../../src/temporal/definitions';
import { GORGIAS_API_KEY, GORGIAS_USERNAME, RecordedSandbox } from '../../../harness/recorded-sandbox';
import {
  EVENTS,
  ServiceProcesses,
  type DeliveryAnswer,
  type SeedOptions,
  type ServiceProcess,
  type WebhookEvent,
} from '../../../harness/service-processes';
import { freePort } from '../../../harness/waiting';

/**
 * The service on the local production stack (src/tools/dev/cluster): PostgreSQL, two Temporal nodes, and per node
 * one worker and one webhook server (the built dist/ entry points, with the environment docker-compose.yml
 * gives the `worker` and `webhook` containers), answering the recorded Gorgias sandbox. The processes are
 * spawned, fed and counted by the same harness as the chaos suite's (harness/service-processes.ts).
 */

export const WEBHOOK_SECRET = 'cluster-webhook-secret-3c9a51e07b2d';
export { EVENTS };

export interface Answer extends DeliveryAnswer {
  /** Which webhook server (0 or 1) answered. */
  server: number;
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
  readonly workers: ServiceProcess[] = [];
  readonly servers: ServiceProcess[] = [];
  readonly intakePorts: number[] = [];

  private constructor(
    readonly stack: ProductionStack,
    readonly sandbox: RecordedSandbox,
    readonly service: ServiceProcesses,
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
    let service: ServiceProcesses | null = null;
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
      const recorded = sandbox;
      service = await ServiceProcesses.create({
        name: 'cluster-test',
        // The environment compose gives each container names the frontend, namespace, task queue and policy.
        temporal: { address: stack.nodes[0]?.address ?? '', client: clients[0] as Client },
        taskQueue: stack.serviceEnvironment('worker', 0, {
          ...TEST_VARS,
          ...vars,
          GORGIAS_BASE_URL: sandbox.url,
        }).TEMPORAL_TASK_QUEUE,
        gorgias: {
          url: sandbox.url,
          username: GORGIAS_USERNAME,
          apiKey: GORGIAS_API_KEY,
          messagesOf: (ticketId) => recorded.sandbox.messagesOf(ticketId),
        },
        webhookSecret: WEBHOOK_SECRET,
      });
      const rig = new ClusterRig(stack, sandbox, service, clients, connections, dir);
      await rig.startService(vars);
      log(`[cluster] stack and service up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return rig;
    } catch (err) {
      await service?.stopAll();
      for (const connection of connections) await connection.close().catch(() => undefined);
      await sandbox?.close();
      await stack.stop();
      throw err;
    }
  }

  private async startService(extraVars: Record<string, string>): Promise<void> {
    const vars = { ...TEST_VARS, ...extraVars, GORGIAS_BASE_URL: this.sandbox.url };
    for (const node of this.stack.nodes) {
      const workerEnv = {
        ...this.stack.serviceEnvironment('worker', node.index, vars),
        // Compose gives each container its own network namespace: here two workers share one host.
        METRICS_PORT: '0',
      };
      const port = await freePort();
      const serverEnv = this.stack.serviceEnvironment('webhook', node.index, vars);
      const [worker, server] = await Promise.all([
        this.service.startWorker(workerEnv),
        this.service.startServer(serverEnv, port),
      ]);
      this.workers.push(worker);
      this.servers.push(server);
      this.intakePorts.push(port);
    }
  }

  /** The Gorgias client the harness seeds and reads with. */
  get gorgias(): GorgiasClient {
    return this.service.gorgias;
  }

  intakeUrl(server: number): string {
    return `http://127.0.0.1:${this.intakePorts[server]}`;
  }

  /** Every delivery made and its answer, with the webhook server that was asked. */
  get answers(): Answer[] {
    const urls = this.intakePorts.map((_, i) => this.intakeUrl(i));
    return this.service.answers.map((a) => ({ ...a, server: urls.indexOf(a.intakeUrl) }));
  }

  /** Creates tickets in the sandbox, each from a customer of its own unless `customerEmail` is given. */
  seedTickets(
    count: number,
    options: Pick<SeedOptions, 'customerEmail' | 'overrides'> = {},
  ): Promise<Ticket[]> {
    return this.service.seed(count, options);
  }

  /**
   * Delivers like Gorgias through a load balancer: first to `server`, then after no answer or a 5xx, again a
   * little later, to the other webhook server; a bounded number of times. A `ticket-created` delivery carries
   * the ticket's id, the others the ticket.
   */
  async deliverUntilAccepted(
    ticket: Ticket,
    server: number,
    event: WebhookEvent = 'ticket-created',
  ): Promise<Answer> {
    const intakeUrls = this.intakePorts.map((_, i) => this.intakeUrl((server + i) % this.intakePorts.length));
    const answer = await this.service.deliverUntilAccepted(event === 'ticket-created' ? ticket.id : ticket, {
      event,
      attempts: 120,
      intakeUrls,
    });
    return { ...answer, server: intakeUrls.indexOf(answer.intakeUrl) };
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
  results(ticketIds: number[], timeoutMs: number): Promise<Map<number, AutoReplyResult | Error>> {
    // The catch-up starts some of them after this call: wait for those rather than report them missing.
    return this.service.results(ticketIds, timeoutMs, { clients: this.clients, untilStarted: true });
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
      const accepted = this.service.answers.filter((a) => a.ticketId === ticketId && a.status === 202).length;
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
    return this.service.taskQueue;
  }

  output(): string {
    return this.service.output();
  }

  async stop(): Promise<void> {
    await this.service.stopAll();
    for (const connection of this.connections) await connection.close().catch(() => undefined);
    await this.sandbox.close();
    await this.stack.stop();
  }
}
