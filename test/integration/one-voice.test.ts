import { beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { recipientWorkflowId } from '../../src/activities/recipient-claims';
import {
  claimAcknowledgementUpdate,
  grantsQuery,
  workflowIdForTicket,
  type AutoReplyResult,
  type RecipientWorkflowInput,
} from '../../src/temporal/definitions';
import type { Recipient } from '../../src/reply/recipient-grants';
import { useTestStack, type TestStack } from '../support/stack';
import { resetWithCli } from '../support/temporal';
import { waitUntil } from '../../harness/waiting';

/**
 * One voice per customer: the per-customer cooldown and the per-domain limit, granted by the recipients' workflows
 * (src/workflows/recipient.ts) right before the send. Concurrency across two workers, resets, expiry, continue-as-new
 * and a recipient's workflow that does not answer. (A worker killed between grant and send: test/chaos/one-voice.)
 */

const ctx = useTestStack();
const unique = () => Math.random().toString(36).slice(2, 10);
const MINUTE = 60_000;

beforeAll(async () => {
  // Two workers on the task queue: tickets, claims and the recipients' workflows spread over both.
  await ctx.stack.addWorker();
});

/** Delivers every ticket at once, as Gorgias does for a burst, and waits for each result. */
async function deliverAtOnce(stack: TestStack, ticketIds: number[]): Promise<AutoReplyResult[]> {
  const answers = await Promise.all(
    ticketIds.map((ticketId) => stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })),
  );
  expect(answers.map((a) => a.status)).toEqual(ticketIds.map(() => 202));
  return Promise.all(ticketIds.map((ticketId) => stack.result(ticketId)));
}

const repliesOn = (stack: TestStack, ticketIds: number[]) =>
  ticketIds.reduce((sum, id) => sum + stack.posted(id).replies.length, 0);

const recipientHandle = (recipient: Recipient) =>
  ctx.env.client.workflow.getHandle(recipientWorkflowId(recipient));

describe('the per-customer cooldown under concurrency', () => {
  const customerEmail = `burst.${unique()}@one-voice-${unique()}.example`;
  const customer: Recipient = { kind: 'address', name: customerEmail };
  let ticketIds: number[];
  let winner: number;

  it('five tickets of one customer delivered at once, across two workers, get one acknowledgement in all', async () => {
    ticketIds = [];
    for (let i = 0; i < 5; i++) {
      ticketIds.push(await ctx.stack.seedTicket({ customerEmail, subject: `Question ${i + 1}` }));
    }
    const results = await deliverAtOnce(ctx.stack, ticketIds);

    const replied = results.filter((r) => r.outcome === 'replied');
    expect(replied).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'skipped' && r.reason === 'cooldown')).toHaveLength(4);
    expect(repliesOn(ctx.stack, ticketIds)).toBe(1);
    winner = replied[0]!.ticketId;
    expect((await recipientHandle(customer).query(grantsQuery)).map((g) => g.ticketId)).toEqual([winner]);
  });

  it('asking again gets the same answer: the grant back for its ticket, a denial naming it for the others', async () => {
    const handle = recipientHandle(customer);
    const [grant] = await handle.query(grantsQuery);
    const limit = { max: 1, withinMs: 5 * MINUTE };
    expect(
      await handle.executeUpdate(claimAcknowledgementUpdate, { args: [{ ticketId: winner, ...limit }] }),
    ).toEqual({ granted: true, grant });
    const loser = ticketIds.find((id) => id !== winner)!;
    expect(
      await handle.executeUpdate(claimAcknowledgementUpdate, { args: [{ ticketId: loser, ...limit }] }),
    ).toEqual({ granted: false, heldBy: [winner], freeAt: grant!.until });
    // The customer's workflow is found by their address, as support looks a customer up.
    const { count } = await ctx.env.client.workflow.count(
      `CustomerEmail = "${customerEmail}" AND WorkflowType = "recipientWorkflow"`,
    );
    expect(count).toBe(1);
  });

  it('a reset of the granted ticket to before its claim asks again, is granted again and posts nothing new', async () => {
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(winner));
    const events = (await handle.fetchHistory()).events ?? [];
    const claimAt = events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'claimAcknowledgement',
    );
    const beforeClaim = events
      .slice(0, claimAt)
      .reverse()
      .find((e) => e.workflowTaskCompletedEventAttributes);
    const reset = await resetWithCli(
      ctx.env,
      handle.workflowId,
      { eventId: Number(beforeClaim?.eventId) },
      'test: reset the granted ticket before its claim',
    );
    expect(reset.status.name).toBe('COMPLETED');
    // Granted again (a denial would end it skipped/cooldown); its send found the reply already there.
    expect(await handle.result()).toMatchObject({ outcome: 'replied', ticketId: winner });
    expect(ctx.stack.posted(winner)).toMatchObject({
      replies: [expect.anything()],
      notes: [expect.anything()],
    });
  }, 90_000);

  it('a reset of a denied ticket, or a repeat delivery, does not change who got it', async () => {
    const loser = ticketIds.find((id) => id !== winner)!;
    const reset = await resetWithCli(
      ctx.env,
      workflowIdForTicket(loser),
      'FirstWorkflowTask',
      'test: reset a denied ticket',
    );
    expect(reset.searchAttributes).toMatchObject({ AutoReplyReason: ['cooldown'] });
    const again = await ctx.stack.deliver({ ticket_id: loser }, { event: 'ticket-updated' });
    expect(again.data).toMatchObject({ status: 'duplicate' });
    expect(repliesOn(ctx.stack, ticketIds)).toBe(1);
    expect((await recipientHandle(customer).query(grantsQuery)).map((g) => g.ticketId)).toEqual([winner]);
  }, 90_000);
});

describe('the per-domain limit', () => {
  let limited: TestStack;
  beforeAll(async () => {
    limited = await ctx.start({
      policy: { loop_guard: { per_domain: { max: 2, within_minutes: 60 } } },
    });
  });

  it("one organisation's addresses get the policy's max in the window; the rest are skipped, each address once", async () => {
    const domain = `acme-${unique()}.example`;
    const ticketIds: number[] = [];
    for (let i = 0; i < 5; i++)
      ticketIds.push(await limited.seedTicket({ customerEmail: `person${i}@${domain}` }));
    const results = await deliverAtOnce(limited, ticketIds);
    expect(results.filter((r) => r.outcome === 'replied')).toHaveLength(2);
    expect(
      results.filter((r) => r.outcome === 'skipped' && r.reason === 'recipient-domain-limit'),
    ).toHaveLength(3);
    expect(repliesOn(limited, ticketIds)).toBe(2);
    const granted = await recipientHandle({ kind: 'domain', name: domain }).query(grantsQuery);
    expect(granted.map((g) => g.ticketId).sort()).toEqual(
      results
        .filter((r) => r.outcome === 'replied')
        .map((r) => r.ticketId)
        .sort(),
    );
  });

  it('addresses at a mail provider are different people: only their own cooldown applies', async () => {
    const ticketIds: number[] = [];
    for (let i = 0; i < 4; i++) {
      ticketIds.push(await limited.seedTicket({ customerEmail: `someone.${unique()}@gmail.com` }));
    }
    const results = await deliverAtOnce(limited, ticketIds);
    expect(results.map((r) => r.outcome)).toEqual(ticketIds.map(() => 'replied'));
    const { count } = await ctx.env.client.workflow.count(
      `WorkflowId = "${recipientWorkflowId({ kind: 'domain', name: 'gmail.com' })}"`,
    );
    expect(count).toBe(0);
  });
});

describe("a recipient's workflow over time", () => {
  it('the grant expires after the cooldown: the workflow ends, and the next ticket is answered', async () => {
    const quick = await ctx.start({ policy: { loop_guard: { cooldown_minutes: 0.05 } } });
    const customerEmail = `twice.${unique()}@later-${unique()}.example`;
    const handle = recipientHandle({ kind: 'address', name: customerEmail });
    const first = await quick.seedTicket({ customerEmail });
    expect(await deliverAtOnce(quick, [first])).toMatchObject([{ outcome: 'replied' }]);
    const firstRun = (await handle.describe()).runId;
    await waitUntil(async () => (await handle.describe()).status.name === 'COMPLETED', 30_000, 200);

    const second = await quick.seedTicket({ customerEmail });
    expect(await deliverAtOnce(quick, [second])).toMatchObject([{ outcome: 'replied' }]);
    expect((await handle.describe()).runId).not.toBe(firstRun);
  });

  it('continues as new after its claims, carrying the live grant: still one acknowledgement', async () => {
    const customerEmail = `many.${unique()}@chain-${unique()}.example`;
    const recipient: Recipient = { kind: 'address', name: customerEmail };
    const handle = await ctx.env.client.workflow.start('recipientWorkflow', {
      workflowId: recipientWorkflowId(recipient),
      taskQueue: ctx.stack.config.temporal.TEMPORAL_TASK_QUEUE,
      args: [{ recipient, grants: [], claimsPerRun: 1 } satisfies RecipientWorkflowInput],
    });
    const ticketIds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const ticketId = await ctx.stack.seedTicket({ customerEmail });
      ticketIds.push(ticketId);
      await deliverAtOnce(ctx.stack, [ticketId]);
    }
    const results = await Promise.all(ticketIds.map((id) => ctx.stack.result(id)));
    expect(results.map((r) => r.outcome)).toEqual(['replied', 'skipped', 'skipped']);
    expect(repliesOn(ctx.stack, ticketIds)).toBe(1);
    // A run per claim, or per few (claims that arrive in one workflow task are answered by one run; a claim retried
    // under load is one more): each run but the latest ended by continuing as new, the first ticket's grant carried.
    const latest = ctx.env.client.workflow.getHandle(handle.workflowId);
    expect((await latest.query(grantsQuery)).map((g) => g.ticketId)).toEqual([ticketIds[0]]);
    const runs = async () => {
      const all = await ctx.env.client.workflow.count(`WorkflowId = "${handle.workflowId}"`);
      const continued = await ctx.env.client.workflow.count(
        `WorkflowId = "${handle.workflowId}" AND ExecutionStatus = "ContinuedAsNew"`,
      );
      return { all: all.count, continued: continued.count };
    };
    let seen = { all: 0, continued: 0 };
    await waitUntil(
      async () => {
        seen = await runs();
        return seen.all >= 2 && seen.continued === seen.all - 1;
      },
      30_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: runs ${JSON.stringify(seen)}`);
    });
  });
});

describe("a recipient's workflow that does not answer", () => {
  it('hands the ticket back instead of replying: nothing sent, tag and note for the agents, workflow Failed', async () => {
    // Not long enough for a reply to wait a long time for its claim: it has 45 s - one send attempt (30 s).
    const short = await ctx.start({ policy: { timing: { stale_after_minutes: 0.75 } } });
    const customerEmail = `stuck.${unique()}@stuck-${unique()}.example`;
    // Something else runs under the customer's workflow ID, which the workers cannot run (a broken workflow):
    // the claim's Update is never answered.
    await ctx.env.client.workflow.start('noSuchWorkflowType', {
      workflowId: recipientWorkflowId({ kind: 'address', name: customerEmail }),
      taskQueue: short.config.temporal.TEMPORAL_TASK_QUEUE,
    });
    const ticketId = await short.seedTicket({ customerEmail });
    await short.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    const failure = await short.result(ticketId).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String((failure as WorkflowFailedError).cause?.message)).toMatch(/^cooldown-unavailable: /);
    const { replies, notes } = short.posted(ticketId);
    expect(replies).toEqual([]);
    expect(notes.map((n) => n.body_text)).toEqual([
      expect.stringContaining('Auto-reply failed (cooldown-unavailable)'),
    ]);
    const tags = (await short.gorgias.getTicket(ticketId)).tags.map((t) => t.name);
    expect(tags).toContain('auto-reply-failed');
  }, 90_000);
});
