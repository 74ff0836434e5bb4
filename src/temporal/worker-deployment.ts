import { createHash } from 'node:crypto';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type WorkerDeploymentVersion,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TemporalConfig } from '../config';

/**
 * Worker Versioning: each worker declares a Worker Deployment version (deployment name + build id), the ticket
 * workflow is pinned to the version it started on, and the deployment's current version decides where new
 * tickets start. See docs/production.md, "Deploying a workflow change".
 */

export type SetCurrentRule = TemporalConfig['TEMPORAL_WORKER_SET_CURRENT'];

/** A build id from the workflow code itself: the same bundle is the same version, any change a new one. */
export function buildIdOf(workflowCode: string): string {
  return `wf-${createHash('sha256').update(workflowCode).digest('hex').slice(0, 12)}`;
}

/** The worker's version from its configuration and the code it runs; null when versioning is off. */
export function workerVersion(config: TemporalConfig, workflowCode: string): WorkerDeploymentVersion | null {
  if (!config.TEMPORAL_WORKER_VERSIONING) return null;
  return {
    deploymentName: config.TEMPORAL_WORKER_DEPLOYMENT_NAME ?? config.TEMPORAL_TASK_QUEUE,
    buildId: config.TEMPORAL_WORKER_BUILD_ID ?? buildIdOf(workflowCode),
  };
}

/** `deployment:build`, as the `TemporalWorkerDeploymentVersion` search attribute spells it. */
export function versionSearchValue(version: WorkerDeploymentVersion): string {
  return `${version.deploymentName}:${version.buildId}`;
}

/** Set by the server on every workflow a versioned worker ran: the version it runs (or ran) on. */
export const DeploymentVersionAttribute = defineSearchAttributeKey(
  'TemporalWorkerDeploymentVersion',
  SearchAttributeType.KEYWORD,
);

export interface DeploymentState {
  /** The current version's build id; null while the deployment has none (or does not exist yet). */
  currentBuildId: string | null;
  /** Build ids of every version that has polled, with its status (`CURRENT`, `DRAINING`, `DRAINED`, ...). */
  versions: { buildId: string; status: string; drainage: string }[];
  conflictToken: Uint8Array | null;
}

const GRPC_NOT_FOUND = 5;
const VersionStatus = temporal.api.enums.v1.WorkerDeploymentVersionStatus;
const Drainage = temporal.api.enums.v1.VersionDrainageStatus;
const TaskQueueType = temporal.api.enums.v1.TaskQueueType;
const enumName = (names: Record<number, string>, value: number | null | undefined, prefix: string) =>
  (names[value ?? 0] ?? String(value)).replace(prefix, '');

/** The deployment as the server sees it (`temporal worker deployment describe`). */
export async function describeDeployment(client: Client, deploymentName: string): Promise<DeploymentState> {
  try {
    const response = await client.workflowService.describeWorkerDeployment({
      namespace: client.options.namespace,
      deploymentName,
    });
    const info = response.workerDeploymentInfo;
    return {
      currentBuildId: info?.routingConfig?.currentDeploymentVersion?.buildId || null,
      versions: (info?.versionSummaries ?? []).map((v) => ({
        buildId: v.deploymentVersion?.buildId ?? '',
        status: enumName(VersionStatus, v.status, 'WORKER_DEPLOYMENT_VERSION_STATUS_'),
        drainage: enumName(Drainage, v.drainageStatus, 'VERSION_DRAINAGE_STATUS_'),
      })),
      conflictToken: response.conflictToken ?? null,
    };
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) {
      return { currentBuildId: null, versions: [], conflictToken: null };
    }
    throw err;
  }
}

/** Makes a version current: new tickets start on it (`temporal worker deployment set-current-version`). */
export async function setCurrentVersion(
  client: Client,
  version: WorkerDeploymentVersion,
  conflictToken: Uint8Array | null = null,
): Promise<void> {
  await client.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: client.options.namespace,
    deploymentName: version.deploymentName,
    buildId: version.buildId,
    ...(conflictToken ? { conflictToken } : {}),
    identity: client.options.identity,
  });
}

/**
 * Whether the version's workers poll `taskQueue` for both workflow and activity tasks. A version appears on its
 * first poll of either kind and the other can follow a moment later; until both have, the server refuses to make
 * it current ("missing active task queues from the current version").
 */
export async function pollsWorkflowsAndActivities(
  client: Client,
  version: WorkerDeploymentVersion,
  taskQueue: string,
): Promise<boolean> {
  const { workerDeploymentVersionInfo: info } = await client.workflowService.describeWorkerDeploymentVersion({
    namespace: client.options.namespace,
    deploymentVersion: { deploymentName: version.deploymentName, buildId: version.buildId },
  });
  const types = new Set((info?.taskQueueInfos ?? []).filter((q) => q.name === taskQueue).map((q) => q.type));
  return (
    types.has(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW) && types.has(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
  );
}

export type Promotion =
  | { outcome: 'current' }
  | { outcome: 'made-current'; previous: string | null }
  | { outcome: 'not-current'; current: string; rule: SetCurrentRule }
  | { outcome: 'gave-up'; error: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Applies TEMPORAL_WORKER_SET_CURRENT once the worker's version exists on the server and polls `taskQueue` for
 * workflows and activities (so a `set-current-version` would be accepted, by us or by the operator): `if-none` makes it current only while the deployment has no current version (a first deploy works with
 * no manual step), `always` makes it current, `never` leaves it to the operator. Two workers racing for an empty
 * deployment are decided by the conflict token: the loser sees the winner's version and applies its rule again.
 */
export async function applySetCurrentRule(
  client: Client,
  version: WorkerDeploymentVersion,
  taskQueue: string,
  rule: SetCurrentRule,
  /** By default it keeps trying for as long as the worker runs (a deployment without a current version starts nothing). */
  options: { timeoutMs?: number; stopped?: () => boolean } = {},
): Promise<Promotion> {
  const deadline = Date.now() + (options.timeoutMs ?? Infinity);
  let lastError = 'the worker never polled';
  let pause = 250;
  while (Date.now() < deadline && !options.stopped?.()) {
    try {
      const state = await describeDeployment(client, version.deploymentName);
      if (state.currentBuildId === version.buildId) return { outcome: 'current' };
      const registered =
        state.versions.some((v) => v.buildId === version.buildId) &&
        (await pollsWorkflowsAndActivities(client, version, taskQueue));
      const wanted = rule === 'always' || (rule === 'if-none' && state.currentBuildId === null);
      if (registered && !wanted) {
        return { outcome: 'not-current', current: state.currentBuildId ?? '(none)', rule };
      }
      if (registered) {
        await setCurrentVersion(client, version, state.conflictToken);
        return { outcome: 'made-current', previous: state.currentBuildId };
      }
    } catch (err) {
      // Not registered yet, a concurrent change (conflict token), or the server busy: look again.
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 5000);
  }
  return { outcome: 'gave-up', error: lastError };
}

/**
 * Running ticket workflows of this task queue pinned to another version than `version`: after this version was
 * made current, they still need a worker of their own version to finish.
 */
export async function ticketsOnOtherVersions(
  client: Client,
  taskQueue: string,
  version: WorkerDeploymentVersion,
): Promise<{ version: string; count: number }[]> {
  const query =
    `WorkflowType = "ticketWorkflow" AND ExecutionStatus = "Running" AND TaskQueue = "${taskQueue}" ` +
    `AND TemporalWorkflowVersioningBehavior = "Pinned" ` +
    `AND TemporalWorkerDeploymentVersion != "${versionSearchValue(version)}"`;
  const counts = new Map<string, number>();
  for await (const workflow of client.workflow.list({ query })) {
    // `deployment:build`; the listing carries no versioning info of its own, the search attribute does.
    const value = workflow.typedSearchAttributes.get(DeploymentVersionAttribute) ?? '';
    const buildId = value.slice(value.indexOf(':') + 1);
    counts.set(buildId, (counts.get(buildId) ?? 0) + 1);
  }
  return [...counts].map(([buildId, count]) => ({ version: buildId, count }));
}
