import { beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { parseGorgiasDatetime } from '../../src/gorgias/datetime';
import { agentReply, contactFormTicket } from '../../src/tools/sandbox/sample-ticket';
import { stateQuery, workflowIdForTicket, type AutoReplyResult } from '../../src/temporal/definitions';
import type { TestStack } from '../support/stack';
import { useTestStack } from '../support/stack';
import { resetWithCli } from '../support/temporal';
import { waitUntil } from '../../harness/waiting';

/**
 * A ticket's outcomes end to end, one test each: the webhook intake, Temporal, the worker and the Gorgias sandbox.
 * Which tickets get which outcome is the decision's table (test/unit/decide.test.ts); how the reply reads is
 * test/unit/reply-content.test.ts; what goes wrong talking to Gorgias is test/integration/retries.test.ts.
 */

const TRIGGERS = ['ticket-created', 'ticket-message-created', 'ticket-updated'] as const;

const ctx = useTestStack();

/** The three calls Gorgias makes for one new ticket, all at once. */
function deliverNewTicket(ticketId: number) {
  return Promise.all(TRIGGERS.map((event) => ctx.stack.deliver({ ticket_id: String(ticketId) }, { event })));
}

async function runTicket(stack: TestStack, ticketId: number) {
  expect((await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
  return stack.result(ticketId);
}

const searchAttributesOf = async (ticketId: number) =>
  (await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).describe()).searchAttributes;

/**
 * Tickets delivered at once: enough for the deliveries of one ticket to race each other and those of the others
 * (the same at scale, 200 × 3 on two servers and two workers: the cluster suite).
 */
const BURST = 20;

describe('new tickets', () => {
  it(`three deliveries at once for each of ${BURST} tickets: one workflow per ticket, recording them, and one reply and one note each`, async () => {
    const ticketIds = await Promise.all(Array.from({ length: BURST }, () => ctx.stack.seedTicket()));
    const answers = (await Promise.all(ticketIds.map(deliverNewTicket))).flat();
    // Each delivery was either the one that started the workflow, or recorded in it, or (if it finished already) a duplicate.
    expect(answers.filter((a) => a.status === 202).length).toBeGreaterThanOrEqual(BURST);
    expect(
      answers.every((a) => a.status === 202 || (a.status === 200 && a.data.status === 'duplicate')),
    ).toBe(true);
    expect(answers.map((a) => a.data.workflowId)).toEqual(
      ticketIds.flatMap((id) => TRIGGERS.map(() => `gorgias-ticket-${id}`)),
    );

    const results = await Promise.all(ticketIds.map((id) => ctx.stack.result(id)));
    expect(results.map((r) => r.outcome)).toEqual(ticketIds.map(() => 'replied'));
    const posted = ticketIds.map((id) => ctx.stack.posted(id));
    expect(posted.map((p) => [p.replies.length, p.notes.length])).toEqual(ticketIds.map(() => [1, 1]));
    const { count } = await ctx.env.client.workflow.count(
      `WorkflowId IN (${ticketIds.map((id) => `'${workflowIdForTicket(id)}'`).join(', ')})`,
    );
    expect(count).toBe(BURST);

    // Every delivery is recorded in its workflow, readable through its state query (those after it closed were
    // answered "duplicate" instead).
    const [first] = ticketIds;
    const state = await ctx.env.client.workflow.getHandle(workflowIdForTicket(first ?? 0)).query(stateQuery);
    expect(state.phase).toBe('done');
    expect(state.result?.outcome).toBe('replied');
    expect(state.deliveries.length).toBeGreaterThanOrEqual(1);
    for (const d of state.deliveries) expect(TRIGGERS).toContain(d.trigger);
  }, 120_000);
});

describe('a replied ticket', () => {
  // A customer whose name and subject carry markup: what Gorgias receives is their text, escaped once in HTML.
  const customerName = '<b>Sam</b> Rivers';
  const subject = 'Where is my order #1042? <img src=x onerror=alert(1)>';
  let ticketId: number;
  let result: Extract<AutoReplyResult, { outcome: 'replied' }>;

  beforeAll(async () => {
    ticketId = await ctx.stack.seedTicket({ customerEmail: 'sam@example.net', customerName, subject });
    const outcome = await runTicket(ctx.stack, ticketId);
    if (outcome.outcome !== 'replied') throw new Error(`expected a reply, got ${JSON.stringify(outcome)}`);
    result = outcome;
  });

  it('is answered by email to the customer, from the address they wrote to, their words escaped in HTML', async () => {
    const [reply] = ctx.stack.posted(ticketId).replies;
    expect(reply).toMatchObject({
      id: result.replyMessageId,
      channel: 'email',
      from_agent: true,
      source: {
        type: 'email',
        from: { address: 'support@shop.example.com' },
        to: [{ address: 'sam@example.net' }],
      },
      subject: `Re: ${subject}`,
    });
    expect(reply?.body_text).toContain('Hi <b>Sam</b>,');
    expect(reply?.body_text).toContain(`#${ticketId}`);
    expect(reply?.body_html).toContain('Hi &lt;b&gt;Sam&lt;/b&gt;,');
    expect(String(reply?.body_html).replace(/<\/?(p|br)>/g, '')).not.toMatch(/<[a-z]/i);
    expect(await searchAttributesOf(ticketId)).toMatchObject({ AutoReplyOutcome: ['replied'] });
  });

  it('gets a note saying the reply was sent, when Gorgias reported it sent, and where to trace it', async () => {
    const [reply] = ctx.stack.posted(ticketId).replies as { sent_datetime: string }[];
    expect(reply?.sent_datetime).toBeTruthy();
    const sentAt = parseGorgiasDatetime(reply?.sent_datetime);
    expect(result.sentAt).toBe(new Date(sentAt ?? NaN).toISOString());
    const minute = new Date(sentAt ?? NaN).toISOString().slice(0, 16).replace('T', ' ');

    const [note] = ctx.stack.posted(ticketId).notes;
    expect(note).toMatchObject({ id: result.noteMessageId, channel: 'internal-note', public: false });
    expect(note?.body_text).toContain(`Auto-reply sent to sam@example.net at ${minute} UTC`);
    expect(note?.body_text).toContain(
      `http://localhost:8233/namespaces/${ctx.env.namespace}/workflows/gorgias-ticket-${ticketId}`,
    );
    expect(note?.body_html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('a delivery after its workflow finished is answered "duplicate" and sends nothing', async () => {
    const late = await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-updated' });
    expect(late.status).toBe(200);
    expect(late.data).toMatchObject({ status: 'duplicate', workflowId: `gorgias-ticket-${ticketId}` });
    expect(ctx.stack.posted(ticketId).replies).toHaveLength(1);
    expect(ctx.stack.posted(ticketId).notes).toHaveLength(1);
  });

  it('our own reply and note coming back as webhooks are ignored', async () => {
    const { replies, notes } = ctx.stack.posted(ticketId);
    for (const message of [...replies, ...notes]) {
      const answer = await ctx.stack.deliver(
        { ticket: { id: ticketId, spam: false }, message },
        { event: 'ticket-message-created' },
      );
      expect(answer.status).toBe(200);
      expect(answer.data.status).toBe('ignored');
    }
  });
});

describe('a skipped ticket', () => {
  it('a ticket an agent already answered gets no reply and nothing written on it: the agents see the answer', async () => {
    const ticketId = await ctx.stack.seedTicket();
    await ctx.stack.gorgias.createMessage(ticketId, agentReply('Hi Dana, it ships today.'));
    const result = await runTicket(ctx.stack, ticketId);
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'agent-replied-first', noteMessageId: null });
    expect(ctx.stack.posted(ticketId)).toEqual({ replies: [], notes: [] });
    expect(await searchAttributesOf(ticketId)).toMatchObject({
      AutoReplyOutcome: ['skipped'],
      AutoReplyReason: ['agent-replied-first'],
    });
  });

  it('with notes.on_skip, a skip an agent would wonder about gets one note; one the agents see for themselves none', async () => {
    const noted = await ctx.start({ policy: { notes: { on_skip: true } } });
    const automatic = await noted.seedTicket({ customerEmail: 'noreply@notifications.example.com' });
    const answered = await noted.seedTicket();
    await noted.gorgias.createMessage(answered, agentReply('Hi Dana, it ships today.'));
    expect(await runTicket(noted, automatic)).toMatchObject({
      outcome: 'skipped',
      reason: 'no-reply-sender',
    });
    expect(await runTicket(noted, answered)).toMatchObject({
      outcome: 'skipped',
      reason: 'agent-replied-first',
    });
    expect(noted.posted(automatic).notes).toHaveLength(1);
    expect(noted.posted(automatic).notes[0]?.body_text).toContain('(no-reply-sender)');
    expect(noted.posted(answered)).toEqual({ replies: [], notes: [] });
  });

  it('a ticket older than the staleness window when first looked at ends skipped/stale: no tag, no note, not failed', async () => {
    const created = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const ticketId = await ctx.stack.seedTicket({}, { created_datetime: created });
    expect(await runTicket(ctx.stack, ticketId)).toMatchObject({ outcome: 'skipped', reason: 'stale' });
    expect(ctx.stack.posted(ticketId)).toEqual({ replies: [], notes: [] });
    expect((await ctx.stack.gorgias.getTicket(ticketId)).tags).toEqual([]);
    expect(await searchAttributesOf(ticketId)).toMatchObject({
      AutoReplyOutcome: ['skipped'],
      AutoReplyReason: ['stale'],
    });
  });

  it.each([
    ['deleted', (id: number) => ctx.stack.sandbox.deleteTicket(id)],
    ['merged into another', (id: number, other: number) => ctx.stack.sandbox.mergeTicket(id, other)],
  ])(
    'a ticket %s before its workflow reads it ends skipped/gone, quietly, not failed',
    async (_how, remove) => {
      const ticketId = await ctx.stack.seedTicket();
      const other = await ctx.stack.seedTicket();
      remove(ticketId, other);
      expect(await runTicket(ctx.stack, ticketId)).toMatchObject({ outcome: 'skipped', reason: 'gone' });
      expect(ctx.stack.posted(other)).toEqual({ replies: [], notes: [] });
      expect(await searchAttributesOf(ticketId)).toMatchObject({ AutoReplyReason: ['gone'] });
    },
  );
});

describe('who is answered, and from where', () => {
  it('a customer writing from another of their addresses is answered there, and the note says so', async () => {
    const main = 'lena.berg@example.org';
    const other = 'lena@berg-studio.example';
    ctx.stack.sandbox.addCustomerAddress(main, other);
    const ticketId = await ctx.stack.seedTicket({ customerEmail: other, customerName: 'Lena Berg' });
    expect(await runTicket(ctx.stack, ticketId)).toMatchObject({ outcome: 'replied' });
    const { replies, notes } = ctx.stack.posted(ticketId);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ source: { to: [{ address: other }] } });
    expect(notes[0]?.body_text).toContain(
      `Auto-reply sent to ${other} (the address of their latest message)`,
    );
  });

  it('a contact form with no address to reply from is skipped before anything is sent, never handed back', async () => {
    const form = contactFormTicket({ customerEmail: 'form.visitor@example.org' });
    const ticketId = (await ctx.stack.gorgias.createTicket(form)).id;
    expect(await runTicket(ctx.stack, ticketId)).toMatchObject({
      outcome: 'skipped',
      reason: 'no-reply-address',
    });
    const { replies, notes } = ctx.stack.posted(ticketId);
    expect(replies).toEqual([]);
    expect(notes.every((n) => String(n.body_text).includes('(no-reply-address)'))).toBe(true);
    const tags = (await ctx.stack.gorgias.getTicket(ticketId)).tags.map((t) => t.name);
    expect(tags).not.toContain('auto-reply-failed');
  });
});

describe('a dry run', () => {
  it('posts only a note with the reply it would have sent', async () => {
    const dryRun = await ctx.start({ policy: { dry_run: true } });
    const ticketId = await dryRun.seedTicket({ customerName: 'Ada Byron' });
    expect(await runTicket(dryRun, ticketId)).toMatchObject({ outcome: 'dry-run' });
    const { replies, notes } = dryRun.posted(ticketId);
    expect(replies).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body_text).toContain('Dry run: would have replied to');
    expect(notes[0]?.body_text).toContain('Hi Ada,');
    expect(await searchAttributesOf(ticketId)).toMatchObject({ AutoReplyOutcome: ['dry-run'] });
  });
});

describe('a reply Gorgias accepts but cannot send', () => {
  it('the ticket-message-failed delivery wakes the workflow: failed/send-failed, tagged next to the agents’ tags, the error in the note', async () => {
    // The first scheduled look at the reply is two minutes away: only the delivery can find the failure in time.
    const slow = await ctx.start({ policy: { timing: { confirm_first_check_seconds: 120 } } });
    const customerEmail = 'mailbox.full@example.org';
    slow.sandbox.setSending({ failAddresses: [customerEmail] });
    const ticketId = await slow.seedTicket({ customerEmail });
    await slow.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
    await waitUntil(async () => (await handle.query(stateQuery)).phase === 'confirming-delivery', 20_000);
    // Meanwhile an agent (or a Rule) tags the ticket: our tag must not wipe theirs.
    await slow.gorgias.addTags(ticketId, ['vip']);
    // Gorgias fails the send, then calls the integration's ticket-message-failed trigger.
    const failed = () => slow.posted(ticketId).replies[0] as { failed_datetime?: string | null } | undefined;
    await waitUntil(() => !!failed()?.failed_datetime, 10_000);
    const wake = await slow.deliver({ ticket_id: ticketId }, { event: 'ticket-message-failed' });
    expect(wake.status).toBe(202);

    const error = await slow.result(ticketId).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause?.message).toMatch(/^send-failed: /);
    // Found by the delivery: the first scheduled look (a 120 s timer) never fired.
    const events = (await handle.fetchHistory()).events ?? [];
    const firstLook = events.find(
      (e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0) === 120,
    );
    expect(firstLook).toBeDefined();
    const fired = events.map((e) => e.timerFiredEventAttributes?.timerId).filter(Boolean);
    expect(fired).not.toContain(firstLook?.timerStartedEventAttributes?.timerId);

    const { replies, notes } = slow.posted(ticketId);
    expect(replies).toHaveLength(1);
    expect(notes).toHaveLength(1);
    const reply = replies[0] as { last_sending_error: { error?: string } };
    expect(notes[0]?.body_text).toContain('Auto-reply NOT delivered (send-failed)');
    expect(notes[0]?.body_text).toContain(String(reply.last_sending_error.error));
    expect(notes[0]?.body_text).not.toContain('Auto-reply sent');
    const tags = (await slow.gorgias.getTicket(ticketId)).tags.map((t) => t.name);
    expect(tags).toEqual(expect.arrayContaining(['vip', 'auto-reply-failed']));
    expect(await searchAttributesOf(ticketId)).toMatchObject({
      AutoReplyOutcome: ['failed'],
      AutoReplyReason: ['send-failed'],
    });
  });

  it('a reset of that ticket ends failed again, nothing posted twice: it stays in the failed list', async () => {
    const customerEmail = 'mailbox.gone@example.org';
    ctx.stack.sandbox.setSending({ failAddresses: [customerEmail] });
    const ticketId = await ctx.stack.seedTicket({ customerEmail });
    await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    expect(await ctx.stack.result(ticketId).catch((err: unknown) => err)).toBeInstanceOf(WorkflowFailedError);
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));

    const reset = await resetWithCli(
      ctx.env,
      handle.workflowId,
      'FirstWorkflowTask',
      'test: retry a failed send',
    );
    expect(reset.status.name).toBe('FAILED');
    expect(reset.searchAttributes).toMatchObject({
      AutoReplyOutcome: ['failed'],
      AutoReplyReason: ['send-failed'],
    });
    expect(ctx.stack.posted(ticketId).replies).toHaveLength(1);
    expect(ctx.stack.posted(ticketId).notes).toHaveLength(1);
    ctx.stack.sandbox.setSending({ failAddresses: [] });
  }, 90_000);
});
