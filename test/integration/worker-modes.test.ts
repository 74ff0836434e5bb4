import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import {
  workflowIdForTicket,
  type AutoReplyResult,
  type CatchUpResult,
  type CatchUpWorkflow,
} from '../../src/temporal/definitions';
import { TestStack } from '../support/stack';
import { createTemporalEnv } from '../support/temporal';

/**
 * Every worker mode docs/production.md documents, end to end on the dev server: versioned (the default) and
 * unversioned (TEMPORAL_WORKER_VERSIONING=false). In each, a ticket is answered once and the catch-up runs to
 * its end, also with no workflow cache (every workflow task replays the history first), and no workflow task
 * fails on the way: a workflow that declared a versioning behaviour to an unversioned worker's server would
 * have every one refused.
 */

const EventType = temporal.api.enums.v1.EventType;
const PINNED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;
const AUTO_UPGRADE = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE;
const UNSPECIFIED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED;

/** Longer than a ticket takes here (about a second), far shorter than the test's own timeout. */
const OUTCOME_WITHIN_MS = 30_000;

let env: TestWorkflowEnvironment;
const stacks: TestStack[] = [];

beforeAll(async () => {
  env = await createTemporalEnv();
}, 120_000);

afterAll(async () => {
  for (const stack of stacks) await stack.close();
  await env?.teardown();
});

/** Why the workflow's tasks failed, if any did (a failure of the workflow code, recorded in the history). */
async function failedTaskCauses(workflowId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    .map((e) => e.workflowTaskFailedEventAttributes?.failure?.message ?? 'failed');
}

/**
 * The workflow's result, or an error saying how far its pending workflow task got, instead of hanging until the
 * test times out: a task the server refuses (a versioning behaviour from an unversioned worker) is not recorded in
 * the history, only retried every 10 s, forever.
 */
async function outcomeOf<T>(workflowId: string): Promise<T> {
  const handle = env.client.workflow.getHandle(workflowId);
  const stuck = new Promise<never>((_, reject) => {
    setTimeout(() => {
      void handle.describe().then((d) => {
        const attempts = d.raw.pendingWorkflowTask?.attempt ?? 0;
        reject(
          new Error(`no result within ${OUTCOME_WITHIN_MS} ms; pending workflow task attempt ${attempts}`),
        );
      }, reject);
    }, OUTCOME_WITHIN_MS).unref();
  });
  return Promise.race([handle.result() as Promise<T>, stuck]);
}

async function behaviourOf(workflowId: string) {
  const info = (await env.client.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo;
  return info?.versioningInfo?.behavior ?? UNSPECIFIED;
}

describe.each([
  ['versioned (the default)', {}, true],
  ['unversioned (TEMPORAL_WORKER_VERSIONING=false)', { TEMPORAL_WORKER_VERSIONING: 'false' }, false],
])('a worker, %s', (_, modeEnv: Record<string, string>, versioned) => {
  describe.each([
    ['with its workflow cache', {}],
    ['with no workflow cache (every task replays)', { WORKER_MAX_CACHED_WORKFLOWS: '0' }],
  ])('%s', (__, cacheEnv: Record<string, string>) => {
    let stack: TestStack;

    beforeAll(async () => {
      stack = await TestStack.start(env, { env: { ...modeEnv, ...cacheEnv } });
      stacks.push(stack);
    }, 60_000);

    it('answers a ticket once, without a failed workflow task', async () => {
      const ticketId = await stack.seedTicket();
      expect((await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
      const workflowId = workflowIdForTicket(ticketId);
      await expect(outcomeOf<AutoReplyResult>(workflowId)).resolves.toMatchObject({ outcome: 'replied' });
      expect(stack.posted(ticketId).replies).toHaveLength(1);
      expect(await failedTaskCauses(workflowId)).toEqual([]);
      // Pinned to its version when the worker is versioned; no behaviour at all when it is not.
      expect(await behaviourOf(workflowId)).toBe(versioned ? PINNED : UNSPECIFIED);
    });

    it("runs workflow tasks under a one-minute watchdog, not the SDK's 5 s (a longer pause aborts the process)", () => {
      expect(stack.workerOptions?.isolateExecutionTimeoutMs).toBe(60_000);
    });

    it('runs the catch-up to its end, which starts the ticket whose webhook was lost', async () => {
      const lost = await stack.seedTicket();
      const workflowId = `catch-up-${Math.random().toString(36).slice(2)}`;
      await env.client.workflow.start<CatchUpWorkflow>('catchUpWorkflow', {
        taskQueue: stack.config.temporal.TEMPORAL_TASK_QUEUE,
        workflowId,
        // No grace: the ticket was just created, and its webhook is known to be lost.
        args: [{ lookbackMinutes: 30, graceSeconds: 0 }],
      });
      const result = await outcomeOf<CatchUpResult>(workflowId);
      expect(result.started).toEqual([lost]);
      expect(await failedTaskCauses(workflowId)).toEqual([]);
      expect(await behaviourOf(workflowId)).toBe(versioned ? AUTO_UPGRADE : UNSPECIFIED);
      await expect(outcomeOf<AutoReplyResult>(workflowIdForTicket(lost))).resolves.toMatchObject({
        outcome: 'replied',
      });
    });
  });
});
