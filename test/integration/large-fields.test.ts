import { beforeAll, describe, expect, it } from '@jest/globals';
import type { temporal } from '@temporalio/proto';
import { ACTIVITY_PAYLOAD_BYTES } from '../../src/temporal/payload-limits';
import { workflowIdForTicket, type AutoReplyResult } from '../../src/temporal/definitions';
import { useTestStack } from '../support/stack';

/**
 * A customer's words of any size, end to end on the dev server: whatever Gorgias takes (a 700 KB subject, a 100 KB
 * name, tags by the megabyte, an address of kilobytes), the ticket's workflow ends as the decision says, never
 * terminated by the server for a payload or a search attribute over its limits (test/unit/payload-limits.test.ts
 * has every activity's input and result at their worst).
 */

const ctx = useTestStack();

const words = (chars: number) => 'lorem ipsum '.repeat(Math.ceil(chars / 12)).slice(0, chars);

/** The largest payload in the workflow's history (inputs, results, markers, memo, search attributes). */
async function largestPayload(ticketId: number): Promise<number> {
  const history = await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).fetchHistory();
  let largest = 0;
  const visit = (value: unknown): void => {
    if (value instanceof Uint8Array) largest = Math.max(largest, value.length);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(history.events as temporal.api.history.v1.IHistoryEvent[]);
  return largest;
}

async function run(ticketId: number): Promise<{ result: AutoReplyResult; status: string }> {
  expect((await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
  const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
  const result = await handle.result();
  return { result, status: (await handle.describe()).status.name };
}

describe('a ticket with a 700 KB subject, a 100 KB customer name and 2.4 MB of tags', () => {
  const subject = `Where is my order #1042? ${words(700_000)}`;
  const customerName = `Dana ${'N'.repeat(100_000)}`;
  let ticketId: number;
  let outcome: { result: AutoReplyResult; status: string };

  beforeAll(async () => {
    ticketId = await ctx.stack.seedTicket(
      { customerName, subject },
      { tags: Array.from({ length: 300 }, (_, i) => ({ name: `${i}-${'t'.repeat(8000)}` })) },
    );
    outcome = await run(ticketId);
  }, 60_000);

  it('is replied to, and its workflow completes', () => {
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.result.outcome).toBe('replied');
  });

  it('the reply and the note carry the subject and the name clipped', () => {
    const { replies, notes } = ctx.stack.posted(ticketId);
    const [reply] = replies as { subject: string; body_text: string; source: { to: { name: string }[] } }[];
    expect(reply?.subject).toMatch(/^Re: Where is my order #1042\? lorem ipsum/);
    expect(reply?.subject.length).toBeLessThanOrEqual(200);
    expect(reply?.source.to[0]?.name.length).toBeLessThanOrEqual(100);
    expect(reply?.body_text.length).toBeLessThan(2000);
    const [note] = notes as { body_text: string }[];
    expect(note?.body_text).toContain(`Subject: ${reply?.subject}`);
    expect(note?.body_text.length).toBeLessThan(4000);
  });

  it('no payload in its history comes near the limits', async () => {
    expect(await largestPayload(ticketId)).toBeLessThanOrEqual(ACTIVITY_PAYLOAD_BYTES);
  });
});

describe('a ticket whose customer address is 3 KB long', () => {
  it('is skipped as having no address, its workflow completed, not terminated for its search attribute', async () => {
    const ticketId = await ctx.stack.seedTicket({ customerEmail: `${'a'.repeat(3000)}@example.org` });
    const { result, status } = await run(ticketId);
    expect(status).toBe('COMPLETED');
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'no-customer-email' });
    const described = await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).describe();
    expect(described.searchAttributes.CustomerEmail).toBeUndefined();
  }, 60_000);
});

describe('a ticket an automation tagged 300 times before an agent added the skip tag', () => {
  it('is skipped for the skip tag, with nothing written on it', async () => {
    const tags = Array.from({ length: 300 }, (_, i) => ({ name: `auto-${i}` }));
    const ticketId = await ctx.stack.seedTicket({}, { tags: [...tags, { name: 'no-auto-reply' }] });
    const { result, status } = await run(ticketId);
    expect(status).toBe('COMPLETED');
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'skip-tag' });
    expect(ctx.stack.posted(ticketId).replies).toEqual([]);
  }, 60_000);
});

describe('a template that renders megabytes', () => {
  it('hands the ticket back as a template error, with its note, instead of having its workflow terminated', async () => {
    // 10,000 times the subject (150 characters as a reply repeats it): 3 MB in text and in HTML, over the 2 MB
    // of a payload (without the guard, the server terminates the workflow for its local activity's result).
    const body = '{{subject}} '.repeat(10_000);
    const stack = await ctx.start({
      policy: { templates: { acknowledgement: { subject: 'Re: {{subject}}', body } } },
    });
    const ticketId = await stack.seedTicket({ subject: words(10_000) });
    expect((await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
    await expect(handle.result()).rejects.toMatchObject({
      cause: {
        message: expect.stringMatching(/^template-error: the composed reply: \d+ bytes, over the 65536/),
      },
    });
    expect((await handle.describe()).status.name).toBe('FAILED');
    const { replies, notes } = stack.posted(ticketId);
    expect(replies).toEqual([]);
    expect(notes.map((n) => String(n.body_text))).toEqual([
      expect.stringContaining('Auto-reply failed (template-error)'),
    ]);
  }, 60_000);
});
