import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseMarker } from '../../src/reply/markers';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { TestStack, useTestStack } from '../support/stack';
import { createTemporalEnv, resetPastTheRead } from '../support/temporal';

/**
 * Two deployments of the service on one Gorgias account (issue 24, item 4): production (this file's stack), and
 * a staging in a namespace of its own on the same Temporal server, whose worker answers the same account
 * (production's sandbox). Neither names its deployment: each is told apart by its namespace and task queue.
 */

const production = useTestStack();
let stagingEnv: TestWorkflowEnvironment;
const stagings: TestStack[] = [];

/** A staging deployment on production's Gorgias account. */
async function startStaging(policy: Record<string, unknown> = {}): Promise<TestStack> {
  const stack = await TestStack.start(stagingEnv, {
    policy,
    env: { GORGIAS_BASE_URL: production.stack.sandbox.url },
  });
  stagings.push(stack);
  return stack;
}

beforeAll(async () => {
  stagingEnv = await createTemporalEnv();
}, 120_000);
afterAll(async () => {
  for (const stack of stagings) await stack.close();
  await stagingEnv?.teardown();
});

async function handle(stack: TestStack, ticketId: number) {
  expect((await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
  return stack.result(ticketId);
}

/** Which deployment wrote each of the service's messages on the ticket, and what it is. */
function writers(ticketId: number): string[] {
  return production.stack.sandbox
    .messagesOf(ticketId)
    .map((m) => parseMarker((m as { external_id?: string | null }).external_id))
    .filter((m) => m !== null)
    .map((m) => `${m.deployment}: ${m.kind === 'note' ? `${m.noteKind} note` : 'reply'}`);
}

describe('another deployment on the same account', () => {
  let ticketId: number;

  it('a staging dry run that notes a ticket first does not make production skip it: one reply', async () => {
    const staging = await startStaging({ dry_run: true });
    ticketId = await production.stack.seedTicket();
    expect(await handle(staging, ticketId)).toMatchObject({ outcome: 'dry-run' });

    expect(await handle(production.stack, ticketId)).toMatchObject({ outcome: 'replied' });
    const [stagingName, productionName] = [staging, production.stack].map(
      (s) => `${s.config.temporal.TEMPORAL_NAMESPACE}.${s.config.temporal.TEMPORAL_TASK_QUEUE}`,
    );
    expect(writers(ticketId).sort()).toEqual(
      [`${stagingName}: dry-run note`, `${productionName}: reply`, `${productionName}: replied note`].sort(),
    );
  });

  it('a reset run of production still finds its own reply and note among them: nothing posted twice', async () => {
    const workflowId = workflowIdForTicket(ticketId);
    const before = writers(ticketId);
    const reset = await resetPastTheRead(production.env, workflowId);
    expect(reset.status.name).toBe('COMPLETED');
    const result: unknown = await production.env.client.workflow.getHandle(workflowId, reset.runId).result();
    expect(result).toMatchObject({ outcome: 'replied' });
    expect(writers(ticketId)).toEqual(before);
  }, 90_000);

  it("a staging that replies first: production takes it as the customer's answer and sends none", async () => {
    const staging = await startStaging();
    const id = await production.stack.seedTicket();
    expect(await handle(staging, id)).toMatchObject({ outcome: 'replied' });

    expect(await handle(production.stack, id)).toMatchObject({
      outcome: 'skipped',
      reason: 'other-deployment-replied',
    });
    expect(production.stack.posted(id).replies).toHaveLength(1);
  });
});
