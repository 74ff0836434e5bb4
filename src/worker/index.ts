import { existsSync } from 'node:fs';
import { Client, type Connection } from '@temporalio/client';
import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { checkTemplates } from '../activities/reply-content';
import type { Config } from '../config';
import { gorgiasClientFrom } from '../gorgias/from-config';
import type { Logger } from '../logging';
import type { Policy } from '../policy/schema';
import { gorgiasCallRecorder } from '../telemetry/gorgias-metrics';
import { connectWorker } from '../temporal/connection';
import { prepareNamespace } from '../temporal/namespace';
import { builtWorkflowBundle } from './workflow-bundle';

export interface AutoReplyWorkerOptions {
  connection: NativeConnection;
  /** For the activities that ask Temporal: the per-customer cooldown and the catch-up's workflow starts. */
  client: Client;
  config: Config<'temporal' | 'gorgias'>;
  policy: Policy;
  /** A pre-built workflow bundle (`npm run build` ships one, tests build one per run); else bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The clock for business hours (tests inject one). */
  now?: () => Date;
  /** While this file exists, nothing is sent (see KILL_SWITCH_FILE). */
  killSwitchFile?: string;
  /** WORKER_MAX_CACHED_WORKFLOWS; the SDK's default (sized from the heap limit) without one. */
  maxCachedWorkflows?: number;
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
  const { temporal, gorgias: gorgiasConfig } = options.config;
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
      sender: { id: gorgiasConfig.GORGIAS_SENDER_USER_ID, email: gorgiasConfig.GORGIAS_USERNAME },
      sending: {
        unknownOutcomeWaitMs: gorgiasConfig.GORGIAS_UNKNOWN_OUTCOME_WAIT_MS,
        replyFrom: gorgiasConfig.GORGIAS_REPLY_FROM
          ? { address: gorgiasConfig.GORGIAS_REPLY_FROM, name: gorgiasConfig.GORGIAS_REPLY_FROM_NAME }
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
    maxConcurrentActivityTaskExecutions: gorgiasConfig.GORGIAS_MAX_CONCURRENT_CALLS,
    // On SIGTERM, in-flight activities get this long to finish before they are handed back to the server.
    shutdownGraceTime: '10s',
    // Memory: the SDK's default cache grows with the heap limit (thousands of workflows on a large machine).
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
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
  maxCachedWorkflows?: number;
}): Promise<{ worker: Worker; client: Client; workerConnection: NativeConnection }> {
  const { config, policy, logger } = options;
  const { temporal } = config;
  // Before anything is written to Temporal: a worker with a broken template does not start at all.
  checkTemplates(policy);
  const client = new Client({ connection: options.clientConnection, namespace: temporal.TEMPORAL_NAMESPACE });
  await prepareNamespace({
    client,
    connection: options.clientConnection,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    policy,
    logger,
  });
  const workerConnection = await connectWorker(temporal);
  // From dist/ the bundle `npm run build` made; from src/ (development) the workflows are bundled here.
  const workflowBundle = builtWorkflowBundle();
  const worker = await createAutoReplyWorker({
    connection: workerConnection,
    client,
    config,
    policy,
    workflowBundle,
    killSwitchFile: options.killSwitchFile,
    maxCachedWorkflows: options.maxCachedWorkflows,
  });
  logger.info(
    {
      taskQueue: temporal.TEMPORAL_TASK_QUEUE,
      namespace: temporal.TEMPORAL_NAMESPACE,
      workflowBundle: workflowBundle?.codePath ?? 'bundled at start',
    },
    'worker started',
  );
  return { worker, client, workerConnection };
}
