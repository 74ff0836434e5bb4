import { existsSync, readFileSync } from 'node:fs';
import { Client, type Connection } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import {
  bundleWorkflowCode,
  Runtime,
  Worker,
  type NativeConnection,
  type WorkerOptions,
} from '@temporalio/worker';
import type { WorkerOptionsWithDefaults } from '@temporalio/worker/lib/worker-options';
import { answeredChannels, type AccountCheck } from '../gorgias/account-check';
import { createActivities } from '../activities';
import { deploymentOf } from '../reply/markers';
import { checkTemplates } from '../reply/content';
import type { Config, WorkerConfig } from '../config';
import type { GorgiasClient } from '../gorgias/client';
import { gorgiasClientFrom } from '../gorgias/from-config';
import type { Logger } from '../logging';
import type { Policy } from '../policy/schema';
import { gorgiasCallRecorder } from '../telemetry/gorgias-metrics';
import { connectWorker } from '../temporal/connection';
import { prepareNamespace } from '../temporal/namespace';
import {
  applySetCurrentRule,
  ticketsOnOtherVersions,
  workerVersion,
  type Promotion,
  type SetCurrentRule as SetCurrentRuleName,
} from '../temporal/worker-deployment';
import { accountAtStart } from './account-at-start';
import { killSwitchFileProblem } from './kill-switch-file';
import { builtWorkflowBundle, QUIET_BUNDLER } from './workflow-bundle';

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
  /** DRY_RUN: nothing is sent, also by workflows that recorded an earlier policy (new ones run dry). */
  dryRunForced?: boolean;
  /** How much the worker holds at once; the SDK's defaults without (its cache is sized from the heap limit). */
  tuning?: WorkerTuning;
  /** The Gorgias client of the activities (one from the configuration without). */
  gorgias?: GorgiasClient;
}

/** WORKER_MAX_CACHED_WORKFLOWS and WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, as the SDK's worker options. */
export type WorkerTuning = Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions'>;

export function workerTuning(config: WorkerConfig): WorkerTuning {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
  };
}

/**
 * The kill switch, read at send time: the file stops every worker that sees it at once, and a worker restarted
 * with DRY_RUN stops the sends of workflows that recorded a policy from before. A policy's own `dry_run` is not a
 * kill switch: it is the policy's (per store and channel), recorded by each workflow.
 */
function killSwitch(file: string | undefined, dryRunForced: boolean): () => string | null {
  return () =>
    dryRunForced
      ? 'sending is switched off on this worker (DRY_RUN)'
      : file !== undefined && existsSync(file)
        ? 'sending is switched off (kill switch)'
        : null;
}

type WorkflowBundle = NonNullable<WorkerOptions['workflowBundle']>;

/** The bundle's code: its build id is derived from it. */
function bundleCode(bundle: WorkflowBundle): string {
  return 'code' in bundle ? bundle.code : readFileSync(bundle.codePath, 'utf8');
}

/** A worker with the Worker Deployment version it declares (null when TEMPORAL_WORKER_VERSIONING is off). */
export interface AutoReplyWorker {
  worker: Worker;
  version: WorkerDeploymentVersion | null;
  /** Settles once TEMPORAL_WORKER_SET_CURRENT was applied (after the worker's first poll); null unversioned. */
  promotion: Promise<Promotion> | null;
}

/**
 * The worker runs the ticket and catch-up workflows and their activities. With versioning on (the default) it
 * declares its Worker Deployment version and, once it polls, applies TEMPORAL_WORKER_SET_CURRENT.
 */
export async function createAutoReplyWorker(options: AutoReplyWorkerOptions): Promise<Worker> {
  return (await createVersionedWorker(options)).worker;
}

/**
 * The SDK's deadlock guard on a workflow task (5 s by default) is a V8 watchdog on wall time. A process paused for
 * longer while a workflow task runs (a VM suspended or migrated, a SIGSTOP, a long CPU starvation) has that task's
 * script terminated as it resumes, and with the workflow's AsyncLocalStorage in use Node then aborts the whole
 * worker: "async hook stack has become corrupted" (sdk-typescript issue 939; seen in the chaos suite's paused
 * worker). A task of ours takes milliseconds; a minute still stops a real infinite loop. The SDK reads the option
 * but does not declare it (test/integration/worker-modes.test.ts checks it is applied).
 */
const WORKFLOW_TASK_WATCHDOG: Pick<WorkerOptionsWithDefaults, 'isolateExecutionTimeout'> = {
  isolateExecutionTimeout: '60s',
};

export async function createVersionedWorker(options: AutoReplyWorkerOptions): Promise<AutoReplyWorker> {
  const { temporal, gorgias: gorgiasConfig } = options.config;
  // A template that cannot render stops the worker here, not a customer's ticket later.
  checkTemplates(options.policy);
  // The build id is the bundle's content: without a pre-built bundle (development from src/) bundle it here.
  const workflowBundle =
    options.workflowBundle ??
    (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: QUIET_BUNDLER }));
  const version = workerVersion(temporal, bundleCode(workflowBundle));
  const worker = await Worker.create({
    connection: options.connection,
    namespace: temporal.TEMPORAL_NAMESPACE,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    workflowBundle,
    // Ticket workflows are pinned to the version they start on, the catch-up auto-upgrades (each workflow says
    // so in src/workflows); the default only covers a workflow type that forgot to.
    ...(version
      ? {
          workerDeploymentOptions: {
            version,
            useWorkerVersioning: true as const,
            defaultVersioningBehavior: 'AUTO_UPGRADE' as const,
          },
        }
      : {}),
    activities: createActivities({
      gorgias:
        options.gorgias ??
        gorgiasClientFrom(options.config, gorgiasCallRecorder(Runtime.instance().metricMeter)),
      policy: options.policy,
      deployment: deploymentOf(temporal),
      sender: { id: gorgiasConfig.GORGIAS_SENDER_USER_ID, email: gorgiasConfig.GORGIAS_USERNAME },
      sending: {
        unknownOutcomeWaitMs: gorgiasConfig.GORGIAS_UNKNOWN_OUTCOME_WAIT_MS,
        replyFrom: gorgiasConfig.GORGIAS_REPLY_FROM
          ? { address: gorgiasConfig.GORGIAS_REPLY_FROM, name: gorgiasConfig.GORGIAS_REPLY_FROM_NAME }
          : undefined,
        stopped: killSwitch(options.killSwitchFile, options.dryRunForced === true),
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
    ...WORKFLOW_TASK_WATCHDOG,
    // Memory: the SDK's default cache grows with the heap limit (thousands of workflows on a large machine).
    ...options.tuning,
  });
  const promotion = version
    ? promote(
        options.client,
        worker,
        version,
        temporal.TEMPORAL_WORKER_SET_CURRENT,
        temporal.TEMPORAL_TASK_QUEUE,
      )
    : null;
  return { worker, version, promotion };
}

/**
 * TEMPORAL_WORKER_SET_CURRENT, applied in the background once the worker polls, and said in the logs: whether
 * new tickets start on this version, and the tickets still pinned to others (they need workers of their own
 * version to finish: never left behind silently).
 */
async function promote(
  client: Client,
  worker: Worker,
  version: WorkerDeploymentVersion,
  rule: SetCurrentRuleName,
  taskQueue: string,
): Promise<Promotion> {
  const logger = Runtime.instance().logger;
  const meta = { deploymentName: version.deploymentName, buildId: version.buildId };
  const stopped = () => ['STOPPING', 'DRAINING', 'DRAINED', 'STOPPED', 'FAILED'].includes(worker.getState());
  const promotion = await applySetCurrentRule(client, version, taskQueue, rule, { stopped });
  if (promotion.outcome === 'made-current' || promotion.outcome === 'current') {
    logger.info('New tickets start on this worker version (current version of the deployment)', {
      ...meta,
      ...(promotion.outcome === 'made-current' ? { previous: promotion.previous } : {}),
    });
    const elsewhere = await ticketsOnOtherVersions(client, taskQueue, version).catch(() => []);
    for (const { version: other, count } of elsewhere) {
      logger.warn(
        `${count} running ticket workflow(s) are pinned to version ${other} ` +
          `(TemporalWorkerDeploymentVersion = "${version.deploymentName}:${other}"): they need a worker of that ` +
          'version to finish; keep or start one, or reset them from their first workflow task (docs/production.md, ' +
          '"Deploying a workflow change")',
        { ...meta, pinnedTo: other, tickets: count },
      );
    }
  } else if (promotion.outcome === 'not-current') {
    logger.warn(
      `This worker version is not current: new tickets start on ${promotion.current}. Make it current with ` +
        `\`temporal worker deployment set-current-version --deployment-name ${version.deploymentName} ` +
        `--build-id ${version.buildId}\` (TEMPORAL_WORKER_SET_CURRENT=${promotion.rule})`,
      meta,
    );
  } else if (!stopped()) {
    logger.error('Could not apply TEMPORAL_WORKER_SET_CURRENT', { ...meta, error: promotion.error });
  }
  return promotion;
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
  dryRunForced?: boolean;
  tuning?: WorkerTuning;
}): Promise<{
  worker: Worker;
  client: Client;
  workerConnection: NativeConnection;
  version: WorkerDeploymentVersion | null;
  /** What the start-up check found of the Gorgias account (for a banner): never `misconfigured` here. */
  account: AccountCheck;
}> {
  const { config, policy, logger } = options;
  const { temporal } = config;
  // Before anything is written to Temporal: a worker with a broken template does not start at all, nor one whose
  // kill switch could never be pulled.
  checkTemplates(policy);
  const killSwitchProblem = options.killSwitchFile ? killSwitchFileProblem(options.killSwitchFile) : null;
  if (killSwitchProblem && 'refuse' in killSwitchProblem) throw new Error(killSwitchProblem.refuse);
  if (killSwitchProblem) logger.warn(killSwitchProblem.warn);
  // One client for the start-up check and the activities: the check's calls count in the same call budget.
  const gorgias = gorgiasClientFrom(config, gorgiasCallRecorder(Runtime.instance().metricMeter));
  const account = await accountAtStart(
    { gorgias, channels: answeredChannels(policy), replyFrom: config.gorgias.GORGIAS_REPLY_FROM ?? null },
    logger,
  );
  if (account.status === 'misconfigured') throw new Error(`Gorgias account misconfigured: ${account.reason}`);
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
  const { worker, version } = await createVersionedWorker({
    connection: workerConnection,
    client,
    config,
    policy,
    workflowBundle,
    killSwitchFile: options.killSwitchFile,
    dryRunForced: options.dryRunForced,
    tuning: options.tuning,
    gorgias,
  });
  logger.info(
    {
      taskQueue: temporal.TEMPORAL_TASK_QUEUE,
      namespace: temporal.TEMPORAL_NAMESPACE,
      // The deployment its markers on tickets name (AUTOREPLY_DEPLOYMENT).
      markers: deploymentOf(temporal),
      workflowBundle: workflowBundle?.codePath ?? 'bundled at start',
      ...(version
        ? { deploymentName: version.deploymentName, buildId: version.buildId }
        : { versioning: 'off' }),
    },
    'worker started',
  );
  return { worker, client, workerConnection, version, account };
}
