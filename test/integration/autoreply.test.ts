import { describe, expect, it } from '@jest/globals';
import { stateQuery, workflowIdForTicket } from '../../src/workflows/definitions';
import { useTestStack } from '../support/stack';
import { agentReply } from '../../src/sandbox/sample-ticket';

const TRIGGERS = ['ticket-created', 'ticket-message-created', 'ticket-updated'] as const;

const ctx = useTestStack();

/** The three calls Gorgias makes for one new ticket, all at once. */
function deliverNewTicket(ticketId: number) {
  return Promise.all(TRIGGERS.map((event) => ctx.stack.deliver({ ticket_id: String(ticketId) }, { event })));
}

describe('a new ticket', () => {
  it('three deliveries for one ticket send one reply and one note, from one workflow', async () => {
    const ticketId = await ctx.stack.seedTicket();
    const answers = await deliverNewTicket(ticketId);

    // Each delivery was either the one that started the workflow, or recorded in it, or (if it finished already) a duplicate.
    for (const answer of answers) {
      expect([200, 202]).toContain(answer.status);
      expect(answer.data.workflowId).toBe(`gorgias-ticket-${ticketId}`);
    }
    const result = await ctx.stack.result(ticketId);
    expect(result).toMatchObject({ outcome: 'replied', ticketId });

    const { replies, notes } = ctx.stack.posted(ticketId);
    expect(replies).toHaveLength(1);
    expect(notes).toHaveLength(1);
    const executions = [];
    for await (const w of ctx.env.client.workflow.list({
      query: `WorkflowId = '${workflowIdForTicket(ticketId)}'`,
    })) {
      executions.push(w);
    }
    expect(executions).toHaveLength(1);
  });

  it('replies by email to the customer from the address they wrote to, and notes what was sent', async () => {
    const ticketId = await ctx.stack.seedTicket({
      customerEmail: 'sam@example.net',
      customerName: 'Sam Rivers',
    });
    await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    const result = await ctx.stack.result(ticketId);
    if (result.outcome !== 'replied') throw new Error(`expected a reply, got ${JSON.stringify(result)}`);

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
      subject: 'Re: Where is my order #1042?',
    });
    expect(reply?.body_text).toContain('Hi Sam,');
    expect(reply?.body_text).toContain(`#${ticketId}`);

    const [note] = ctx.stack.posted(ticketId).notes;
    expect(note).toMatchObject({ id: result.noteMessageId, channel: 'internal-note', public: false });
    expect(note?.body_text).toContain('Auto-reply sent to sam@example.net');
    expect(note?.body_text).toContain(
      `http://localhost:8233/namespaces/${ctx.env.namespace}/workflows/gorgias-ticket-${ticketId}`,
    );
  });

  it('a delivery after the workflow finished is answered "duplicate" and sends nothing', async () => {
    const ticketId = await ctx.stack.seedTicket();
    await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    await ctx.stack.result(ticketId);

    const late = await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-updated' });
    expect(late.status).toBe(200);
    expect(late.data).toMatchObject({ status: 'duplicate', workflowId: `gorgias-ticket-${ticketId}` });
    expect(ctx.stack.posted(ticketId).replies).toHaveLength(1);
    expect(ctx.stack.posted(ticketId).notes).toHaveLength(1);
  });

  it('our own reply and note coming back as webhooks are ignored', async () => {
    const ticketId = await ctx.stack.seedTicket();
    await ctx.stack.deliver({ ticket_id: ticketId });
    await ctx.stack.result(ticketId);
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

  it('records every delivery in the workflow, readable through its state query', async () => {
    const ticketId = await ctx.stack.seedTicket();
    await deliverNewTicket(ticketId);
    await ctx.stack.result(ticketId);
    const state = await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).query(stateQuery);
    expect(state.phase).toBe('done');
    expect(state.result?.outcome).toBe('replied');
    // Deliveries that arrive after the workflow closed are answered "duplicate" instead of recorded.
    expect(state.deliveries.length).toBeGreaterThanOrEqual(1);
    for (const d of state.deliveries) expect(TRIGGERS).toContain(d.trigger);
  });

  it('the same webhook three times concurrently for 50 tickets yields 50 workflows, 50 replies, 50 notes', async () => {
    const ticketIds = await Promise.all(Array.from({ length: 50 }, () => ctx.stack.seedTicket()));
    const answers = (await Promise.all(ticketIds.map(deliverNewTicket))).flat();
    expect(answers.filter((a) => a.status === 202).length).toBeGreaterThanOrEqual(50);
    expect(
      answers.every((a) => a.status === 202 || (a.status === 200 && a.data.status === 'duplicate')),
    ).toBe(true);

    const results = await Promise.all(ticketIds.map((id) => ctx.stack.result(id)));
    expect(results.every((r) => r.outcome === 'replied')).toBe(true);
    const posted = ticketIds.map((id) => ctx.stack.posted(id));
    expect(posted.reduce((n, p) => n + p.replies.length, 0)).toBe(50);
    expect(posted.reduce((n, p) => n + p.notes.length, 0)).toBe(50);
    expect(posted.every((p) => p.replies.length === 1 && p.notes.length === 1)).toBe(true);
  }, 120_000);
});

describe('tickets that get no auto-reply', () => {
  /** Seeds a ticket, delivers its webhook, and returns why the workflow skipped it; checks nothing was posted. */
  async function skipReasonFor(seed: () => Promise<number>): Promise<string> {
    const ticketId = await seed();
    const answer = await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    expect(answer.status).toBe(202);
    const result = await ctx.stack.result(ticketId);
    const { replies, notes } = ctx.stack.posted(ticketId);
    expect(replies).toEqual([]);
    if (result.outcome !== 'skipped') return result.outcome;
    // The agents see why, in one internal note.
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body_text).toContain(`No auto-reply: `);
    expect(notes[0]?.body_text).toContain(`(${result.reason})`);
    return result.reason;
  }

  it('a ticket opened by an agent is skipped', async () => {
    const reason = await skipReasonFor(() =>
      ctx.stack.seedTicket(
        {},
        { from_agent: true, messages: [agentReply('We noticed a delay on your order.')] },
      ),
    );
    expect(reason).toBe('opened-by-agent');
  });

  it('a customer writing from a no-reply or mailer-daemon address is skipped', async () => {
    for (const address of [
      'noreply@shop-notifications.com',
      'MAILER-DAEMON@mx.example.com',
      'do-not-reply@example.com',
    ]) {
      expect(await skipReasonFor(() => ctx.stack.seedTicket({ customerEmail: address }))).toBe(
        'no-reply-sender',
      );
    }
  });

  it('a ticket an agent already answered is skipped', async () => {
    const ticketId = await ctx.stack.seedTicket();
    await ctx.stack.gorgias.createMessage(ticketId, agentReply('Hi Dana, it ships today.'));
    expect(await skipReasonFor(async () => ticketId)).toBe('agent-replied-first');
  });

  it('a spam ticket is skipped even when the webhook body does not say so', async () => {
    expect(await skipReasonFor(() => ctx.stack.seedTicket({}, { spam: true }))).toBe('spam');
  });

  it('a ticket on a channel the policy does not answer (a phone call) is skipped', async () => {
    expect(await skipReasonFor(() => ctx.stack.seedTicket({ channel: 'phone' }))).toBe('outside-channel');
  });
});
