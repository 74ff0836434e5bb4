import { afterEach, describe, expect, it } from '@jest/globals';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateQuery, workflowIdForTicket } from '../../src/temporal/definitions';
import { useTestStack, type TestStack } from '../support/stack';
import { waitUntil } from '../../harness/waiting';

/**
 * Gorgias failing the service's calls: a failure Gorgias will repeat hands the ticket back at once, one it may
 * not repeat is retried, and a retry never posts twice (a reset replaying them is resets.test.ts). How each
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
