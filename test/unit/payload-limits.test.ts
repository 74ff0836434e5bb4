import { describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { catchUpActivities } from '../../src/activities/catch-up';
import type { ActivityDependencies } from '../../src/activities/dependencies';
import { createActivities } from '../../src/activities';
import type { ReplyDelivery } from '../../src/activities/ticket-reads';
import type { ComposedReply, NoteContent } from '../../src/reply/content';
import { ticketFacts } from '../../src/reply/facts';
import { clipped, FIELD_LIMITS } from '../../src/gorgias/field-limits';
import {
  customerSchema,
  integrationSchema,
  messageSchema,
  ticketSchema,
  type Ticket,
} from '../../src/gorgias/schemas';
import { orderAnswer, type OrderMatch } from '../../src/reply/orders/branch';
import {
  ACTIVITY_PAYLOAD_BYTES,
  payloadBytes,
  TEMPORAL_LIMITS,
  withinPayloadLimit,
} from '../../src/temporal/payload-limits';
import { decideAutoReply, outgoingReply, recipientOf, type TicketFacts } from '../../src/reply/decision';
import { recipientClaims } from '../../src/reply/recipient-grants';
import { unitTestTemporal } from '../support/activity-temporal';
import { policyWith } from '../../harness/policy';

/**
 * Every activity input and result that carries what a customer (or a shop's data) wrote stays far below Temporal's
 * payload limits, however large the ticket: over them the server terminates the workflow (no hand-back, no note).
 * One ticket with every field at its worst: a 700 KB subject, a 100 KB name, a 2 MB message, thousands of tags,
 * addresses and orders, each with fields of tens of kilobytes. The activities run on it with a fake Gorgias.
 */

/** `bytes` characters of words. */
const words = (bytes: number, word = 'lorem ipsum ') =>
  word.repeat(Math.ceil(bytes / word.length)).slice(0, bytes);
const SUBJECT = `Where is my order #1042? ${words(700_000)}`;
const NAME = `Dana ${words(100_000, 'Lee ')}`;
/** A valid address as long as one can be (RFC 5321), and one far longer, which cannot be an address. */
const LONGEST_ADDRESS = `${'d'.repeat(FIELD_LIMITS.addressChars - '@example.org'.length)}@example.org`;
const OVERLONG_ADDRESS = `${'d'.repeat(3000)}@example.org`;
const SUPPORT = 'support@shop.example.com';
const LINK = `https://track.example.com/${'p'.repeat(100_000)}`;
const ORDERS = policyWith({ orders: { enabled: true } });
const BODY = `Order 1042 ${words(2_000_000)}`;
const TAGS = Array.from({ length: 5000 }, (_, i) => ({ name: `${i} ${words(i % 2 === 0 ? 50 : 1000)}` }));
const TICKET_ID = 4815162;
const CUSTOMER_ID = 9001;

function shopifyOrder(i: number) {
  return {
    id: i,
    name: `#${1042 + i} ${words(10_000)}`,
    order_number: 1042 + i,
    created_at: new Date(Date.now() - (i + 1) * 3_600_000).toISOString(),
    cancelled_at: null,
    financial_status: words(10_000),
    fulfillment_status: words(10_000),
    order_status_url: LINK,
    fulfillments: [
      {
        status: 'success',
        created_at: new Date(Date.now() - i * 3_600_000).toISOString(),
        tracking_number: words(20_000),
        tracking_numbers: [words(20_000)],
        tracking_url: LINK,
        tracking_urls: [LINK],
        shipment_status: words(10_000),
      },
    ],
  };
}

const SHOPIFY_ORDERS = Array.from({ length: 200 }, (_, i) => shopifyOrder(i));

function rawCustomer(email: string) {
  return {
    id: CUSTOMER_ID,
    email,
    name: NAME,
    firstname: NAME,
    lastname: NAME,
    channels: Array.from({ length: 1000 }, (_, i) => ({
      type: 'email',
      address: i === 0 ? email : `${i}-${OVERLONG_ADDRESS}`,
      preferred: i === 0,
    })),
    integrations: { 7: { __integration_type__: 'shopify', orders: SHOPIFY_ORDERS } },
  };
}

/** The ticket at its worst, as the Gorgias reader gives it. */
function maximalTicket({
  email = LONGEST_ADDRESS,
  token = (value: string) => value,
}: { email?: string; token?: (value: string) => string } = {}): Ticket {
  const bigName = { address: SUPPORT, name: NAME };
  return ticketSchema.parse({
    id: TICKET_ID,
    status: token('open'),
    channel: token('email'),
    via: 'email',
    from_agent: false,
    spam: false,
    subject: SUBJECT,
    language: token('en'),
    created_datetime: new Date().toISOString(),
    reply_options: { email: { answerable: true } },
    tags: TAGS,
    customer: rawCustomer(email),
    messages: [
      {
        id: 31337001,
        channel: token('email'),
        via: 'email',
        from_agent: false,
        public: true,
        integration_id: 66001,
        sender: { id: CUSTOMER_ID, email, name: NAME },
        receiver: { id: 1, email: SUPPORT, name: NAME },
        source: {
          type: 'email',
          from: { address: email, name: NAME },
          to: [
            bigName,
            ...Array.from({ length: 500 }, (_, i) => ({ address: `${i}${OVERLONG_ADDRESS}`, name: NAME })),
          ],
          cc: Array.from({ length: 500 }, (_, i) => ({ address: `cc${i}@example.net`, name: NAME })),
        },
        subject: SUBJECT,
        body_text: BODY,
        stripped_text: null,
        body_html: `<p>${BODY}</p>`,
        headers: { 'X-Note': BODY },
        intents: Array.from({ length: 1000 }, (_, i) => `intent/${i}`),
        created_datetime: new Date().toISOString(),
      },
    ],
  });
}

/** Gorgias as the activities read it, with the maximal ticket, customer, integration and a failed reply. */
function fakeGorgias(ticket: () => Ticket): ActivityDependencies['gorgias'] {
  return {
    getTicket: async () => ticket(),
    getCustomer: async () => customerSchema.parse(rawCustomer(LONGEST_ADDRESS)),
    getIntegration: async (id: number) =>
      integrationSchema.parse({
        id,
        type: 'email',
        name: NAME,
        meta: { address: SUPPORT },
        deactivated_datetime: null,
      }),
    getMessage: async (ticketId: number, id: number) =>
      messageSchema.parse({
        id,
        ticket_id: ticketId,
        channel: 'email',
        from_agent: true,
        failed_datetime: new Date().toISOString(),
        last_sending_error: { message: words(1_000_000) },
      }),
    createMessage: async () => ({ id: 100_001 }),
    findMessage: async () => null,
    addTags: async () => undefined,
    listTicketsCreatedSince: async () =>
      Array.from({ length: 1000 }, (_, i) => ({ ...maximalShell, id: i + 1, channel: words(100_000) })),
  };
}
const maximalShell = ticketSchema.parse({ id: 1, messages: [] });

const temporal = unitTestTemporal;
const deps = (ticket: () => Ticket = maximalTicket): ActivityDependencies => ({
  gorgias: fakeGorgias(ticket),
  policy: ORDERS,
  sender: { email: 'autoreply@shop.example.com' },
  deployment: 'production',
  sending: { unknownOutcomeWaitMs: 1000, replyFrom: { address: SUPPORT, name: NAME }, stopped: () => null },
  temporal,
});
const attempt = () =>
  new MockActivityEnvironment({
    scheduledTimestampMs: Date.now(),
    scheduleToCloseTimeoutMs: 60_000,
    startToCloseTimeoutMs: 30_000,
  });
const RUN = { earlierRunsBefore: null, scheduledInRun: '00000000-0000-0000-0000-000000000000' };
const READING = { orders: ORDERS.orders, addressKeyedStores: true, statusLinks: true };

/** Within our bound, which is itself far within Temporal's. */
function expectBounded(value: unknown, bound = ACTIVITY_PAYLOAD_BYTES): void {
  expect(bound).toBeLessThanOrEqual(TEMPORAL_LIMITS.blobWarnBytes);
  expect(payloadBytes(value)).toBeLessThanOrEqual(bound);
}

// Built once: the ticket read, the order read, and the reply, as the workflow gets them.
let read: Promise<{ facts: TicketFacts; reply: ComposedReply }> | null = null;
function readAndCompose() {
  read ??= (async () => {
    const activities = createActivities(deps());
    const facts: TicketFacts = await attempt().run(activities.fetchTicket, {
      ticketId: TICKET_ID,
      policy: READING,
    });
    const match: OrderMatch = await attempt().run(activities.readCustomerOrders, {
      customerId: CUSTOMER_ID,
      lookFor: { numbers: ['1042'], named: ['1042'] },
      statusLinks: true,
    });
    const ticket = { ...facts, orderQuestion: { match } };
    const answer = orderAnswer(ticket, ORDERS.orders, Date.now());
    const reply = await activities.renderReply({
      ticket,
      answer,
      store: { policy: ORDERS, language: ticket.language },
    });
    return { facts: ticket, reply };
  })();
  return read;
}

describe('what a maximal ticket brings into the workflow', () => {
  it('the ticket read (fetchTicket result): every field clipped, far within the bound', async () => {
    const activities = createActivities(deps());
    const facts: TicketFacts = await attempt().run(activities.fetchTicket, {
      ticketId: TICKET_ID,
      policy: READING,
    });
    expectBounded(facts);
    expect(payloadBytes(facts)).toBeLessThan(8 * 1024);
    expect(facts.subject?.length).toBeLessThanOrEqual(150);
    expect(facts.customer?.name?.length).toBeLessThanOrEqual(60);
    expect(facts.customer?.email).toBe(LONGEST_ADDRESS);
    expect(facts.tags.length).toBeLessThanOrEqual(FIELD_LIMITS.tags);
    expect(facts.tags.every((t) => t.length <= FIELD_LIMITS.tagChars)).toBe(true);
    expect(facts.lastCustomerMessage?.supportAddress).toEqual({
      address: SUPPORT,
      name: clipped(NAME, FIELD_LIMITS.nameChars),
    });
    expect(facts.replyFrom).toEqual({
      address: SUPPORT,
      name: clipped(NAME, FIELD_LIMITS.nameChars),
      integrationId: 66001,
    });
    expect(facts.orderQuestion).not.toBeNull();
  });

  it("the policy's skip tag is read after thousands of other tags, and the ticket is skipped", async () => {
    const tagged = () => ({ ...maximalTicket(), tags: [...TAGS, { name: 'no-auto-reply' }] });
    const facts: TicketFacts = await attempt().run(createActivities(deps(tagged)).fetchTicket, {
      ticketId: TICKET_ID,
      policy: { ...READING, skipTag: ORDERS.loop_guard.skip_tag },
    });
    expect(facts.tags).toContain('no-auto-reply');
    expect(facts.tags.length).toBe(FIELD_LIMITS.tags + 1);
    expect(decideAutoReply(facts, ORDERS, Date.now())).toEqual({ reply: false, reason: 'skip-tag' });
  });

  it('a ticket whose status, channel and language are 100 KB each is read within the bound', async () => {
    const junk = (value: string) => `${value}${words(100_000)}`;
    const facts: TicketFacts = await attempt().run(
      createActivities(deps(() => maximalTicket({ token: junk }))).fetchTicket,
      {
        ticketId: TICKET_ID,
        policy: READING,
      },
    );
    expectBounded(facts);
    for (const token of [facts.status, facts.channel, facts.language ?? ''])
      expect(token.length).toBeLessThanOrEqual(FIELD_LIMITS.tokenChars);
  });

  it("the customer's order (readCustomerOrders result): one order, its fields clipped, long links and numbers dropped", async () => {
    const { facts } = await readAndCompose();
    const match = facts.orderQuestion && 'match' in facts.orderQuestion ? facts.orderQuestion.match : null;
    expectBounded(match);
    expect(match).toMatchObject({
      found: 'order',
      order: { number: '1042', trackingNumber: null, trackingUrl: null, statusUrl: null },
    });
    if (match?.found !== 'order') throw new Error('no order');
    expect(match.order.name.length).toBeLessThanOrEqual(FIELD_LIMITS.orderNameChars);
    expect(match.order.financialStatus?.length).toBeLessThanOrEqual(FIELD_LIMITS.tokenChars);
  });

  it('the reply (renderReply input and result)', async () => {
    const { facts, reply } = await readAndCompose();
    expectBounded(reply);
    // The local activity's input (not recorded in the history, but sent through the worker as a payload).
    expectBounded({ ticket: facts, answer: orderAnswer(facts, ORDERS.orders, Date.now()) });
    expect(reply.subject.length).toBeLessThan(200);
  });

  it('the send (sendReply input and result)', async () => {
    const { facts, reply } = await readAndCompose();
    const input = { ...outgoingReply(facts, reply), ...RUN };
    expectBounded(input);
    const sent = await attempt().run(createActivities(deps()).sendReply, input);
    expectBounded(sent);
    expect(sent).toMatchObject({ status: 'posted', to: LONGEST_ADDRESS, from: SUPPORT });
  });

  it("every kind of note (addInternalNote input), and Gorgias's answers about the reply (checkReplyDelivery, findReply)", async () => {
    const { facts, reply } = await readAndCompose();
    const activities = createActivities(deps());
    const delivery: ReplyDelivery = await attempt().run(activities.checkReplyDelivery, {
      ticketId: TICKET_ID,
      messageId: 1,
    });
    expectBounded(delivery);
    expect(delivery.state).toBe('failed');
    expectBounded(await attempt().run(activities.findReply, TICKET_ID, null));
    const to = recipientOf(facts);
    const store = { name: 'default', matchedBy: null, policyVersion: 'v'.repeat(64) };
    const error = delivery.state === 'failed' ? delivery.error : '';
    const notes: NoteContent[] = [
      { kind: 'replied', to, sentAt: new Date().toISOString(), replyMessageId: 1, reply },
      { kind: 'unconfirmed', to, replyMessageId: 1, reply, minutes: 30, unreadable: error },
      { kind: 'dry-run', to, reply },
      { kind: 'held', to, reply, reason: 'KILL_SWITCH_FILE says stop' },
      {
        kind: 'skipped',
        reason: 'order-delayed',
        detail: orderAnswer(facts, ORDERS.orders, Date.now()).detail,
      },
      {
        kind: 'failed',
        reason: 'send-failed',
        error: `Gorgias could not send the reply: ${error}`,
        tag: 'x',
      },
    ];
    for (const note of notes) {
      const input = { ticketId: TICKET_ID, note: { ...note, store }, ...RUN };
      expectBounded(input);
      expectBounded(await attempt().run(activities.addInternalNote, input));
    }
  });

  it('the claim on the recipient (claimAcknowledgement input) and the searchable customer address', async () => {
    const { facts } = await readAndCompose();
    const guard = { ...ORDERS.loop_guard, cooldown_minutes: 5 };
    expectBounded({ ticketId: TICKET_ID, claims: recipientClaims(recipientOf(facts), guard) });
    // CustomerEmail: a keyword search attribute, at most 2 KB, or the server terminates the workflow.
    const widest = ticketFacts(maximalTicket({ email: `${'д'.repeat(240)}@example.org` }), ORDERS.orders);
    expect(widest.customer?.email).not.toBeNull();
    expect(payloadBytes(widest.customer?.email)).toBeLessThanOrEqual(
      TEMPORAL_LIMITS.searchAttributeValueBytes,
    );
  });

  it('an address too long to be one is no address: the decision skips the ticket, nothing is searchable by it', () => {
    const facts = ticketFacts(maximalTicket({ email: OVERLONG_ADDRESS }), ORDERS.orders);
    expect(facts.customer?.email).toBeNull();
    expect(facts.replyTo).toBeNull();
    expect(decideAutoReply(facts, ORDERS, Date.now())).toEqual({ reply: false, reason: 'no-customer-email' });
  });

  it("the catch-up's listing of 1,000 tickets whose channels are 100 KB each (listRecentTickets result)", async () => {
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
    const listed: { tickets: unknown[] } = await attempt().run(catchUpActivities(deps()).listRecentTickets, {
      since: hoursAgo(2),
      staleBefore: hoursAgo(1),
      waitingAfter: hoursAgo(0),
    });
    // Up to MAX_LISTED tickets: bounded by their number, far within Temporal's warning size.
    expectBounded(listed, TEMPORAL_LIMITS.blobWarnBytes / 2);
    expect(listed.tickets).toHaveLength(1000);
  });
});

describe('the guard', () => {
  it('a payload over the bound fails at once, not retried, with its own failure type', () => {
    expect(withinPayloadLimit('small', { a: 1 })).toEqual({ a: 1 });
    expect(() =>
      withinPayloadLimit('the reply to send', { body: words(ACTIVITY_PAYLOAD_BYTES + 1) }),
    ).toThrow(expect.objectContaining({ type: 'PayloadTooLarge', nonRetryable: true }));
  });

  it('clips on a character boundary, never in the middle of one', () => {
    expect(clipped('😀'.repeat(10), 3)).toBe('😀😀😀');
    expect(clipped('a😀b', 2)).toBe('a😀');
    expect(clipped('short', 10)).toBe('short');
  });
});
