import { parseGorgiasDatetime } from '../../src/gorgias/datetime';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import { useTestStack } from '../support/stack';
import { loadGorgiasFixture, startStandIn, type RunningStandIn } from '../support/stand-in';

/**
 * The whole service (intake, Temporal, worker) against a stand-in Gorgias that answers with real-shaped
 * payloads (test/fixtures/gorgias), instead of the sandbox's tidy ones.
 */

const USERNAME = 'autoreply@shop.example.com';
const API_KEY = 'stand-in-api-key-0123456789';

// The stand-in starts before the stack (hooks run in order), and the stack reads this env when it starts.
const env: Record<string, string> = { GORGIAS_USERNAME: USERNAME, GORGIAS_API_KEY: API_KEY };
let standIn: RunningStandIn;
beforeAll(async () => {
  standIn = await startStandIn({
    username: USERNAME,
    apiKey: API_KEY,
    ticketFixture: 'ticket-several-addresses.json',
  });
  env.GORGIAS_BASE_URL = standIn.url;
});
afterAll(() => standIn?.close());

const ctx = useTestStack({ env });

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

describe('the service against a stand-in Gorgias with real-shaped answers', () => {
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
    const posted = standIn.posted(ticketId);
    const replies = posted.filter((p) => p.request.channel !== 'internal-note');
    const notes = posted.filter((p) => p.request.channel === 'internal-note');
    expect({ replies: replies.length, notes: notes.length }).toEqual({ replies: 1, notes: 1 });
    const [reply] = replies;
    const [note] = notes;
    if (!reply || !note) throw new Error('nothing was posted');

    // From the integration the customer wrote to: not the forwarding address, not simply the first `to`.
    const source = reply.request.source as EmailSource;
    const firstTo = fixtureTicket.messages[0]?.source.to[0]?.address;
    expect(firstTo).toMatch(/@email\.gorgias\.com$/);
    expect(source.from?.address).toBe(integration.meta.address);
    expect(source.from?.address).not.toBe(firstTo);
    expect(source.to?.map((t) => t.address)).toEqual([fixtureTicket.customer.email]);
    expect(reply.request.sent_datetime).toBeUndefined();

    // The note is written once Gorgias has actually sent the email, and says when that was.
    expect({ notePostedAfterTheSend: note.receivedAt.getTime() >= reply.settlesAt.getTime() }).toEqual({
      notePostedAfterTheSend: true,
    });
    const sentAt = String(reply.current().sent_datetime);
    // Gorgias's datetime (UTC, with or without an offset), to the minute: "2026-11-26 10:42 UTC".
    const sentMinute = `${new Date(parseGorgiasDatetime(sentAt) ?? NaN).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    const noteText = String(note.request.body_text);
    expect({ noteText, saysWhenSent: noteText.includes(sentMinute) }).toMatchObject({
      saysWhenSent: true,
    });

    expect(outcome).toMatchObject({
      status: 'fulfilled',
      value: { outcome: 'replied', ticketId, replyMessageId: reply.current().id },
    });
    expect(standIn.tagsAdded(ticketId)).not.toContain(ctx.stack.policy.failure.tag);
  });
});

describe('the stand-in Gorgias itself', () => {
  const auth = { username: USERNAME, password: API_KEY };

  it('asks for Basic auth and reports the rate limit on every answer', async () => {
    const refused = await axios.get(`${standIn.url}/api/tickets/42`, { validateStatus: () => true });
    expect(refused.status).toBe(401);
    expect(refused.headers['x-gorgias-account-api-call-limit']).toMatch(/^\d+\/40$/);
    expect(refused.headers['retry-after']).toBeDefined();

    const ticket = await axios.get(`${standIn.url}/api/tickets/42`, { auth });
    expect(ticket.status).toBe(200);
    expect(ticket.headers['x-gorgias-account-api-call-limit']).toMatch(/^\d+\/40$/);
    expect(ticket.data).toMatchObject({ id: 42, uri: '/api/tickets/42/', messages: [{ ticket_id: 42 }] });
  });

  it('answers a post with 201 and sent_datetime null, and fills sent_datetime a little later', async () => {
    const ticketId = 43;
    const created = await axios.post(
      `${standIn.url}/api/tickets/${ticketId}/messages`,
      { channel: 'email', via: 'api', from_agent: true, body_text: 'Hello' },
      { auth },
    );
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ ticket_id: ticketId, sent_datetime: null, is_retriable: true });
    const url = `${standIn.url}/api/tickets/${ticketId}/messages/${created.data.id}`;
    await new Promise((resolve) => setTimeout(resolve, 400));
    const later = await axios.get(url, { auth });
    expect(later.data.sent_datetime).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT.*\+00:00$/));
  });

  it('refuses a message with a field Gorgias does not know', async () => {
    const answer = await axios.post(
      `${standIn.url}/api/tickets/44/messages`,
      { channel: 'email', via: 'api', from_agent: true, reply_to: 'x@example.org' },
      { auth, validateStatus: () => true },
    );
    expect(answer.status).toBe(400);
  });
});
