import { existsSync } from 'node:fs';
import { Client, type Connection } from '@temporalio/client';
import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { checkTemplates } from '../activities/reply-content';
import type { Config } from '../config';
import { CallBudget } from '../gorgias/call-budget';
import { GorgiasClient, type GorgiasClientOptions } from '../gorgias/client';
import { gorgiasCallRecorder } from '../telemetry/gorgias-metrics';
import type { Logger } from '../logging';
import type { Policy } from '../policy/schema';
import { syncCatchUpSchedule } from '../temporal/catch-up-schedule';
import { connectWorker } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/search-attributes';

export interface AutoReplyWorkerOptions {
  connection: NativeConnection;
  /** For the activities that ask Temporal: the per-customer cooldown and the catch-up's workflow starts. */
  client: Client;
  config: Config<'temporal' | 'gorgias'>;
  policy: Policy;
  /** A pre-built workflow bundle (tests build one per file); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The clock for business hours (tests inject one). */
  now?: () => Date;
  /** While this file exists, nothing is sent (see KILL_SWITCH_FILE). */
  killSwitchFile?: string;
}

export function gorgiasClientFrom(
  config: Config<'gorgias'>,
  onCall?: GorgiasClientOptions['onCall'],
): GorgiasClient {
  const g = config.gorgias;
  return new GorgiasClient({
    baseUrl: g.GORGIAS_BASE_URL,
    username: g.GORGIAS_USERNAME,
    apiKey: g.GORGIAS_API_KEY,
    timeoutMs: g.GORGIAS_HTTP_TIMEOUT_MS,
    onCall,
    budget: new CallBudget({
      capacity: g.GORGIAS_RATE_LIMIT_BURST,
      windowSeconds: g.GORGIAS_RATE_LIMIT_WINDOW_SECONDS,
      // Room for calls this worker cannot see yet (other workers' in flight, other integrations): a tenth of
      // the bucket, at most 4, for each worker sharing the account (CallBudget.headroom).
      workersSharingAccount: g.GORGIAS_WORKERS_SHARING_ACCOUNT,
      // Past this, the activity fails its attempt with the wait as its retry delay instead of holding a slot.
      maxWaitMs: 8_000,
    }),
  });
}

/**
 * The kill switch, read at send time: a worker restarted with DRY_RUN (or a policy with `dry_run: true`) stops
 * the sends of workflows that started before, and the file stops every worker that sees it at once.
 */
function killSwitch(policy: Policy, file: string | undefined): () => boolean {
  return () => policy.dry_run || (file !== undefined && existsSync(file));
}

/** The worker runs the ticket and catch-up workflows and their activities. */
export function createAutoReplyWorker(options: AutoReplyWorkerOptions): Promise<Worker> {
  const { temporal, gorgias } = options.config;
  // A template that cannot render stops the worker here, not a customer's ticket later.
  checkTemplates(options.policy);
  return Worker.create({
    connection: options.connection,
    namespace: temporal.TEMPORAL_NAMESPACE,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({
      gorgias: gorgiasClientFrom(options.config, gorgiasCallRecorder(Runtime.instance().metricMeter)),
      policy: options.policy,
      sender: { id: gorgias.GORGIAS_SENDER_USER_ID, email: gorgias.GORGIAS_USERNAME },
      sending: {
        unknownOutcomeWaitMs: gorgias.GORGIAS_UNKNOWN_OUTCOME_WAIT_MS,
        replyFrom: gorgias.GORGIAS_REPLY_FROM
          ? { address: gorgias.GORGIAS_REPLY_FROM, name: gorgias.GORGIAS_REPLY_FROM_NAME }
          : undefined,
        stopped: killSwitch(options.policy, options.killSwitchFile),
      },
      temporal: {
        client: options.client,
        taskQueue: temporal.TEMPORAL_TASK_QUEUE,
        uiUrl: temporal.TEMPORAL_UI_URL,
      },
      now: options.now,
    }),
    // Each Gorgias call waits for room in the account's bucket (see CallBudget); few at once keeps those waits
    // short, and the rest of a backlog waits in the task queue, where a crashed worker loses nothing.
    maxConcurrentActivityTaskExecutions: gorgias.GORGIAS_MAX_CONCURRENT_CALLS,
    // On SIGTERM, in-flight activities get this long to finish before they are handed back to the server.
    shutdownGraceTime: '10s',
  });
}

/** Search attributes and the catch-up Schedule: registered by whichever worker starts first, harmless after. */
export async function prepareNamespace(options: {
  client: Client;
  connection: Connection;
  taskQueue: string;
  policy: Policy;
  logger: Logger;
}): Promise<void> {
  const { client, logger } = options;
  try {
    const added = await ensureSearchAttributes(options.connection, client.options.namespace);
    if (added.length > 0) logger.info({ added }, 'registered search attributes');
  } catch (err) {
    // Temporal Cloud registers them in its UI or with tcld, not through this API.
    logger.warn(
      { error: String(err) },
      'could not register search attributes; register them by hand (see README)',
    );
  }
  const schedule = await syncCatchUpSchedule(client, options.taskQueue, options.policy);
  logger.info({ schedule }, 'catch-up schedule');
}

/**
 * Everything a worker process needs, from a client connection: the namespace prepared, the worker's own
 * native connection, and the worker. The caller runs it, and closes `workerConnection` after.
 */
export async function launchWorker(options: {
  clientConnection: Connection;
  config: Config<'temporal' | 'gorgias'>;
  policy: Policy;
  logger: Logger;
  killSwitchFile?: string;
}): Promise<{ worker: Worker; client: Client; workerConnection: NativeConnection }> {
  const { config, policy, logger } = options;
  const { temporal } = config;
  const client = new Client({ connection: options.clientConnection, namespace: temporal.TEMPORAL_NAMESPACE });
  await prepareNamespace({
    client,
    connection: options.clientConnection,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    policy,
    logger,
  });
  const workerConnection = await connectWorker(temporal);
  const worker = await createAutoReplyWorker({
    connection: workerConnection,
    client,
    config,
    policy,
    killSwitchFile: options.killSwitchFile,
  });
  logger.info(
    { taskQueue: temporal.TEMPORAL_TASK_QUEUE, namespace: temporal.TEMPORAL_NAMESPACE },
    'worker started',
  );
  return { worker, client, workerConnection };
}
