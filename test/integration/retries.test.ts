import { afterEach, describe, expect, it } from '@jest/globals';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { toActivityFailure } from '../../src/activities/gorgias-call';
import { GorgiasClient } from '../../src/gorgias/client';
import { GorgiasRequestError } from '../../src/gorgias/failures';
import { startSandbox } from '../../src/sandbox';
import { useTestStack } from '../support/stack';

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

describe('classifying Gorgias failures', () => {
  it('a 429 becomes a retryable failure that waits for the Retry-After Gorgias sent', async () => {
    const sandbox = await startSandbox({
      username: 'u',
      apiKey: 'k',
      rateLimit: { capacity: 1, drainPerSecond: 0.25 },
    });
    try {
      const client = new GorgiasClient({ baseUrl: sandbox.url, username: 'u', apiKey: 'k', timeoutMs: 2000 });
      await expect(client.getTicket(1)).rejects.toMatchObject({ kind: 'permanent', status: 404 });
      const limited = await client.getTicket(1).catch((err: unknown) => err);
      expect(limited).toBeInstanceOf(GorgiasRequestError);
      expect(limited).toMatchObject({ kind: 'rate-limited', status: 429 });
      const waitMs = (limited as GorgiasRequestError).retryAfterMs;
      expect(waitMs).toBeGreaterThanOrEqual(1000);
      expect(waitMs).toBeLessThanOrEqual(4000);

      const failure = toActivityFailure(limited as GorgiasRequestError);
      expect(failure).toMatchObject({
        type: 'GorgiasRateLimited',
        nonRetryable: false,
        nextRetryDelay: waitMs,
      });
    } finally {
      await sandbox.close();
    }
  });

  it.each([
    [500, 'GorgiasUnavailable', false],
    [502, 'GorgiasUnavailable', false],
    [408, 'GorgiasUnavailable', false],
    [400, 'GorgiasRejected', true],
    [401, 'GorgiasAuth', true],
    [403, 'GorgiasAuth', true],
    [404, 'GorgiasRejected', true],
  ])('HTTP %i becomes %s (non-retryable: %s)', (status, type, nonRetryable) => {
    const failure = toActivityFailure(
      new GorgiasRequestError(status >= 500 || status === 408 ? 'retryable' : 'permanent', 'x', status),
    );
    expect(failure).toMatchObject({ type, nonRetryable });
  });

  it('a connection error is retryable and its message carries no credentials', async () => {
    const client = new GorgiasClient({
      baseUrl: 'http://127.0.0.1:1',
      username: 'bot@x.com',
      apiKey: 'secret-key-123',
      timeoutMs: 1000,
    });
    const error = await client.getTicket(1).catch((err: unknown) => err);
    expect(error).toMatchObject({ kind: 'retryable' });
    expect(String((error as Error).message)).not.toContain('secret-key-123');
    expect(JSON.stringify(error)).not.toContain('secret-key-123');
  });
});
