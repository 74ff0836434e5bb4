import { beforeAll, describe, expect, it } from '@jest/globals';
import { policyVersion } from '../../src/policy/version';
import { resolveStore } from '../../src/policy/stores';
import { workflowIdForTicket, type AutoReplyResult } from '../../src/temporal/definitions';
import { isHeldOut } from '../../src/reply/holdout';
import { useTestStack } from '../support/stack';
import { resetWithCli } from '../support/temporal';

/**
 * The holdout experiment end to end: a held-out ticket ends `skipped` / `holdout` and is never written to in
 * Gorgias (no reply, no note, no tag), whatever deliveries repeat and whatever point an operator resets it to;
 * its neighbour in the other arm is answered as usual. Both record their arm and the version of the policy they
 * were decided by. Which ids are held out, and how evenly, is test/unit/holdout.test.ts.
 */

const TRIGGERS = ['ticket-created', 'ticket-message-created', 'ticket-updated'] as const;
const ctx = useTestStack({ policy: { experiment: { holdout_percent: 50 } } });

let heldOut: number;
let acknowledged: number;
/** What Gorgias holds on the held-out ticket before the service saw it: its messages and tags. */
let untouched: { messages: unknown[]; tags: unknown };

const deliverAll = (ticketId: number) =>
  Promise.all(TRIGGERS.map((event) => ctx.stack.deliver({ ticket_id: ticketId }, { event })));
const describeTicket = (ticketId: number) =>
  ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).describe();
const gorgiasSide = async (ticketId: number) => ({
  messages: ctx.stack.sandbox.messagesOf(ticketId),
  tags: (await ctx.stack.gorgias.getTicket(ticketId)).tags,
});

beforeAll(async () => {
  // Tickets until one falls in each arm (ids are random per stack; each arm takes half of them).
  const ids: number[] = [];
  while (!ids.some((id) => isHeldOut(id, 50)) || !ids.some((id) => !isHeldOut(id, 50))) {
    ids.push(await ctx.stack.seedTicket());
  }
  heldOut = ids.find((id) => isHeldOut(id, 50))!;
  acknowledged = ids.find((id) => !isHeldOut(id, 50))!;
  untouched = await gorgiasSide(heldOut);
  await Promise.all([deliverAll(heldOut), deliverAll(acknowledged)]);
});

describe('a held-out ticket', () => {
  it('ends skipped for the holdout, with nothing written to Gorgias, and records its arm and policy version', async () => {
    const expected: AutoReplyResult = {
      outcome: 'skipped',
      ticketId: heldOut,
      reason: 'holdout',
      noteMessageId: null,
    };
    expect(await ctx.stack.result(heldOut)).toEqual(expected);
    expect(await gorgiasSide(heldOut)).toEqual(untouched);
    const version = policyVersion(resolveStore(null, ctx.stack.policy).policy);
    expect((await describeTicket(heldOut)).searchAttributes).toMatchObject({
      AutoReplyOutcome: ['skipped'],
      AutoReplyReason: ['holdout'],
      AutoReplyArm: ['holdout'],
      AutoReplyPolicyVersion: [version],
      GorgiasStore: ['default'],
    });
    // The Web UI (and the scorecard) list tickets by version and arm.
    const listed = await ctx.env.client.workflow.count(
      `AutoReplyPolicyVersion = "${version}" AND AutoReplyArm = "holdout" AND GorgiasTicketId = ${heldOut}`,
    );
    expect(listed.count).toBe(1);
  });

  it('its neighbour in the other arm is answered, and the note names the policy version', async () => {
    expect(await ctx.stack.result(acknowledged)).toMatchObject({ outcome: 'replied' });
    const { replies, notes } = ctx.stack.posted(acknowledged);
    expect(replies).toHaveLength(1);
    const version = policyVersion(resolveStore(null, ctx.stack.policy).policy);
    expect(notes.map((n) => n.body_text)).toEqual([expect.stringContaining(`policy version ${version}`)]);
    expect((await describeTicket(acknowledged)).searchAttributes).toMatchObject({
      AutoReplyOutcome: ['replied'],
      AutoReplyArm: ['acknowledged'],
      AutoReplyPolicyVersion: [version],
    });
  });

  it('stays held out and untouched across repeated deliveries and a reset to each of its workflow tasks', async () => {
    await ctx.stack.result(heldOut);
    const answers = await deliverAll(heldOut);
    expect(answers.map((a) => a.data.status)).toEqual(TRIGGERS.map(() => 'duplicate'));

    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(heldOut));
    /** The current run's workflow tasks, by the event that completed each. */
    const taskEnds = async () =>
      ((await handle.fetchHistory()).events ?? [])
        .filter((e) => e.workflowTaskCompletedEventAttributes)
        .map((e) => ({ eventId: Number(e.eventId) }));
    const tasks = (await taskEnds()).length;
    expect(tasks).toBeGreaterThanOrEqual(2);
    for (let task = -1; task < tasks; task += 1) {
      const point = task < 0 ? 'FirstWorkflowTask' : (await taskEnds())[task]!;
      const run = await resetWithCli(ctx.env, handle.workflowId, point, 'test: reset a held-out ticket');
      expect(run.status.name).toBe('COMPLETED');
      const result: unknown = await ctx.env.client.workflow.getHandle(handle.workflowId, run.runId).result();
      expect(result).toMatchObject({ outcome: 'skipped', reason: 'holdout' });
      await deliverAll(heldOut);
      expect(await gorgiasSide(heldOut)).toEqual(untouched);
    }
    expect((await describeTicket(heldOut)).searchAttributes.AutoReplyArm).toEqual(['holdout']);
  }, 120_000);
});
