import { describe, expect, it } from '@jest/globals';
import { parseGorgiasDatetime } from '../../src/gorgias/datetime';
import { RATE_LIMITS } from '../../src/tools/sandbox';
import { loadGorgiasFixture, replayOf } from '../support/gorgias-fixtures';
import { useTestStack } from '../support/stack';

/**
 * The whole service (intake, Temporal, worker) against the sandbox in replay mode: it answers with the
 * real-shaped payloads of test/fixtures/gorgias as they are, instead of its own tidy objects, with Gorgias's
 * rate-limit headers and asynchronous sending.
 */

const ctx = useTestStack({
  sandbox: { replay: replayOf('ticket-several-addresses.json'), rateLimit: RATE_LIMITS.apiKey },
});

// Ticket ids of this file's workflows must not meet those of other files on a shared Temporal server.
const newTicketId = () => 3_000_000_000 + Math.floor(Math.random() * 1_000_000_000);

interface Address {
  address: string;
  name?: string;
}
interface EmailSource {
  type: string;
  from?: Address;
  to?: Address[];
}

const integration = loadGorgiasFixture<{ meta: { address: string } }>('integration-email.json');
const fixtureTicket = loadGorgiasFixture<{
  customer: { email: string };
  messages: { source: { to: Address[] } }[];
}>('ticket-several-addresses.json');

const instant = (datetime: unknown) => parseGorgiasDatetime(datetime) ?? NaN;

describe('the service against real-shaped Gorgias answers', () => {
  it("answers a new ticket once, from the email integration's address, and notes the reply once it is sent", async () => {
    const ticketId = newTicketId();
    const created = loadGorgiasFixture<{ ticket: Record<string, unknown> }>('context-ticket-created.json');
    const body = { ...created, ticket: { ...created.ticket, id: ticketId } };
    // Gorgias retries deliveries and fires several triggers for one new ticket (docs/gorgias.md).
    const answers = [
      await ctx.stack.deliver(body, { event: 'ticket-created' }),
      await ctx.stack.deliver(body, { event: 'ticket-created' }),
      await ctx.stack.deliver({ ticket_id: String(ticketId) }, { event: 'ticket-updated' }),
    ];
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);

    const [outcome] = await Promise.allSettled([ctx.stack.result(ticketId)]);
    const { replies, notes } = ctx.stack.posted(ticketId);
    expect({ replies: replies.length, notes: notes.length }).toEqual({ replies: 1, notes: 1 });
    const [reply] = replies;
    const [note] = notes;
    if (!reply || !note) throw new Error('nothing was posted');

    // From the integration the customer wrote to: not the forwarding address, not simply the first `to`.
    const source = reply.source as EmailSource;
    const firstTo = fixtureTicket.messages[0]?.source.to[0]?.address;
    expect(firstTo).toMatch(/@email\.gorgias\.com$/);
    expect(source.from?.address).toBe(integration.meta.address);
    expect(source.from?.address).not.toBe(firstTo);
    expect(source.to?.map((t) => t.address)).toEqual([fixtureTicket.customer.email]);
    // Sent by Gorgias (the carrier's Message-Id): a post with sent_datetime would be an import, never sent.
    expect(reply.message_id).toEqual(expect.stringMatching(/^<.+>$/));

    // The note is written once Gorgias has actually sent the email, and says when that was.
    const sentAt = String(reply.sent_datetime);
    expect({ notePostedAfterTheSend: instant(note.created_datetime) >= instant(sentAt) }).toEqual({
      notePostedAfterTheSend: true,
    });
    // Gorgias's datetime (UTC, with or without an offset), to the minute: "2026-11-26 10:42 UTC".
    const sentMinute = `${new Date(instant(sentAt)).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    const noteText = String(note.body_text);
    expect({ noteText, saysWhenSent: noteText.includes(sentMinute) }).toMatchObject({
      saysWhenSent: true,
    });

    expect(outcome).toMatchObject({
      status: 'fulfilled',
      value: { outcome: 'replied', ticketId, replyMessageId: reply.id },
    });
    const tags = (await ctx.stack.gorgias.getTicket(ticketId)).tags.map((tag) => tag.name);
    expect(tags).not.toContain(ctx.stack.policy.failure.tag);
  });
});
