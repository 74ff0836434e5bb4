import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import axios from 'axios';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { sampleTicket, type SampleTicketOptions } from '../../src/tools/sandbox/sample-ticket';
import { loadConfig, type Config } from '../../src/config';
import type { Policy } from '../../src/policy/schema';
import { GorgiasClient } from '../../src/gorgias/client';
import type { NewTicket } from '../../src/gorgias/schemas';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/tools/sandbox';
import { WEBHOOK_PATH } from '../../src/server/app';
import { intakeFromConfig } from '../../src/server/from-config';
import { listenApp } from '../../src/server/http-server';
import { ticketWorkflowExists } from '../../src/temporal/ticket-start';
import { createAutoReplyWorker, workerTuning } from '../../src/worker';
import { workflowIdForTicket, type AutoReplyResult } from '../../src/temporal/definitions';
import { afterAll, beforeAll } from '@jest/globals';
import { policyWith } from '../../harness/policy';
import { postedBy, type MarkedMessage } from '../../harness/posted';
import { createTemporalEnv, workflowBundle } from './temporal';

export const TEST_SECRET = 'test-webhook-secret-0123456789';
const USERNAME = 'autoreply@shop.example.com';
const API_KEY = 'test-gorgias-api-key-abcdef';

export interface StackOptions {
  sandbox?: Partial<SandboxOptions>;
  /** Extra environment for the service's configuration (e.g. templates). */
  env?: Record<string, string>;
  /** Start no worker (tests that only look at the intake). */
  worker?: boolean;
  /** Top-level policy keys that replace those of policy/default.yaml. */
  policy?: Record<string, unknown>;
  /** The worker's kill-switch file (KILL_SWITCH_FILE). */
  killSwitchFile?: string;
  /** The worker runs with DRY_RUN=true (give it the policy as policyFromConfig then makes it: forcedDryRun). */
  dryRunForced?: boolean;
}

export interface TestStackOptions extends StackOptions {
  /** Use this existing namespace of the run's server instead of a new one of the file's own. */
  namespace?: string;
}

/** The whole service on one real Temporal dev server: the Gorgias sandbox, a worker and the webhook intake. */
export class TestStack {
  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly sandbox: RunningSandbox,
    readonly gorgias: GorgiasClient,
    readonly config: Config<'temporal' | 'gorgias' | 'webhook' | 'worker'>,
    readonly policy: Policy,
    readonly intakeUrl: string,
    private readonly server: Server,
    private worker: Worker | null,
    private running: Promise<void> | null,
    private readonly killSwitch: Pick<StackOptions, 'killSwitchFile' | 'dryRunForced'>,
  ) {}

  static async start(env: TestWorkflowEnvironment, options: StackOptions = {}): Promise<TestStack> {
    const sandbox = await startSandbox({
      username: USERNAME,
      apiKey: API_KEY,
      rateLimit: false,
      port: 0,
      // Stacks may share one Temporal server: their ticket ids (and so workflow ids) must not meet.
      firstTicketId: 1_000_000 + Math.floor(Math.random() * 1_000_000_000),
      ...options.sandbox,
    });
    const taskQueue = `test-${Math.random().toString(36).slice(2)}`;
    const config = loadConfig(
      {
        GORGIAS_BASE_URL: sandbox.url,
        GORGIAS_USERNAME: USERNAME,
        GORGIAS_API_KEY: API_KEY,
        GORGIAS_HTTP_TIMEOUT_MS: '2000',
        // Past the 2 s HTTP timeout: the late answers these tests inject are committed at once. (Commits held
        // for seconds, which need the production 30 s, are the chaos suite's.)
        GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: '3000',
        // 40 calls per 40 ms: 1000 a second, the budget out of the way (the sandbox has no limit here).
        GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '0.04',
        WEBHOOK_SECRET: TEST_SECRET,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: env.namespace ?? 'default',
        TEMPORAL_TASK_QUEUE: taskQueue,
        ...options.env,
      },
      ['temporal', 'gorgias', 'webhook', 'worker'],
    );
    const policy = policyWith(options.policy);
    const app = intakeFromConfig(config, {
      client: env.client,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    });
    const server = await listenApp(app, 0, '127.0.0.1');
    const intakeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const worker = options.worker === false ? null : await startWorker(env, config, policy, options);
    const gorgias = new GorgiasClient({
      baseUrl: sandbox.url,
      username: USERNAME,
      apiKey: API_KEY,
      timeoutMs: 5000,
    });
    return new TestStack(
      env,
      sandbox,
      gorgias,
      config,
      policy,
      intakeUrl,
      server,
      worker?.worker ?? null,
      worker?.running ?? null,
      { killSwitchFile: options.killSwitchFile, dryRunForced: options.dryRunForced },
    );
  }

  /** The running worker's options as the SDK compiled them (null without a worker). */
  get workerOptions(): Worker['options'] | null {
    return this.worker?.options ?? null;
  }

  /** Stops the worker and starts another on the same task queue with another policy, as a redeploy would. */
  async restartWorker(policy: Record<string, unknown>): Promise<void> {
    await this.stopWorker();
    const next = await startWorker(this.env, this.config, policyWith(policy), this.killSwitch);
    this.worker = next.worker;
    this.running = next.running;
  }

  private async stopWorker(): Promise<void> {
    if (this.worker && this.running) {
      this.worker.shutdown();
      await this.running;
    }
    this.worker = null;
    this.running = null;
  }

  private readonly otherWorkers: { worker: Worker; running: Promise<void>; connection: NativeConnection }[] =
    [];

  /**
   * Another worker on the same task queue, with the same policy (two workers sharing the tickets), on a connection
   * of its own as a second process would be (the SDK refuses two such workers on one); stopped at close.
   */
  async addWorker(): Promise<void> {
    const connection = await NativeConnection.connect({ address: this.env.address });
    const started = await startWorker(this.env, this.config, this.policy, this.killSwitch, connection);
    this.otherWorkers.push({ ...started, connection });
  }

  private seeded = 0;

  /**
   * A new ticket from a customer; each gets an address (and a mail domain) of its own unless one is given (see the
   * per-customer cooldown and the per-domain limit).
   */
  async seedTicket(options: SampleTicketOptions = {}, overrides: Partial<NewTicket> = {}): Promise<number> {
    this.seeded += 1;
    const customerEmail =
      options.customerEmail ?? `customer${this.seeded}@c${this.seeded}-${this.sandbox.port}.example.org`;
    const ticket = await this.gorgias.createTicket({
      ...sampleTicket({ ...options, customerEmail }),
      ...overrides,
    });
    return ticket.id;
  }

  /** Posts one webhook delivery, as Gorgias would, and returns the raw answer. */
  deliver(body: unknown, options: { event?: string; headers?: Record<string, string> } = {}) {
    const query = options.event ? `?event=${encodeURIComponent(options.event)}` : '';
    return axios.post(`${this.intakeUrl}${WEBHOOK_PATH}${query}`, body, {
      headers: {
        Authorization: `Bearer ${TEST_SECRET}`,
        'Content-Type': 'application/json',
        ...options.headers,
      },
      validateStatus: () => true,
      transformRequest: typeof body === 'string' ? [(d) => d] : undefined,
    });
  }

  /** Whether the intake handed this ticket to Temporal. */
  hasWorkflow(ticketId: number): Promise<boolean> {
    return ticketWorkflowExists(this.env.client, ticketId);
  }

  result(ticketId: number): Promise<AutoReplyResult> {
    return this.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).result();
  }

  /** Messages the service posted on a ticket (found by its external_id marker): replies and internal notes. */
  posted(ticketId: number): { replies: Record<string, unknown>[]; notes: Record<string, unknown>[] } {
    return postedBy(this.sandbox.messagesOf(ticketId) as (Record<string, unknown> & MarkedMessage)[]);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.stopWorker();
    for (const other of this.otherWorkers.splice(0)) {
      other.worker.shutdown();
      await other.running;
      await other.connection.close();
    }
    await this.sandbox.close();
  }
}

async function startWorker(
  env: TestWorkflowEnvironment,
  config: Config<'temporal' | 'gorgias' | 'webhook' | 'worker'>,
  policy: Policy,
  killSwitch: Pick<StackOptions, 'killSwitchFile' | 'dryRunForced'>,
  connection: NativeConnection = env.nativeConnection,
): Promise<{ worker: Worker; running: Promise<void> }> {
  const worker = await createAutoReplyWorker({
    connection,
    client: env.client,
    config,
    policy,
    workflowBundle: workflowBundle(),
    killSwitchFile: killSwitch.killSwitchFile,
    dryRunForced: killSwitch.dryRunForced,
    // As the worker process sizes itself (WORKER_MAX_CACHED_WORKFLOWS, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS).
    tuning: workerTuning(config.worker),
  });
  return { worker, running: worker.run() };
}

/**
 * The run's dev server, a namespace of this file's own, and the service on it (`ctx.env`, `ctx.stack`), for the
 * whole file; `ctx.start(options)` starts more stacks (another policy, say) on the same namespace. All are torn
 * down after the file.
 */
export function useTestStack(options: TestStackOptions = {}): {
  env: TestWorkflowEnvironment;
  stack: TestStack;
  start(options: StackOptions): Promise<TestStack>;
} {
  const stacks: TestStack[] = [];
  const ctx = {
    async start(stackOptions: StackOptions) {
      const stack = await TestStack.start(ctx.env, stackOptions);
      stacks.push(stack);
      return stack;
    },
  } as { env: TestWorkflowEnvironment; stack: TestStack; start(options: StackOptions): Promise<TestStack> };
  beforeAll(async () => {
    ctx.env = await createTemporalEnv(options.namespace);
    ctx.stack = await ctx.start(options);
  }, 120_000);
  afterAll(async () => {
    for (const stack of stacks) await stack.close();
    await ctx.env?.teardown();
  });
  return ctx;
}
