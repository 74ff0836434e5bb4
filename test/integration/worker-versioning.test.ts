import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  Worker,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { DeterminismViolationError } from '@temporalio/workflow';
import {
  describeDeployment,
  ticketsOnOtherVersions,
  versionSearchValue,
} from '../../src/temporal/worker-deployment';
import { createVersionedWorker, type AutoReplyWorker } from '../../src/worker';
import { QUIET_BUNDLER } from '../../src/worker/workflow-bundle';
import { stateQuery, workflowIdForTicket } from '../../src/temporal/definitions';
import { TestStack } from '../support/stack';
import { createTemporalEnv, workflowBundle } from '../support/temporal';
import { waitUntil } from '../../harness/waiting';

/**
 * Worker Versioning on the dev server: tickets waiting in `delay_seconds` on version 1 when version 2 (a workflow
 * change that is not replay-compatible) is deployed and made current. The waiting tickets finish on version 1,
 * new ones run on version 2, nothing fails a workflow task, and version 1 drains.
 */

const DELAY_SECONDS = 6;
const PINNED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;
const EventType = temporal.api.enums.v1.EventType;

let env: TestWorkflowEnvironment;
let stack: TestStack;
let v2Bundle: WorkflowBundleWithSourceMap;
const workers: { v: AutoReplyWorker; running: Promise<void> }[] = [];

beforeAll(async () => {
  // The run's dev server, which looks for open pinned workflows of a draining version every second (not every
  // 3 minutes: see test/support/global-setup.ts); a namespace of this file's own.
  env = await createTemporalEnv();
  stack = await TestStack.start(env, { worker: false, policy: { timing: { delay_seconds: DELAY_SECONDS } } });
  v2Bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./support/ticket-workflow-v2'),
    logger: QUIET_BUNDLER,
  });
}, 180_000);

afterAll(async () => {
  for (const { v, running } of workers) {
    if (v.worker.getState() === 'RUNNING') v.worker.shutdown();
    await running;
  }
  await stack?.close();
  await env?.teardown();
});

async function startWorker(
  bundle: NonNullable<WorkerOptions['workflowBundle']>,
  setCurrent: 'if-none' | 'always' | 'never',
): Promise<AutoReplyWorker> {
  const config = {
    ...stack.config,
    temporal: { ...stack.config.temporal, TEMPORAL_WORKER_SET_CURRENT: setCurrent },
  };
  const v = await createVersionedWorker({
    connection: env.nativeConnection,
    client: env.client,
    config,
    policy: stack.policy,
    workflowBundle: bundle,
  });
  workers.push({ v, running: v.worker.run() });
  return v;
}

async function deliverNewTickets(count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = await stack.seedTicket();
    const answer = await stack.deliver({ ticket_id: String(id) }, { event: 'ticket-created' });
    expect(answer.status).toBe(202);
    ids.push(id);
  }
  return ids;
}

const handle = (ticketId: number): WorkflowHandle =>
  env.client.workflow.getHandle(workflowIdForTicket(ticketId));

async function versioningOf(ticketId: number) {
  const info = (await handle(ticketId).describe()).raw.workflowExecutionInfo?.versioningInfo;
  return { pinned: info?.behavior === PINNED, buildId: info?.deploymentVersion?.buildId ?? null };
}

async function tagsOf(ticketId: number): Promise<string[]> {
  return (await stack.gorgias.getTicket(ticketId)).tags.map((t) => t.name);
}

async function failedWorkflowTasks(ticketId: number): Promise<number> {
  const history = await handle(ticketId).fetchHistory();
  return (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    .length;
}

describe('Worker Versioning: a workflow change deployed while tickets wait', () => {
  let v1: AutoReplyWorker;
  let v2: AutoReplyWorker;
  let oldTickets: number[];
  let newTickets: number[];

  it('version 1: the first worker of an empty deployment makes itself current; tickets start pinned to it', async () => {
    v1 = await startWorker(workflowBundle(), 'if-none');
    expect(v1.version?.buildId).toMatch(/^wf-[0-9a-f]{12}$/);
    expect(v1.version?.deploymentName).toBe(stack.config.temporal.TEMPORAL_TASK_QUEUE);
    await expect(v1.promotion).resolves.toEqual({ outcome: 'made-current', previous: null });

    oldTickets = await deliverNewTickets(3);
    for (const id of oldTickets) {
      await waitUntil(async () => (await handle(id).query(stateQuery)).phase === 'waiting', 20_000, 100);
      expect(await versioningOf(id)).toEqual({ pinned: true, buildId: v1.version?.buildId });
    }
  });

  it('version 2 deployed and made current while they wait: new tickets run on it', async () => {
    v2 = await startWorker(v2Bundle, 'always');
    expect(v2.version?.buildId).not.toBe(v1.version?.buildId);
    await expect(v2.promotion).resolves.toEqual({ outcome: 'made-current', previous: v1.version?.buildId });
    const deployment = await describeDeployment(env.client, v2.version!.deploymentName);
    expect(deployment.currentBuildId).toBe(v2.version?.buildId);
    // What the promoted worker logs as a warning: the tickets that still need version 1's workers.
    const taskQueue = stack.config.temporal.TEMPORAL_TASK_QUEUE;
    await expect(ticketsOnOtherVersions(env.client, taskQueue, v2.version!)).resolves.toEqual([
      { version: v1.version?.buildId, count: 3 },
    ]);

    // A later delivery for a waiting ticket is a signal: it reaches the ticket on its own version.
    for (const id of oldTickets) {
      const answer = await stack.deliver({ ticket_id: String(id) }, { event: 'ticket-updated' });
      expect(answer.status).toBe(202);
    }
    newTickets = await deliverNewTickets(3);
  });

  it('the waiting tickets finish on version 1, the new ones on version 2, without a non-determinism error', async () => {
    for (const id of [...oldTickets, ...newTickets]) {
      await expect(handle(id).result()).resolves.toMatchObject({ outcome: 'replied' });
      expect(stack.posted(id).replies).toHaveLength(1);
      expect(await failedWorkflowTasks(id)).toBe(0);
    }
    for (const id of oldTickets) {
      expect(await versioningOf(id)).toEqual({ pinned: true, buildId: v1.version?.buildId });
      expect(await tagsOf(id)).not.toContain('autoreply-v2');
      expect(await handle(id).query(stateQuery)).toMatchObject({ deliveryCount: 2 });
    }
    for (const id of newTickets) {
      expect(await versioningOf(id)).toEqual({ pinned: true, buildId: v2.version?.buildId });
      expect(await tagsOf(id)).toContain('autoreply-v2');
    }
  });

  it('shows the version a ticket ran on: search attribute and the workflow details', async () => {
    const count = async (version: AutoReplyWorker) =>
      (
        await env.client.workflow.count(
          `TemporalWorkerDeploymentVersion = "${versionSearchValue(version.version!)}" AND WorkflowType = "ticketWorkflow"`,
        )
      ).count;
    await waitUntil(async () => (await count(v1)) === 3 && (await count(v2)) === 3, 20_000, 200);
    const metadata = await handle(oldTickets[0]!).query<{ currentDetails?: string }>(
      '__temporal_workflow_metadata',
    );
    expect(metadata.currentDetails).toContain(
      `**Worker version:** ${v1.version?.deploymentName} · ${v1.version?.buildId}`,
    );
  });

  it('version 1 drains: its workers can go', async () => {
    await waitUntil(
      async () => {
        const state = await describeDeployment(env.client, v1.version!.deploymentName);
        return state.versions.find((v) => v.buildId === v1.version?.buildId)?.drainage === 'DRAINED';
      },
      30_000,
      500,
    );
    v1.worker.shutdown();
    await workers[0]?.running;
  });

  it('the change is one the replay test would refuse: a version-1 history does not replay on version 2', async () => {
    const history = await handle(oldTickets[0]!).fetchHistory();
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history),
    ).resolves.toBeUndefined();
    await expect(Worker.runReplayHistory({ workflowBundle: v2Bundle }, history)).rejects.toThrow(
      DeterminismViolationError,
    );
  });

  /** Resets a ticket's workflow to the end of its first, or its second-to-last, workflow task (as the Web UI does). */
  async function reset(ticketId: number, to: 'first' | 'late'): Promise<WorkflowHandle> {
    const events = (await handle(ticketId).fetchHistory()).events ?? [];
    const completed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    const point = to === 'first' ? completed[0] : completed.at(-2);
    const { runId } = await env.client.workflowService.resetWorkflowExecution({
      namespace: env.client.options.namespace,
      workflowExecution: { workflowId: workflowIdForTicket(ticketId) },
      workflowTaskFinishEventId: point!.eventId,
      reason: `worker versioning test: reset to the ${to} workflow task`,
      requestId: `${ticketId}-${to}`,
    });
    return env.client.workflow.getHandle(workflowIdForTicket(ticketId), runId!);
  }

  it('a reset from the first workflow task runs on the current version; from a later point, on its own', async () => {
    const fromStart = await reset(oldTickets[1]!, 'first');
    await expect(fromStart.result()).resolves.toMatchObject({ outcome: 'skipped' });
    const startInfo = (await fromStart.describe()).raw.workflowExecutionInfo?.versioningInfo;
    expect(startInfo?.deploymentVersion?.buildId).toBe(v2.version?.buildId);

    // Replaying version 1's history needs version 1's code: the reset run stays pinned there and waits for it.
    const fromLater = await reset(oldTickets[2]!, 'late');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const later = await fromLater.describe();
    expect(later.status.name).toBe('RUNNING');
    expect(later.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId).toBe(
      v1.version?.buildId,
    );
    // A worker of version 1 again (same code, same build id), not made current, finishes it.
    const v1Again = await startWorker(workflowBundle(), 'never');
    expect(v1Again.version).toEqual(v1.version);
    await expect(v1Again.promotion).resolves.toEqual({
      outcome: 'not-current',
      current: v2.version?.buildId,
      rule: 'never',
    });
    await expect(fromLater.result()).resolves.toMatchObject({ ticketId: oldTickets[2] });
    expect(await failedWorkflowTasks(oldTickets[2]!)).toBe(1); // the reset's own marker, no non-determinism
    expect(stack.posted(oldTickets[1]!).replies).toHaveLength(1);
    expect(stack.posted(oldTickets[2]!).replies).toHaveLength(1);
  });

  it("docs/production.md's reset-with-move, with the CLI: a ticket reset and pinned to the version named", async () => {
    const cli = process.env.TEMPORAL_CLI_PATH;
    // The global setup finds the CLI (and sets this) in every run, TEST_TEMPORAL_ADDRESS or not.
    if (!cli)
      throw new Error('This test runs the Temporal CLI: set TEMPORAL_CLI_PATH to a `temporal` binary');
    const id = oldTickets[0]!;
    const before = (await handle(id).describe()).runId;
    await promisify(execFile)(cli, [
      'workflow',
      'reset',
      'with-workflow-update-options',
      '--address',
      env.address,
      '--namespace',
      env.client.options.namespace,
      '--workflow-id',
      workflowIdForTicket(id),
      '--type',
      'FirstWorkflowTask',
      '--reason',
      'worker versioning test',
      '--versioning-override-behavior',
      'pinned',
      '--versioning-override-deployment-name',
      v2.version!.deploymentName,
      '--versioning-override-build-id',
      v2.version!.buildId,
    ]);
    const after = env.client.workflow.getHandle(workflowIdForTicket(id));
    expect((await after.describe()).runId).not.toBe(before);
    await expect(after.result()).resolves.toMatchObject({ ticketId: id });
    const info = (await after.describe()).raw.workflowExecutionInfo?.versioningInfo;
    expect(info?.versioningOverride?.pinned?.version?.buildId ?? info?.deploymentVersion?.buildId).toBe(
      v2.version?.buildId,
    );
    expect(stack.posted(id).replies).toHaveLength(1);
  });
});
