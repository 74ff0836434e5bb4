import { afterEach, describe, expect, it } from '@jest/globals';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateQuery, workflowIdForTicket } from '../../src/temporal/definitions';
import { useTestStack, type TestStack } from '../support/stack';
import { resetPastTheRead, resetWithCli } from '../support/temporal';
import { waitUntil } from '../../harness/waiting';

/**
 * Gorgias failing the service's calls, and a reset replaying them: a failure Gorgias will repeat hands the
 * ticket back at once, one it may not repeat is retried, and neither a retry nor a reset posts twice. How each
 * HTTP failure is classified is test/unit/gorgias-failures.test.ts; the same at scale, with real processes
 * killed and paused, is the chaos suite.
 */

/** Random draws the sandbox's fault injection will use next; 0.99 (no fault) once they run out. */
const draws: number[] = [];

const ctx = useTestStack({ sandbox: { random: () => draws.shift() ?? 0.99 } });

afterEach(() => {
  draws.length = 0;
  ctx.stack.sandbox.setFaults({ errorRate: 0, lateResponseRate: 0, methods: undefined });
});

function statusCount(status: number): number {
  return ctx.stack.sandbox.stats().byStatus[String(status)] ?? 0;
}

describe('talking to Gorgias when it fails', () => {
  it('a 4xx is not retried: the ticket is tagged, the agents get a note, and the workflow fails with the error', async () => {
    const ticketId = await ctx.stack.seedTicket();
    ctx.stack.sandbox.setFaults({ errorRate: 0.5, errorStatuses: [400], methods: ['POST'] });
    draws.push(0.1); // the first POST (the reply) is refused, every later one succeeds
    const before = statusCount(400);
    await ctx.stack.deliver({ ticket_id: ticketId });

    const error = await ctx.stack.result(ticketId).catch((err: unknown) => err);
    // The workflow fails with its reason and Gorgias's error, after the hand-back.
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failure = (error as WorkflowFailedError).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'AutoReplyFailed', nonRetryable: true });
    expect((failure as ApplicationFailure).details).toEqual([
      { reason: 'gorgias-rejected', replyMessageId: null },
    ]);
    expect((failure as ApplicationFailure).message).toContain('HTTP 400');
    expect(statusCount(400) - before).toBe(1);

    const { replies, notes } = ctx.stack.posted(ticketId);
    expect(replies).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body_text).toContain('Auto-reply failed (gorgias-rejected)');
    expect(notes[0]?.body_text).toContain('HTTP 400');
    const ticket = await ctx.stack.gorgias.getTicket(ticketId);
    expect(ticket.tags?.map((t) => t.name)).toContain('auto-reply-failed');
    const described = await ctx.env.client.workflow.getHandle(`gorgias-ticket-${ticketId}`).describe();
    expect(described.searchAttributes.AutoReplyOutcome).toEqual(['failed']);
    expect(described.searchAttributes.AutoReplyReason).toEqual(['gorgias-rejected']);
  });

  it('a 5xx is retried and the reply then goes out once', async () => {
    const ticketId = await ctx.stack.seedTicket();
    ctx.stack.sandbox.setFaults({ errorRate: 0.5, errorStatuses: [503], methods: ['POST'] });
    draws.push(0.1); // the first POST (the reply) fails, every later one succeeds
    const before = statusCount(503);
    await ctx.stack.deliver({ ticket_id: ticketId });

    expect(await ctx.stack.result(ticketId)).toMatchObject({ outcome: 'replied' });
    expect(statusCount(503) - before).toBe(1);
    expect(ctx.stack.posted(ticketId).replies).toHaveLength(1);
    expect(ctx.stack.posted(ticketId).notes).toHaveLength(1);
  });

  it('a request that succeeded but answered after the timeout is not posted twice on retry', async () => {
    const ticketId = await ctx.stack.seedTicket();
    const created = ctx.stack.sandbox.stats().messagesCreated;
    // Every POST is committed, then answered after the client's 2 s timeout: each attempt looks lost.
    ctx.stack.sandbox.setFaults({ lateResponseRate: 1, lateResponseMs: 3000, methods: ['POST'] });
    await ctx.stack.deliver({ ticket_id: ticketId });

    expect(await ctx.stack.result(ticketId)).toMatchObject({ outcome: 'replied' });
    expect(ctx.stack.sandbox.stats().messagesCreated - created).toBe(2);
    expect(ctx.stack.posted(ticketId).replies).toHaveLength(1);
    expect(ctx.stack.posted(ticketId).notes).toHaveLength(1);
  }, 60_000);
});

describe('after the reply was posted', () => {
  const phaseOf = async (stack: TestStack, ticketId: number) =>
    (await stack.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).query(stateQuery)).phase;

  /** A stack whose replies stay unsent for a minute, so the workflow is still asking Gorgias about its reply. */
  async function postedAndAsking() {
    const stack = await ctx.start({});
    stack.sandbox.setSending({ delayMs: 60_000 });
    const ticketId = await stack.seedTicket();
    await stack.deliver({ ticket_id: ticketId });
    await waitUntil(async () => (await phaseOf(stack, ticketId)) === 'confirming-delivery', 20_000);
    return { stack, ticketId };
  }

  it.each<[string, (stack: TestStack, ticketId: number) => Promise<unknown>]>([
    [
      'the ticket was merged away (404)',
      async (stack, id) => stack.sandbox.mergeTicket(id, await stack.seedTicket()),
    ],
    [
      'the API key was revoked (401)',
      async (stack) => stack.sandbox.setFaults({ errorRate: 1, errorStatuses: [401], methods: ['GET'] }),
    ],
  ])(
    'a reply that cannot be read back because %s is unconfirmed, never "answer by hand"',
    async (_, breakIt) => {
      const { stack, ticketId } = await postedAndAsking();
      await breakIt(stack, ticketId);
      expect(await stack.result(ticketId)).toMatchObject({ outcome: 'unconfirmed' });
      const notes = stack.sandbox.messagesOf(ticketId) as { body_text?: string }[];
      expect(notes.some((m) => /answer this ticket by hand/.test(m.body_text ?? ''))).toBe(false);
    },
    60_000,
  );

  it('the kill switch pulled while a retried POST had committed: the retry reports the reply, not "held"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autoreply-kill-'));
    const killSwitch = join(dir, 'stop-sending');
    try {
      const stack = await ctx.start({ killSwitchFile: killSwitch });
      const ticketId = await stack.seedTicket();
      const created = stack.sandbox.stats().messagesCreated;
      // The reply's POST is committed, then answered after the client's 2 s timeout: its attempt looks lost.
      stack.sandbox.setFaults({ lateResponseRate: 1, lateResponseMs: 3000, methods: ['POST'] });
      await stack.deliver({ ticket_id: ticketId });
      await waitUntil(async () => stack.sandbox.stats().messagesCreated > created, 20_000, 50);
      writeFileSync(killSwitch, '');

      expect(await stack.result(ticketId)).toMatchObject({ outcome: 'replied' });
      expect(stack.posted(ticketId).replies).toHaveLength(1);
      expect(stack.posted(ticketId).notes.map((n) => n.body_text)).toEqual([
        expect.stringMatching(/^Auto-reply sent to /),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a reset from the Web UI or the CLI', () => {
  it('a reset past the read looks for the reply and the note first: still one of each', async () => {
    const ticketId = await ctx.stack.seedTicket();
    await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    expect(await ctx.stack.result(ticketId)).toMatchObject({ outcome: 'replied' });

    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
    const reset = await resetPastTheRead(ctx.env, handle.workflowId);
    expect(reset.status.name).toBe('COMPLETED');
    const result: unknown = await ctx.env.client.workflow.getHandle(handle.workflowId, reset.runId).result();
    expect(result).toMatchObject({ outcome: 'replied' });
    expect(ctx.stack.posted(ticketId).replies).toHaveLength(1);
    expect(ctx.stack.posted(ticketId).notes).toHaveLength(1);
  });
});

describe('a reset to a point where the reply was being sent', () => {
  it('the send the new run inherits looks first: still one reply and one note', async () => {
    // Retries wait 8 s after a POST whose answer was lost: time for a delivery and a reset meanwhile.
    const stack = await ctx.start({ env: { GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: '8000' } });
    const ticketId = await stack.seedTicket();
    // Every POST is committed at once and answered after the client's 2 s timeout: each looks lost.
    stack.sandbox.setFaults({ lateResponseRate: 1, lateResponseMs: 3000, methods: ['POST'] });
    await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    await waitUntil(() => stack.posted(ticketId).replies.length === 1, 30_000);

    // The customer writes again while the reply's send waits to look: a workflow task with the send pending.
    await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-message-created' });
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
    // The workflow task that recorded it, with the reply's send scheduled and not yet completed: a reset there
    // gives the new run that send, still pending.
    let taskWhileSending = 0;
    await waitUntil(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const at = (find: (e: (typeof events)[number]) => unknown, after = 0) =>
        Number(events.find((e) => Number(e.eventId) > after && find(e))?.eventId ?? 0);
      const send = at((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendReply');
      const signalled = send && at((e) => e.workflowExecutionSignaledEventAttributes, send);
      taskWhileSending = signalled && at((e) => e.workflowTaskCompletedEventAttributes, signalled);
      const sendDone = at((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === send);
      expect(sendDone === 0 || sendDone > taskWhileSending).toBe(true);
      return taskWhileSending > 0;
    }, 20_000);

    const reset = await resetWithCli(
      ctx.env,
      handle.workflowId,
      { eventId: Number(taskWhileSending) },
      'test: reset while sending',
    );
    expect(reset.status.name).toBe('COMPLETED');
    expect(stack.posted(ticketId).replies).toHaveLength(1);
    expect(stack.posted(ticketId).notes).toHaveLength(1);
  }, 120_000);
});

describe("a delivery after the ticket's workflow is gone (past the namespace's retention)", () => {
  /** Deletes the ticket's workflow, as the namespace's retention does, and waits until it is gone. */
  async function forget(ticketId: number) {
    await ctx.env.client.workflowService.deleteWorkflowExecution({
      namespace: ctx.env.namespace ?? 'default',
      workflowExecution: { workflowId: workflowIdForTicket(ticketId) },
    });
    // The dev server takes about 30 s to delete a closed workflow.
    await waitUntil(async () => !(await ctx.stack.hasWorkflow(ticketId)), 90_000, 500);
  }

  it('starts a new run that posts nothing: no second note on a skipped ticket, no second reply', async () => {
    // Skip notes on, and a skip that gets one (an automatic sender).
    const stack = await ctx.start({ policy: { notes: { on_skip: true } } });
    const skipped = await stack.seedTicket({ customerEmail: 'noreply@notifications.example.com' });
    const replied = await stack.seedTicket();
    for (const ticketId of [skipped, replied]) {
      await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    }
    expect(await stack.result(skipped)).toMatchObject({ outcome: 'skipped', reason: 'no-reply-sender' });
    expect(await stack.result(replied)).toMatchObject({ outcome: 'replied' });
    expect(stack.posted(skipped).notes).toHaveLength(1);

    // Days later the agents close one ticket and the customer writes again on the other.
    await Promise.all([forget(skipped), forget(replied)]);
    expect((await stack.deliver({ ticket_id: skipped }, { event: 'ticket-updated' })).status).toBe(202);
    expect((await stack.deliver({ ticket_id: replied }, { event: 'ticket-message-created' })).status).toBe(
      202,
    );

    // The skipped ticket's agents were told why then; the new run ends quietly.
    expect(await stack.result(skipped)).toMatchObject({ outcome: 'skipped', reason: 'handled-before' });
    expect(stack.posted(skipped)).toMatchObject({ replies: [], notes: [expect.anything()] });
    expect(await stack.result(replied)).toMatchObject({
      outcome: 'skipped',
      reason: 'already-auto-replied',
    });
    expect(stack.posted(replied).replies).toHaveLength(1);
    expect(stack.posted(replied).notes).toHaveLength(1);
  }, 150_000);
});
