import type {
  VersioningBehavior,
  WorkerDeploymentVersion,
  WorkflowDefinitionOptionsOrGetter,
} from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';

/**
 * Worker Versioning, as the workflows see it. A workflow type's versioning behaviour reaches the server with every
 * workflow task the worker completes, and the server refuses the task when the worker is not versioned
 * (TEMPORAL_WORKER_VERSIONING=false: "versioning behavior cannot be specified without deployment options"), every
 * 10 s, forever. So a workflow declares its behaviour through `whenVersioned`, which gives it only to versioned
 * workers.
 */

/**
 * The Worker Deployment version of the worker running this task; null for an unversioned one. The SDK gives every
 * task a version, but an unversioned worker's has a build id only (its deployment name is empty); a versioned
 * worker always names its deployment (src/temporal/worker-deployment.ts). During a replay it is the version that
 * completed the replayed task, which is what the behaviour was declared under then.
 */
export function workerDeployment(): WorkerDeploymentVersion | null {
  const version = workflowInfo().currentDeploymentVersion;
  return version?.deploymentName ? version : null;
}

/**
 * The options of `setWorkflowOptions` that declare `behavior` to a versioned worker and nothing to an unversioned
 * one. Read once, at the start of each run (and of each replay of it).
 */
export function whenVersioned(behavior: VersioningBehavior): WorkflowDefinitionOptionsOrGetter {
  return () => (workerDeployment() ? { versioningBehavior: behavior } : {});
}
