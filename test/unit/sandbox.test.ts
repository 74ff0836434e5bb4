import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import axios, { type AxiosInstance } from 'axios';
import { GorgiasClient } from '../../src/gorgias/client';
import { GorgiasRequestError } from '../../src/gorgias/failures';
import type { NewMessage, NewTicket } from '../../src/gorgias/schemas';
import { RATE_LIMITS, startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/tools/sandbox';
import { decideFault, NO_FAULTS } from '../../src/tools/sandbox/faults';
import { LeakyBucket } from '../../src/tools/sandbox/leaky-bucket';
import type { Integration, Message, Tag, Ticket } from '../../src/tools/sandbox/objects';
import { CONTACT_FORM_INTEGRATION_ID } from '../../src/tools/sandbox/integrations';
import { contactFormTicket } from '../../src/tools/sandbox/sample-ticket';
import { SHOPIFY_INTEGRATION_ID } from '../../src/tools/sandbox/shopify';

/**
 * The sandbox's answers are read raw, typed with the sandbox's own objects: they are deliberately as untidy
 * as Gorgias's, and the service's client is only used where what matters is how it classifies a failure.
 */

const credentials = { username: 'agent@shop.example.com', apiKey: 'test-api-key-123' };
const SUPPORT = 'support@shop.example.com';
const FIRST_EMAIL_INTEGRATION_ID = 6601;
/** An email integration's own address that Gorgias provided (an account without its own domain). */
const GORGIAS_PROVIDED = 'k7q2x9m4shop@email.gorgias.com';
const TICKET_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/;
const MESSAGE_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

function clientFor(sandbox: RunningSandbox, timeoutMs = 5000): GorgiasClient {
  return new GorgiasClient({ baseUrl: sandbox.url, ...credentials, timeoutMs });
}

/** A plain HTTP client that never throws on a status, for asserting raw answers. */
function rawFor(
  sandbox: RunningSandbox,
  auth: { username: string; password: string } | null = null,
  timeoutMs = 0,
): AxiosInstance {
  return axios.create({
    baseURL: sandbox.url,
    auth: auth ?? { username: credentials.username, password: credentials.apiKey },
    validateStatus: () => true,
    timeout: timeoutMs,
  });
}

/** The calls tests make, expecting success. */
function apiFor(sandbox: RunningSandbox) {
  const raw = rawFor(sandbox);
  const expectStatus = <T>(answer: { status: number; data: T }, status: number): T => {
    expect(answer.status).toBe(status);
    return answer.data;
  };
  return {
    raw,
    createTicket: async (input: NewTicket = newTicket()) =>
      expectStatus(await raw.post<Ticket>('/api/tickets', input), 201),
    createMessage: async (ticketId: number, input: NewMessage) =>
      expectStatus(await raw.post<Message>(`/api/tickets/${ticketId}/messages`, input), 201),
    ticket: async (ticketId: number) => expectStatus(await raw.get<Ticket>(`/api/tickets/${ticketId}`), 200),
    message: async (ticketId: number, messageId: number) =>
      expectStatus(await raw.get<Message>(`/api/tickets/${ticketId}/messages/${messageId}`), 200),
  };
}

function newTicket(overrides: Partial<NewTicket> = {}): NewTicket {
  return {
    customer: { email: 'dana.lee@example.org', firstname: 'Dana', lastname: 'Lee' },
    messages: [
      {
        channel: 'email',
        via: 'email',
        from_agent: false,
        subject: 'Where is my order #1042?',
        body_text: 'Hi, my order #1042 has not arrived yet.',
        source: {
          type: 'email',
          from: { address: 'dana.lee@example.org', name: 'Dana Lee' },
          to: [{ address: SUPPORT, name: 'Shop Support' }],
        },
      },
    ],
    ...overrides,
  };
}

/** A new ticket whose first message went to these addresses. */
function ticketTo(to: string[], cc: string[] = []): NewTicket {
  const ticket = newTicket();
  const [first] = ticket.messages;
  if (!first) throw new Error('newTicket has a message');
  return {
    ...ticket,
    messages: [
      {
        ...first,
        source: {
          type: 'email',
          from: { address: 'dana.lee@example.org' },
          to: to.map((address) => ({ address })),
          cc: cc.map((address) => ({ address })),
        },
      },
    ],
  };
}

function emailReply(customerId: number, overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    channel: 'email',
    via: 'api',
    from_agent: true,
    sender: { id: 12 },
    receiver: { id: customerId },
    source: {
      type: 'email',
      from: { address: SUPPORT, name: 'Shop Support' },
      to: [{ address: 'dana.lee@example.org', name: 'Dana Lee' }],
    },
    subject: 'Re: Where is my order #1042?',
    body_text: 'Thanks, we are on it.',
    body_html: '<p>Thanks, we are on it.</p>',
    external_id: 'autoreply:1',
    ...overrides,
  };
}

const internalNote: NewMessage = {
  channel: 'internal-note',
  via: 'api',
  from_agent: true,
  public: false,
  sender: { id: 12 },
  source: { type: 'internal-note' },
  body_text: 'Auto-reply sent.',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withSandbox(
  options: Partial<SandboxOptions>,
  body: (sandbox: RunningSandbox) => Promise<void>,
) {
  const sandbox = await startSandbox({ ...credentials, port: 0, ...options });
  try {
    await body(sandbox);
  } finally {
    await sandbox.close();
  }
}

describe('leaky bucket', () => {
  function bucketAt(start = 0) {
    const clock = { now: start };
    const bucket = new LeakyBucket({ capacity: 40, drainPerSecond: 2 }, () => clock.now);
    return { clock, bucket };
  }

  it('admits a burst of 40, refuses the 41st with 40/40 and a one-second Retry-After', () => {
    const { bucket } = bucketAt();
    for (let i = 1; i <= 40; i++) {
      const admission = bucket.tryAdmit();
      expect(admission).toMatchObject({ admitted: true, used: i, capacity: 40 });
    }
    expect(bucket.tryAdmit()).toEqual({ admitted: false, used: 40, capacity: 40, retryAfterSeconds: 1 });
  });

  it('admits again once enough has drained, and drains continuously', () => {
    const { clock, bucket } = bucketAt(1_000_000);
    for (let i = 0; i < 40; i++) bucket.tryAdmit();
    clock.now += 400; // 0.8 drained: still no room for a whole request
    expect(bucket.tryAdmit()).toMatchObject({ admitted: false, used: 40, retryAfterSeconds: 1 });
    clock.now += 100; // 1.0 drained
    expect(bucket.tryAdmit()).toMatchObject({ admitted: true, used: 40 });
    clock.now += 10_000; // 20 drained
    expect(bucket.peek()).toEqual({ used: 20, capacity: 40, retryAfterSeconds: 0 });
    clock.now += 60_000;
    expect(bucket.peek().used).toBe(0);
  });

  it('reports the Retry-After a slow drain needs, rounded up to whole seconds', () => {
    const clock = { now: 0 };
    const bucket = new LeakyBucket({ capacity: 2, drainPerSecond: 0.4 }, () => clock.now);
    bucket.tryAdmit();
    bucket.tryAdmit();
    expect(bucket.tryAdmit()).toMatchObject({ admitted: false, retryAfterSeconds: 3 }); // 1 / 0.4 = 2.5 s
  });

  it('reads used as a whole number rounded up while partly drained', () => {
    const { clock, bucket } = bucketAt();
    for (let i = 0; i < 10; i++) bucket.tryAdmit();
    clock.now += 250; // 0.5 drained: 9.5 in the bucket
    expect(bucket.peek().used).toBe(10);
  });

  it('drains a whole window-sized bucket in one window: 40 per 10 s frees a slot every 250 ms', () => {
    const clock = { now: 0 };
    const bucket = new LeakyBucket(RATE_LIMITS.tenSecondWindow, () => clock.now);
    for (let i = 0; i < 40; i++) bucket.tryAdmit();
    expect(bucket.tryAdmit()).toMatchObject({ admitted: false, capacity: 40 });
    clock.now += 250;
    expect(bucket.tryAdmit()).toMatchObject({ admitted: true, used: 40 });
    clock.now += 10_000;
    expect(bucket.peek().used).toBe(0);
  });
});

describe('fault decisions', () => {
  it('draw nothing and change nothing when no fault is switched on', () => {
    const random = jest.fn(() => 0);
    expect(decideFault(NO_FAULTS, 'POST', random)).toEqual({ kind: 'answer', delayMs: 0, late: false });
    expect(random).not.toHaveBeenCalled();
  });

  it('pick the error status from the random draw and skip methods not selected', () => {
    const faults = {
      ...NO_FAULTS,
      errorRate: 0.5,
      errorStatuses: [500, 502, 503],
      latencyMs: 7,
      methods: ['POST' as const],
    };
    const draws = [0.1, 0.9];
    expect(decideFault(faults, 'POST', () => draws.shift() ?? 0)).toEqual({
      kind: 'fail',
      status: 503,
      delayMs: 7,
    });
    expect(decideFault(faults, 'POST', () => 0.6)).toEqual({ kind: 'answer', delayMs: 7, late: false });
    expect(decideFault(faults, 'GET', () => 0)).toEqual({ kind: 'answer', delayMs: 0, late: false });
  });

  it('hold a late commit for a delay drawn in [min, max], and reset after commit', () => {
    const lateCommit = { ...NO_FAULTS, lateCommitRate: 0.5, lateCommitMs: [100, 300] as [number, number] };
    const draws = [0.2, 0.5];
    expect(decideFault(lateCommit, 'POST', () => draws.shift() ?? 0)).toEqual({
      kind: 'late-commit',
      holdMs: 200,
    });
    expect(decideFault(lateCommit, 'POST', () => 0.7)).toEqual({ kind: 'answer', delayMs: 0, late: false });

    const reset = { ...NO_FAULTS, resetAfterCommitRate: 1, methods: ['POST' as const] };
    expect(decideFault(reset, 'POST', () => 0.3)).toEqual({ kind: 'reset-after-commit' });
    expect(decideFault(reset, 'GET', () => 0.3)).toEqual({ kind: 'answer', delayMs: 0, late: false });
  });
});

describe('sandbox API', () => {
  let sandbox: RunningSandbox;
  let api: ReturnType<typeof apiFor>;
  let raw: AxiosInstance;

  beforeAll(async () => {
    sandbox = await startSandbox({ ...credentials, port: 0, rateLimit: false, sendDelayMs: 20 });
    api = apiFor(sandbox);
    raw = api.raw;
  });
  afterEach(() => sandbox.reset());
  afterAll(() => sandbox.close());

  it('answers 401 with an error body without credentials or with a wrong API key', async () => {
    const anonymous = await axios.get(`${sandbox.url}/api/tickets/1001`, { validateStatus: () => true });
    expect(anonymous.status).toBe(401);
    expect(anonymous.data).toEqual({ error: { msg: expect.any(String) } });

    const wrongKey = await rawFor(sandbox, { username: credentials.username, password: 'nope' }).get(
      '/api/tickets',
    );
    expect(wrongKey.status).toBe(401);

    const wrongClient = new GorgiasClient({
      baseUrl: sandbox.url,
      ...credentials,
      apiKey: 'nope',
      timeoutMs: 5000,
    });
    await expect(wrongClient.getTicket(1001)).rejects.toMatchObject({ kind: 'permanent', status: 401 });
  });

  it('answers the health check without credentials', async () => {
    const health = await axios.get(`${sandbox.url}/_sandbox/health`);
    expect(health.data).toEqual({ ok: true });
  });

  it('creates a ticket and returns it, with its messages, in the full Gorgias shape', async () => {
    const created = await api.createTicket(newTicket({ tags: [{ name: 'vip' }] }));
    const fetched = await api.ticket(created.id);

    expect(fetched).toEqual(created);
    expect(fetched).toMatchObject({
      id: created.id,
      uri: `/api/tickets/${created.id}/`,
      status: 'open',
      priority: 'normal',
      channel: 'email',
      via: 'email',
      from_agent: false,
      subject: 'Where is my order #1042?',
      customer: {
        email: 'dana.lee@example.org',
        name: 'Dana Lee',
        firstname: 'Dana',
        lastname: 'Lee',
        channels: [{ type: 'email', address: 'dana.lee@example.org', preferred: true }],
      },
      reply_options: { email: { answerable: true } },
      tags: [{ name: 'vip' }],
      last_message_datetime: expect.any(String),
      // Fields the service does not know, but real Gorgias sends.
      custom_fields: {},
      events: [],
      satisfaction_survey: null,
    });
    const [message] = fetched.messages;
    expect(message).toMatchObject({
      ticket_id: created.id,
      from_agent: false,
      public: true,
      uri: expect.stringMatching(/^\/api\/tickets\/\d+\/messages\/\d+\/$/),
      sender: { email: 'dana.lee@example.org' },
      source: { from: { address: 'dana.lee@example.org' }, to: [{ address: SUPPORT }], extra: {} },
      integration_id: FIRST_EMAIL_INTEGRATION_ID,
      rule_id: null,
      meta: null,
      headers: null,
      failed_datetime: null,
      last_sending_error: null,
    });
  });

  it('writes ticket datetimes with +00:00 and message datetimes without an offset, both in UTC', async () => {
    const clock = { now: Date.UTC(2025, 2, 4, 9, 12, 44, 120) };
    await withSandbox({ rateLimit: false, now: () => clock.now }, async (other) => {
      const ticket = await apiFor(other).createTicket();
      expect(ticket.created_datetime).toBe('2025-03-04T09:12:44.120000+00:00');
      expect(ticket.customer.created_datetime).toMatch(TICKET_DATETIME);
      for (const message of ticket.messages) {
        expect(message.created_datetime).toBe('2025-03-04T09:12:44.120000');
        expect(message.sent_datetime).toMatch(MESSAGE_DATETIME);
        expect(Date.parse(`${message.created_datetime}Z`)).toBe(clock.now);
      }
    });
  });

  it('creates a customer without a name with empty first and last names and a null name', async () => {
    const ticket = await api.createTicket(newTicket({ customer: { email: 'nameless@example.org' } }));
    expect(ticket.customer).toMatchObject({ firstname: '', lastname: '', name: null });
    const half = await api.createTicket(
      newTicket({ customer: { email: 'kim@example.org', firstname: 'Kim' } }),
    );
    expect(half.customer).toMatchObject({ firstname: 'Kim', lastname: '', name: 'Kim' });
  });

  it('gives customers Shopify data keyed by integration id, with orders for odd customer ids only', async () => {
    // A fresh sandbox, so that the customer ids are known: 501, 502, 503.
    const fresh = await startSandbox({ ...credentials, port: 0, rateLimit: false });
    const freshApi = apiFor(fresh);
    const first = await freshApi.createTicket();
    const second = await freshApi.createTicket(newTicket({ customer: { email: 'sam@example.org' } }));
    const third = await freshApi.createTicket(newTicket({ customer: { email: 'lou@example.org' } }));
    await fresh.close();
    expect([first.customer.id, second.customer.id, third.customer.id]).toEqual([501, 502, 503]);

    const shopify = first.customer.integrations[String(SHOPIFY_INTEGRATION_ID)];
    expect(shopify).toMatchObject({
      __integration_type__: 'shopify',
      customer: { email: 'dana.lee@example.org', first_name: 'Dana', last_name: 'Lee', orders_count: 2 },
    });
    expect(shopify?.orders?.[0]).toMatchObject({
      name: expect.stringMatching(/^#\d+$/),
      created_at: expect.any(String),
      financial_status: 'paid',
      fulfillment_status: 'fulfilled',
      order_status_url: expect.stringMatching(/^https:\/\//),
      fulfillments: [
        {
          tracking_number: expect.any(String),
          tracking_numbers: [expect.any(String)],
          tracking_url: expect.stringMatching(/^https:\/\//),
          tracking_urls: [expect.any(String)],
          shipment_status: 'in_transit',
        },
      ],
    });
    expect(shopify?.orders?.[1]?.fulfillments[0]?.shipment_status).toBe('delivered');
    // 4n+3: one order, paid and not yet shipped.
    expect(third.customer.integrations[String(SHOPIFY_INTEGRATION_ID)]?.orders).toEqual([
      expect.objectContaining({ fulfillment_status: null, fulfillments: [] }),
    ]);
    // Even ids: the customer part only.
    expect(second.customer.integrations[String(SHOPIFY_INTEGRATION_ID)]).not.toHaveProperty('orders');

    // The same customer id gets the same data in another sandbox.
    await withSandbox({ rateLimit: false }, async (other) => {
      const again = await apiFor(other).createTicket();
      expect(again.customer.id).toBe(first.customer.id);
      expect(again.customer.integrations).toEqual(first.customer.integrations);
    });
  });

  it('leaves a Rule internal note right after the customer message of a new ticket', async () => {
    const ticket = await api.createTicket();
    expect(ticket.messages).toHaveLength(2);
    const [first, note] = ticket.messages;
    expect(note).toMatchObject({
      channel: 'internal-note',
      via: 'rule',
      from_agent: true,
      public: false,
      rule_id: expect.any(Number),
      source: null,
      integration_id: null,
      sent_datetime: note?.created_datetime,
    });
    expect(note).not.toHaveProperty('receiver');
    expect(note?.id).toBeGreaterThan(first?.id ?? Infinity);
    expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);

    // No note when our side opened the ticket.
    const opening = emailReply(0, { receiver: { email: 'dana.lee@example.org' } });
    const byAgent = await api.createTicket(newTicket({ messages: [opening] }));
    expect(byAgent.messages).toHaveLength(1);
  });

  it('leaves no Rule note when ruleNote is off', async () => {
    await withSandbox({ rateLimit: false, ruleNote: false }, async (other) => {
      const ticket = await apiFor(other).createTicket();
      expect(ticket.messages.map((m) => m.channel)).toEqual(['email']);
    });
  });

  it('reuses a customer by email and numbers new customers upwards', async () => {
    const first = await api.createTicket();
    const again = await api.createTicket(newTicket({ customer: { email: 'DANA.LEE@example.org' } }));
    const other = await api.createTicket(newTicket({ customer: { email: 'sam@example.org' } }));
    expect(again.customer.id).toBe(first.customer.id);
    expect(other.customer.id).toBe(first.customer.id + 1);
    expect(again.id).toBe(first.id + 1);
  });

  it('marks email not answerable on a chat ticket, with reasons, and has an empty reply option', async () => {
    const ticket = await api.createTicket(
      newTicket({
        messages: [{ channel: 'chat', via: 'gorgias_chat', from_agent: false, body_text: 'hello?' }],
      }),
    );
    expect(ticket.channel).toBe('chat');
    expect(ticket.reply_options).toEqual({
      email: { answerable: false, reasons: [expect.any(String)] },
      chat: { answerable: false, reasons: [expect.any(String)] },
      'internal-note': { answerable: true },
      phone: {},
    });
    expect(ticket.messages[0]?.integration_id).toBeNull();
  });

  it('answers 404 with an error body for an unknown ticket', async () => {
    const missing = await raw.get('/api/tickets/999999');
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual({ error: { msg: expect.any(String) } });
    await expect(clientFor(sandbox).getTicket(999999)).rejects.toMatchObject({
      kind: 'permanent',
      status: 404,
    });
    expect((await raw.post('/api/tickets/999999/messages', internalNote)).status).toBe(404);
  });

  it('rejects a message with an unknown field, naming the field', async () => {
    const ticket = await api.createTicket();
    const answer = await raw.post(`/api/tickets/${ticket.id}/messages`, { ...internalNote, mood: 'happy' });
    expect(answer.status).toBe(400);
    expect(answer.data).toEqual({
      error: { msg: expect.stringContaining('mood'), data: { mood: ['Unknown field.'] } },
    });

    const viaClient = clientFor(sandbox).createMessage(ticket.id, {
      ...internalNote,
      mood: 'happy',
    } as NewMessage);
    await expect(viaClient).rejects.toMatchObject({ kind: 'permanent', status: 400 });
    expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);
  });

  it('rejects an outgoing reply without a receiver, and an email without recipients', async () => {
    const ticket = await api.createTicket();
    const customerId = ticket.customer.id;

    const noReceiver = await raw.post(`/api/tickets/${ticket.id}/messages`, {
      ...emailReply(customerId),
      receiver: undefined,
    });
    expect(noReceiver.status).toBe(400);
    expect(noReceiver.data.error.data).toHaveProperty('receiver');

    const noRecipients = emailReply(customerId, {
      source: { type: 'email', from: { address: SUPPORT } },
    });
    const answer = await raw.post(`/api/tickets/${ticket.id}/messages`, noRecipients);
    expect(answer.status).toBe(400);
    expect(answer.data.error.data).toHaveProperty(['source.to']);

    const noBody = await raw.post(`/api/tickets/${ticket.id}/messages`, {
      ...internalNote,
      body_text: undefined,
    });
    expect(noBody.status).toBe(400);
    expect(noBody.data.error.data).toHaveProperty('body_text');

    expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);
  });

  it('sends a reply after answering: sent_datetime null in the answer, filled in after the delay', async () => {
    const ticket = await api.createTicket();
    sandbox.setSending({ delayMs: 150 });
    const reply = await api.createMessage(ticket.id, emailReply(ticket.customer.id));

    expect(reply).toMatchObject({
      ticket_id: ticket.id,
      from_agent: true,
      public: true,
      external_id: 'autoreply:1',
      integration_id: FIRST_EMAIL_INTEGRATION_ID,
      sent_datetime: null,
      failed_datetime: null,
    });
    await sleep(50);
    expect((await api.message(ticket.id, reply.id)).sent_datetime).toBeNull();
    await sleep(200);
    const sent = await api.message(ticket.id, reply.id);
    expect(sent.sent_datetime).toMatch(MESSAGE_DATETIME);
    expect(sent.receiver).toMatchObject({ id: ticket.customer.id, email: 'dana.lee@example.org' });

    const after = await api.ticket(ticket.id);
    expect(after.messages.map((m) => m.id)).toEqual([...ticket.messages.map((m) => m.id), reply.id]);
    expect(after.last_message_datetime).toBe(`${reply.created_datetime}+00:00`);
  });

  it('fails sends to the chosen recipients: failed_datetime and last_sending_error, never sent', async () => {
    const ticket = await api.createTicket();
    const control = await raw.put('/_sandbox/sending', {
      delayMs: 10,
      failAddresses: ['DANA.LEE@example.org'],
    });
    expect(control.data).toEqual({ delayMs: 10, failAddresses: ['DANA.LEE@example.org'] });
    expect((await raw.put('/_sandbox/sending', { failAdresses: [] })).status).toBe(400);

    const reply = await api.createMessage(ticket.id, emailReply(ticket.customer.id));
    expect(reply).toMatchObject({ sent_datetime: null, failed_datetime: null, last_sending_error: null });
    await sleep(60);
    const failed = await api.message(ticket.id, reply.id);
    expect(failed).toMatchObject({
      sent_datetime: null,
      failed_datetime: expect.stringMatching(MESSAGE_DATETIME),
      last_sending_error: { error: expect.stringContaining('dana.lee@example.org') },
    });

    // Other recipients are unaffected.
    const other = await api.createMessage(
      ticket.id,
      emailReply(ticket.customer.id, {
        source: { type: 'email', from: { address: SUPPORT }, to: [{ address: 'x@example.org' }] },
      }),
    );
    await sleep(60);
    expect((await api.message(ticket.id, other.id)).sent_datetime).toMatch(MESSAGE_DATETIME);
  });

  it('takes failing recipients from the options, and restores them on reset', async () => {
    await withSandbox(
      { rateLimit: false, sendDelayMs: 0, failSendsTo: ['dana.lee@example.org'] },
      async (other) => {
        const otherApi = apiFor(other);
        const ticket = await otherApi.createTicket();
        other.setSending({ failAddresses: [] });
        other.reset();
        expect(other.sending()).toEqual({ delayMs: 0, failAddresses: ['dana.lee@example.org'] });
        const again = await otherApi.createTicket();
        const reply = await otherApi.createMessage(again.id, emailReply(again.customer.id));
        await sleep(30);
        expect((await otherApi.message(again.id, reply.id)).failed_datetime).not.toBeNull();
        expect(ticket.id).toBeLessThan(again.id);
      },
    );
  });

  it('marks internal notes and received messages sent at once', async () => {
    const ticket = await api.createTicket();
    const note = await api.createMessage(ticket.id, internalNote);
    expect(note).toMatchObject({ channel: 'internal-note', public: false, from_agent: true });
    expect(note.sent_datetime).toBe(note.created_datetime);
    expect(ticket.messages[0]?.sent_datetime).toBe(ticket.messages[0]?.created_datetime);
  });

  it('keeps the public flag a note is posted with: private only when it says so', async () => {
    const ticket = await api.createTicket();
    const unsaid: NewMessage = { ...internalNote };
    delete unsaid.public;
    expect((await api.createMessage(ticket.id, internalNote)).public).toBe(false);
    expect((await api.createMessage(ticket.id, unsaid)).public).toBe(true);
  });

  it("takes mail from any of a customer's addresses as theirs, keeping the address it came from", async () => {
    const main = 'dana.lee@example.org';
    const other = 'Dana.Lee@Studio.example';
    const first = await api.createTicket();
    const customer = sandbox.addCustomerAddress(main, other);
    expect(customer.channels.map((c) => [c.address, c.preferred])).toEqual([
      [main, true],
      [other, false],
    ]);
    // Adding it again changes nothing.
    expect(sandbox.addCustomerAddress(main, other.toLowerCase()).channels).toHaveLength(2);

    const fromOther = newTicket({ customer: { email: other.toLowerCase() } });
    fromOther.messages[0]!.source!.from = { address: other };
    const second = await api.createTicket(fromOther);
    expect(second.customer.id).toBe(first.customer.id);
    expect(second.customer.channels.map((c) => c.address)).toEqual([main, other]);
    const [message] = second.messages;
    expect(message?.source?.from?.address).toBe(other);
    expect(message?.sender).toMatchObject({ id: first.customer.id, email: main });
  });

  it('records a message with sent_datetime as an import, never sending it', async () => {
    const ticket = await api.createTicket();
    const imported = await api.createMessage(
      ticket.id,
      emailReply(ticket.customer.id, {
        sent_datetime: '2024-01-02T03:04:05+00:00',
        headers: { 'X-Test': 'yes' },
      }),
    );
    expect(imported.sent_datetime).toBe('2024-01-02T03:04:05.000000');
    expect(imported.headers).toEqual({ 'X-Test': 'yes' });
  });

  it('answers one message of a ticket, and 404 for a message of another ticket', async () => {
    const one = await api.createTicket();
    const two = await api.createTicket();
    const messageId = one.messages[0]?.id ?? 0;
    expect(await api.message(one.id, messageId)).toEqual(one.messages[0]);
    const elsewhere = await raw.get(`/api/tickets/${two.id}/messages/${messageId}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.data).toEqual({ error: { msg: expect.any(String) } });
    expect((await raw.get(`/api/tickets/${one.id}/messages/999`)).status).toBe(404);
    expect((await raw.get(`/api/tickets/999999/messages/${messageId}`)).status).toBe(404);
  });

  it("runs a write's beforeSend just before the request, and sends nothing when it fails", async () => {
    const ticket = await api.createTicket();
    const client = clientFor(sandbox);
    const count = async () => (await client.getTicket(ticket.id)).messages.length;
    const before = await count();
    const confirmed: number[] = [];
    await client.createMessage(ticket.id, internalNote, {
      beforeSend: async () => {
        confirmed.push(await count());
      },
    });
    // Called once, before the message existed.
    expect(confirmed).toEqual([before]);
    expect(await count()).toBe(before + 1);

    const refused = new Error('Temporal does not confirm this attempt');
    const sent = client.createMessage(ticket.id, internalNote, {
      beforeSend: async () => {
        throw refused;
      },
    });
    await expect(sent).rejects.toBe(refused);
    expect(await count()).toBe(before + 1);
  });

  it('pages through more than 200 messages with cursors, newest first, stopping at the first match', async () => {
    const ticket = await api.createTicket();
    const created = ticket.messages.map((m) => m.id);
    for (let i = 0; i < 230; i++) {
      created.push((await api.createMessage(ticket.id, { ...internalNote, body_text: `note ${i}` })).id);
    }
    const client = clientFor(sandbox);
    const pagesTo = async (id: number | undefined) => {
      let pages = 0;
      const found = await client.findMessage(
        ticket.id,
        (m) => m.id === id,
        () => pages++,
      );
      return { id: found?.id ?? null, pages };
    };
    // The newest is on the first page; the customer's first message on the last of three; a stranger on none.
    expect(await pagesTo(created[created.length - 1])).toEqual({ id: created[created.length - 1], pages: 1 });
    expect(await pagesTo(created[0])).toEqual({ id: created[0], pages: 3 });
    expect(await pagesTo(-1)).toEqual({ id: null, pages: 3 });

    // Newest first by default; prev_cursor leads back to the page before.
    const first = await raw.get('/api/messages', { params: { ticket_id: ticket.id, limit: 50 } });
    expect(first.data).toMatchObject({ object: 'list', meta: { prev_cursor: null } });
    expect(first.data.data[0].id).toBe(created[created.length - 1]);
    const second = await raw.get('/api/messages', {
      params: { ticket_id: ticket.id, limit: 50, cursor: first.data.meta.next_cursor },
    });
    expect(second.data.data[0].id).toBe(created[created.length - 51]);
    const back = await raw.get('/api/messages', {
      params: { ticket_id: ticket.id, limit: 50, cursor: second.data.meta.prev_cursor },
    });
    expect(back.data.data.map((m: { id: number }) => m.id)).toEqual(
      first.data.data.map((m: { id: number }) => m.id),
    );
  });

  it('lists only the given ticket, and rejects a limit outside 1–100 or a bad cursor', async () => {
    const one = await api.createTicket();
    await api.createTicket();
    const ofOne = await raw.get('/api/messages', { params: { ticket_id: one.id } });
    expect(ofOne.data.data.map((m: Message) => m.ticket_id)).toEqual([one.id, one.id]);
    expect((await raw.get('/api/messages')).data.data).toHaveLength(4);

    for (const limit of [0, 101]) {
      const answer = await raw.get('/api/messages', { params: { limit } });
      expect(answer.status).toBe(400);
      expect(answer.data.error.data).toHaveProperty('limit');
    }
    expect((await raw.get('/api/messages', { params: { cursor: 'garbage' } })).status).toBe(400);
  });

  it('answers the deprecated ticket messages endpoint as a list, oldest first', async () => {
    const ticket = await api.createTicket();
    const note = await api.createMessage(ticket.id, internalNote);
    const answer = await raw.get(`/api/tickets/${ticket.id}/messages`);
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({
      object: 'list',
      uri: `/api/tickets/${ticket.id}/messages`,
      data: [...ticket.messages, note].map((m) => expect.objectContaining({ id: m.id })),
      meta: { next_cursor: null, prev_cursor: null },
    });
  });

  it('lists tickets newest first with cursors', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.createTicket()).id);
    const first = await raw.get('/api/tickets', { params: { limit: 3 } });
    expect(first.data).toMatchObject({ object: 'list', uri: '/api/tickets?limit=3' });
    expect(first.data.data.map((t: { id: number }) => t.id)).toEqual(ids.slice(2).reverse());
    const rest = await raw.get('/api/tickets', { params: { limit: 3, cursor: first.data.meta.next_cursor } });
    expect(rest.data.data.map((t: { id: number }) => t.id)).toEqual(ids.slice(0, 2).reverse());
    expect(rest.data.meta.next_cursor).toBeNull();
    const ascending = await raw.get('/api/tickets', { params: { order_by: 'created_datetime:asc' } });
    expect(ascending.data.data.map((t: { id: number }) => t.id)).toEqual(ids);
  });

  it('lists trashed tickets unless trashed=false, and still answers a trashed ticket', async () => {
    const kept = await api.createTicket();
    const trashed = await api.createTicket();
    const viaControl = await raw.post<Ticket>(`/_sandbox/tickets/${trashed.id}/trash`);
    expect(viaControl.status).toBe(200);
    expect(viaControl.data.trashed_datetime).toMatch(TICKET_DATETIME);
    expect((await raw.post('/_sandbox/tickets/999999/trash')).status).toBe(404);

    expect((await api.ticket(trashed.id)).trashed_datetime).toBe(viaControl.data.trashed_datetime);
    const idsOf = async (params: Record<string, string>) =>
      (await raw.get('/api/tickets', { params })).data.data.map((t: Ticket) => t.id);
    expect(await idsOf({})).toEqual([trashed.id, kept.id]);
    expect(await idsOf({ trashed: 'false' })).toEqual([kept.id]);
    expect(await idsOf({ trashed: 'true' })).toEqual([trashed.id]);
    expect((await raw.get('/api/tickets', { params: { trashed: 'maybe' } })).status).toBe(400);
    expect((await raw.get('/api/tickets', { params: { deleted: 'true' } })).status).toBe(400);

    expect(sandbox.trashTicket(kept.id)?.trashed_datetime).toMatch(TICKET_DATETIME);
    expect(await idsOf({ trashed: 'false' })).toEqual([]);
  });

  it('answers malformed JSON with 400 and unknown routes with 404, both as JSON', async () => {
    const ticket = await api.createTicket();
    const malformed = await raw.post(`/api/tickets/${ticket.id}/messages`, '{"channel": ', {
      headers: { 'Content-Type': 'application/json' },
      transformRequest: [(data: unknown) => data],
    });
    expect(malformed.status).toBe(400);
    expect(malformed.data).toEqual({ error: { msg: expect.any(String) } });

    const unknown = await raw.get('/api/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.data).toEqual({ error: { msg: expect.any(String) } });
  });

  it('counts requests by status and resets everything over the control endpoints', async () => {
    const ticket = await api.createTicket();
    await api.createMessage(ticket.id, internalNote);
    await raw.get('/api/tickets/999999');

    const stats = (await raw.get('/_sandbox/stats')).data;
    expect(stats).toEqual({
      requests: 3,
      byStatus: { '201': 2, '404': 1 },
      rateLimited: 0,
      faultsInjected: 0,
      lateResponses: 0,
      lateCommits: 0,
      resetsAfterCommit: 0,
      messagesCreated: 3, // the customer's, the Rule's note and ours
      ticketsCreated: 1,
    });

    expect((await raw.put('/_sandbox/faults', { errorRate: 2 })).status).toBe(400);
    expect((await raw.put('/_sandbox/faults', { lateCommitMs: [20, 10] })).status).toBe(400);
    expect((await raw.put('/_sandbox/faults', { latencyMs: 1 })).data).toMatchObject({
      latencyMs: 1,
      errorRate: 0,
    });
    expect((await raw.post('/_sandbox/reset')).status).toBe(200);

    expect(sandbox.stats()).toMatchObject({ requests: 0, byStatus: {}, ticketsCreated: 0 });
    expect(sandbox.messagesOf(ticket.id)).toEqual([]);
    expect((await raw.get(`/api/tickets/${ticket.id}`)).status).toBe(404);
    const again = await api.createTicket();
    expect(again.id).toBeGreaterThan(ticket.id); // ids are never reused
    expect((await raw.put('/_sandbox/faults', {})).data).toMatchObject({ latencyMs: 0 });
  });

  it('requires credentials for the control endpoints', async () => {
    expect((await axios.get(`${sandbox.url}/_sandbox/stats`, { validateStatus: () => true })).status).toBe(
      401,
    );
  });
});

describe('sandbox tags', () => {
  let sandbox: RunningSandbox;
  let api: ReturnType<typeof apiFor>;

  beforeAll(async () => {
    sandbox = await startSandbox({ ...credentials, port: 0, rateLimit: false });
    api = apiFor(sandbox);
  });
  afterEach(() => sandbox.reset());
  afterAll(() => sandbox.close());

  const namesOf = (answer: { data: { data: Tag[] } }) => answer.data.data.map((tag) => tag.name);

  it('adds tags with POST, keeping a tag added meanwhile, where a read-then-PUT of the ticket loses it', async () => {
    const ticket = await api.createTicket(newTicket({ tags: [{ name: 'vip' }] }));
    const read = await api.ticket(ticket.id); // the service reads the ticket...
    await api.raw.post(`/api/tickets/${ticket.id}/tags`, { names: ['urgent'] }); // ...an agent tags it...

    const added = await api.raw.post(`/api/tickets/${ticket.id}/tags`, { names: ['auto-replied'] });
    expect(added.status).toBe(201);
    expect(added.data).toMatchObject({ object: 'list', uri: `/api/tickets/${ticket.id}/tags` });
    expect(namesOf(added)).toEqual(['vip', 'urgent', 'auto-replied']);
    expect((await api.ticket(ticket.id)).tags.map((t) => t.name)).toEqual(['vip', 'urgent', 'auto-replied']);

    // The same change made by writing back what was read overwrites the agent's tag.
    const overwritten = await api.raw.put<Ticket>(`/api/tickets/${ticket.id}`, {
      tags: [...read.tags.map(({ name }) => ({ name })), { name: 'auto-replied' }],
    });
    expect(overwritten.data.tags.map((t) => t.name)).toEqual(['vip', 'auto-replied']);
  });

  it('adds by id, replaces with PUT, removes with DELETE, and lists with GET', async () => {
    const ticket = await api.createTicket(newTicket({ tags: [{ name: 'vip' }, { name: 'wismo' }] }));
    const [vip, wismo] = ticket.tags;
    const path = `/api/tickets/${ticket.id}/tags`;

    const again = await api.raw.post(path, { ids: [vip?.id], names: ['vip'] });
    expect(namesOf(again)).toEqual(['vip', 'wismo']); // no duplicates

    const replaced = await api.raw.put(path, { names: ['refund'], ids: [wismo?.id] });
    expect(replaced.status).toBe(200);
    expect(namesOf(replaced)).toEqual(['refund', 'wismo']);

    const removed = await api.raw.delete(path, { data: { names: ['wismo'] } });
    expect(removed.status).toBe(200);
    expect(namesOf(removed)).toEqual(['refund']);
    expect(namesOf(await api.raw.get(path))).toEqual(['refund']);
  });

  it('rejects unknown fields, an empty body and unknown tag ids with 400, and an unknown ticket with 404', async () => {
    const ticket = await api.createTicket();
    const path = `/api/tickets/${ticket.id}/tags`;
    const unknownField = await api.raw.post(path, { names: ['a'], tags: ['b'] });
    expect(unknownField.status).toBe(400);
    expect(unknownField.data.error.data).toEqual({ tags: ['Unknown field.'] });
    expect((await api.raw.post(path, {})).status).toBe(400);
    const unknownId = await api.raw.post(path, { ids: [424242] });
    expect(unknownId.status).toBe(400);
    expect(unknownId.data.error.data).toHaveProperty('ids');
    expect((await api.raw.post('/api/tickets/999999/tags', { names: ['a'] })).status).toBe(404);
    expect((await api.ticket(ticket.id)).tags).toEqual([]);
  });
});

describe('sandbox email integrations', () => {
  let sandbox: RunningSandbox;
  let api: ReturnType<typeof apiFor>;

  beforeAll(async () => {
    sandbox = await startSandbox({
      ...credentials,
      port: 0,
      rateLimit: false,
      sendDelayMs: 0,
      emailIntegrations: [
        { address: SUPPORT, name: 'Shop Support' },
        { address: 'returns@shop.example.com', name: 'Returns' },
        { address: GORGIAS_PROVIDED, name: 'Shop' },
      ],
    });
    api = apiFor(sandbox);
  });
  afterEach(() => sandbox.reset());
  afterAll(() => sandbox.close());

  const integration = async (id: number) => api.raw.get<Integration>(`/api/integrations/${id}`);

  it("answers an email integration in Gorgias's shape, a Shopify one, and 404 for an unknown id", async () => {
    const support = await integration(FIRST_EMAIL_INTEGRATION_ID);
    expect(support.status).toBe(200);
    expect(support.data).toEqual({
      id: FIRST_EMAIL_INTEGRATION_ID,
      uri: `/api/integrations/${FIRST_EMAIL_INTEGRATION_ID}/`,
      type: 'email',
      name: 'Shop Support',
      description: null,
      meta: expect.objectContaining({
        address: SUPPORT,
        preferred: true,
        forwarding_email_address: expect.stringMatching(/^[0-9a-f]{16}@email\.gorgias\.com$/),
      }),
      http: null,
      decoration: null,
      mappings: null,
      user: { id: expect.any(Number) },
      created_datetime: expect.stringMatching(TICKET_DATETIME),
      updated_datetime: expect.stringMatching(TICKET_DATETIME),
      deactivated_datetime: null,
      deleted_datetime: null,
      locked_datetime: null,
    });
    expect((await integration(FIRST_EMAIL_INTEGRATION_ID + 1)).data.meta.address).toBe(
      'returns@shop.example.com',
    );
    expect((await integration(SHOPIFY_INTEGRATION_ID)).data).toMatchObject({ type: 'shopify' });
    const missing = await integration(9999);
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual({ error: { msg: expect.any(String) } });
  });

  it('gives an incoming message the integration its to or cc addresses match, in any position and case', async () => {
    const returns = FIRST_EMAIL_INTEGRATION_ID + 1;
    const forwarding = String((await integration(returns)).data.meta.forwarding_email_address);
    const cases: [NewTicket, number][] = [
      [ticketTo(['friend@example.org', 'RETURNS@Shop.Example.com']), returns],
      [ticketTo(['friend@example.org'], ['returns@shop.example.com']), returns],
      [ticketTo([forwarding, 'friend@example.org']), returns],
      [ticketTo([SUPPORT]), FIRST_EMAIL_INTEGRATION_ID],
    ];
    for (const [input, expected] of cases) {
      const ticket = await api.createTicket(input);
      expect(ticket.messages[0]?.integration_id).toBe(expected);
    }
  });

  it('creates an integration for a support address it does not know yet', async () => {
    const ticket = await api.createTicket(ticketTo(['hello@new-shop.example.com']));
    const id = ticket.messages[0]?.integration_id ?? 0;
    expect(id).toBeGreaterThan(FIRST_EMAIL_INTEGRATION_ID + 1);
    expect((await integration(id)).data).toMatchObject({
      type: 'email',
      meta: { address: 'hello@new-shop.example.com', preferred: false },
    });
    // Replies may now leave from it; after a reset it is gone again.
    const reply = await api.createMessage(
      ticket.id,
      emailReply(ticket.customer.id, {
        source: {
          type: 'email',
          from: { address: 'hello@new-shop.example.com' },
          to: [{ address: 'd@x.org' }],
        },
      }),
    );
    expect(reply.integration_id).toBe(id);
    sandbox.reset();
    expect((await integration(id)).status).toBe(404);
  });

  it('takes mail to, and sends from, an integration whose own address Gorgias provided (…@email.gorgias.com)', async () => {
    const ticket = await api.createTicket(ticketTo([GORGIAS_PROVIDED]));
    const gorgiasProvided = FIRST_EMAIL_INTEGRATION_ID + 2;
    expect(ticket.messages[0]?.integration_id).toBe(gorgiasProvided);
    const reply = await api.createMessage(
      ticket.id,
      emailReply(ticket.customer.id, {
        integration_id: gorgiasProvided,
        source: {
          type: 'email',
          from: { address: GORGIAS_PROVIDED },
          to: [{ address: 'dana.lee@example.org' }],
        },
      }),
    );
    expect(reply).toMatchObject({
      integration_id: gorgiasProvided,
      source: { from: { address: GORGIAS_PROVIDED } },
    });
  });

  it("answers the shop's contact form as an integration without an address to send from", async () => {
    const form = await integration(CONTACT_FORM_INTEGRATION_ID);
    expect(form.data).toMatchObject({ type: 'contact_form', deactivated_datetime: null });
    expect(form.data.meta).not.toHaveProperty('address');
    const ticket = await api.createTicket(contactFormTicket());
    expect(ticket).toMatchObject({ channel: 'contact_form', reply_options: { email: { answerable: true } } });
    expect(ticket.messages[0]).toMatchObject({
      channel: 'contact_form',
      integration_id: CONTACT_FORM_INTEGRATION_ID,
      source: { type: 'contact_form', from: { address: 'visitor@example.org' }, to: [] },
    });
  });

  it('sends an outgoing email only from the address of one of the email integrations', async () => {
    const ticket = await api.createTicket();
    const post = (overrides: Partial<NewMessage>) =>
      api.raw.post(`/api/tickets/${ticket.id}/messages`, emailReply(ticket.customer.id, overrides));
    const from = (address: string) => ({
      source: { type: 'email', from: { address }, to: [{ address: 'dana.lee@example.org' }] },
    });

    const stranger = await post(from('someone@elsewhere.example.com'));
    expect(stranger.status).toBe(400);
    expect(stranger.data.error.data).toEqual({
      'source.from.address': ['the from address is not one of your email integrations'],
    });
    const forwarding = String(
      (await integration(FIRST_EMAIL_INTEGRATION_ID)).data.meta.forwarding_email_address,
    );
    expect((await post(from(forwarding))).status).toBe(400);

    expect((await post({ integration_id: 9999 })).data.error.data).toHaveProperty('integration_id');
    expect((await post({ integration_id: SHOPIFY_INTEGRATION_ID })).status).toBe(400);
    expect((await post({ integration_id: FIRST_EMAIL_INTEGRATION_ID + 1 })).status).toBe(400);
    expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);

    const fromReturns = await post({
      ...from('Returns@shop.example.com'),
      integration_id: FIRST_EMAIL_INTEGRATION_ID + 1,
    });
    expect(fromReturns.status).toBe(201);
    expect(fromReturns.data.integration_id).toBe(FIRST_EMAIL_INTEGRATION_ID + 1);
    // Internal notes have no from address to check.
    expect((await api.raw.post(`/api/tickets/${ticket.id}/messages`, internalNote)).status).toBe(201);
  });
});

describe('sandbox rate limit over HTTP', () => {
  it('refuses the 41st request of a burst with 429, Retry-After and 40/40, then admits after draining', async () => {
    const clock = { now: 1_000_000 };
    await withSandbox({ now: () => clock.now }, async (sandbox) => {
      const raw = rawFor(sandbox);
      for (let i = 1; i <= 40; i++) {
        const answer = await raw.get('/api/tickets');
        expect(answer.status).toBe(200);
        expect(answer.headers['x-gorgias-account-api-call-limit']).toBe(`${i}/40`);
      }
      const refused = await raw.get('/api/tickets');
      expect(refused.status).toBe(429);
      expect(refused.data).toEqual({ error: { msg: 'Too many requests, retry later.' } });
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['x-gorgias-account-api-call-limit']).toBe('40/40');

      // The service's client turns it into a rate-limited failure with the delay.
      const failure = await clientFor(sandbox)
        .getTicket(1001)
        .catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(GorgiasRequestError);
      expect(failure).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterMs: 1000 });

      clock.now += 500;
      const admitted = await raw.get('/api/tickets');
      expect(admitted.status).toBe(200);
      expect(sandbox.stats()).toMatchObject({ rateLimited: 2, byStatus: { '200': 41, '429': 2 } });
    });
  });

  it("shows an OAuth app's capacity of 80 per 20 s in the header", async () => {
    const clock = { now: 0 };
    await withSandbox({ now: () => clock.now, rateLimit: RATE_LIMITS.oauth }, async (sandbox) => {
      const raw = rawFor(sandbox);
      for (let i = 1; i <= 80; i++) {
        expect((await raw.get('/api/tickets')).headers['x-gorgias-account-api-call-limit']).toBe(`${i}/80`);
      }
      const refused = await raw.get('/api/tickets');
      expect(refused.status).toBe(429);
      expect(refused.headers['x-gorgias-account-api-call-limit']).toBe('80/80');
      clock.now += 250; // 4 per second drain
      expect((await raw.get('/api/tickets')).status).toBe(200);
    });
  });

  it('with a tiny bucket, answers 429 until a slot drains, and does not count unauthenticated requests', async () => {
    const clock = { now: 0 };
    await withSandbox(
      { now: () => clock.now, rateLimit: { capacity: 2, drainPerSecond: 0.5 } },
      async (sandbox) => {
        const raw = rawFor(sandbox);
        const anonymous = await axios.get(`${sandbox.url}/api/tickets`, { validateStatus: () => true });
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers['x-gorgias-account-api-call-limit']).toBe('0/2');
        expect(anonymous.headers['retry-after']).toBe('0');

        expect((await raw.get('/api/tickets')).headers['retry-after']).toBe('0');
        expect((await raw.get('/api/tickets')).headers['retry-after']).toBe('2');
        const refused = await raw.get('/api/tickets');
        expect(refused.status).toBe(429);
        expect(refused.headers['retry-after']).toBe('2');

        clock.now += 1000; // half a slot
        expect((await raw.get('/api/tickets')).status).toBe(429);
        clock.now += 1000;
        expect((await raw.get('/api/tickets')).status).toBe(200);
      },
    );
  });

  it('does not limit anything when turned off', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const raw = rawFor(sandbox);
      const answers = await Promise.all(Array.from({ length: 60 }, () => raw.get('/api/tickets')));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(answers[0]?.headers['x-gorgias-account-api-call-limit']).toBeUndefined();
    });
  });
});

describe('sandbox faults', () => {
  it('with errorRate 1, answers the configured statuses and changes nothing', async () => {
    const draws = [0, 0.0, 0, 0.99];
    await withSandbox({ rateLimit: false, random: () => draws.shift() ?? 0 }, async (sandbox) => {
      const gorgias = clientFor(sandbox);
      const ticket = await apiFor(sandbox).createTicket();
      sandbox.setFaults({ errorRate: 1, errorStatuses: [500, 503] });
      const raw = rawFor(sandbox);

      const first = await raw.post(`/api/tickets/${ticket.id}/messages`, internalNote);
      const second = await raw.post(`/api/tickets/${ticket.id}/messages`, internalNote);
      expect([first.status, second.status]).toEqual([500, 503]);
      expect(first.data).toEqual({ error: { msg: expect.any(String) } });
      await expect(gorgias.createMessage(ticket.id, internalNote)).rejects.toMatchObject({
        kind: 'retryable',
      });

      expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);
      expect(sandbox.stats()).toMatchObject({ faultsInjected: 3, messagesCreated: 2 });

      sandbox.setFaults({ errorRate: 0 });
      expect((await raw.post(`/api/tickets/${ticket.id}/messages`, internalNote)).status).toBe(201);
    });
  });

  it('applies faults only to the selected methods', async () => {
    await withSandbox({ rateLimit: false, faults: { errorRate: 1, methods: ['POST'] } }, async (sandbox) => {
      const raw = rawFor(sandbox);
      expect((await raw.get('/api/tickets')).status).toBe(200);
      expect((await raw.post('/api/tickets', newTicket())).status).toBeGreaterThanOrEqual(500);
    });
  });

  it('with a slow answer, commits the message before the client gives up', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const ticket = await apiFor(sandbox).createTicket();
      sandbox.setFaults({ lateResponseRate: 1, lateResponseMs: 400 });
      const impatient = clientFor(sandbox, 100);

      const reply = emailReply(ticket.customer.id, { external_id: 'autoreply:late' });
      await expect(impatient.createMessage(ticket.id, reply)).rejects.toMatchObject({ kind: 'retryable' });
      expect(sandbox.messagesOf(ticket.id)).toEqual([
        expect.anything(),
        expect.anything(),
        expect.objectContaining({ external_id: 'autoreply:late' }),
      ]);
      expect(sandbox.stats()).toMatchObject({ lateResponses: 1, messagesCreated: 3 });

      // A patient client gets the answer, as it was when the message was created.
      const patient = await rawFor(sandbox).post<Message>(`/api/tickets/${ticket.id}/messages`, reply);
      expect(patient.data.sent_datetime).toBeNull();
    });
  });

  it('with a late commit, performs the request only after the client timed out and disconnected', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const ticket = await apiFor(sandbox).createTicket();
      sandbox.setFaults({ lateCommitRate: 1, lateCommitMs: [300, 300], methods: ['POST'] });
      const impatient = clientFor(sandbox, 100);

      const reply = emailReply(ticket.customer.id, { external_id: 'autoreply:held' });
      await expect(impatient.createMessage(ticket.id, reply)).rejects.toMatchObject({ kind: 'retryable' });
      expect(sandbox.messagesOf(ticket.id)).toHaveLength(2); // not yet: the client knows nothing
      await sleep(300);
      expect(sandbox.messagesOf(ticket.id)).toEqual([
        expect.anything(),
        expect.anything(),
        expect.objectContaining({ external_id: 'autoreply:held' }),
      ]);
      expect(sandbox.stats()).toMatchObject({ lateCommits: 1, messagesCreated: 3 });

      // A patient client is answered once the request is performed; GETs are not held.
      const started = Date.now();
      const patient = await rawFor(sandbox).post(`/api/tickets/${ticket.id}/messages`, internalNote);
      expect(patient.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect((await rawFor(sandbox).get(`/api/tickets/${ticket.id}`)).status).toBe(200);
    });
  });

  it('with a reset after commit, performs the request and then drops the connection', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const ticket = await apiFor(sandbox).createTicket();
      await rawFor(sandbox).put('/_sandbox/faults', { resetAfterCommitRate: 1, methods: ['POST'] });

      const reply = emailReply(ticket.customer.id, { external_id: 'autoreply:reset' });
      await expect(clientFor(sandbox).createMessage(ticket.id, reply)).rejects.toMatchObject({
        kind: 'retryable',
      });
      const raw = await rawFor(sandbox)
        .post(`/api/tickets/${ticket.id}/messages`, internalNote)
        .catch((err: { code?: string; message: string }) => err);
      expect(raw).toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });

      expect(sandbox.messagesOf(ticket.id)).toEqual([
        expect.anything(),
        expect.anything(),
        expect.objectContaining({ external_id: 'autoreply:reset' }),
        expect.objectContaining({ channel: 'internal-note', via: 'api' }),
      ]);
      expect(sandbox.stats()).toMatchObject({ resetsAfterCommit: 2, messagesCreated: 4 });
    });
  });

  it('reset drops held requests unperformed and closes their connections', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const ticket = await apiFor(sandbox).createTicket();
      sandbox.setFaults({ lateCommitRate: 1, lateCommitMs: [60_000, 60_000] });
      const held = rawFor(sandbox)
        .post(`/api/tickets/${ticket.id}/messages`, internalNote)
        .catch((err: { code?: string }) => err);
      await sleep(50);
      sandbox.reset();
      expect(await held).toMatchObject({ code: 'ECONNRESET' });
      expect(sandbox.stats().messagesCreated).toBe(0);
      expect(sandbox.faults().lateCommitRate).toBe(0);
    });
  });

  it('delays every answer by latencyMs', async () => {
    await withSandbox({ rateLimit: false, faults: { latencyMs: 150 } }, async (sandbox) => {
      const started = Date.now();
      expect((await rawFor(sandbox).get('/api/tickets')).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });
  });

  it('reset restores the faults the sandbox started with', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      sandbox.setFaults({ errorRate: 1 });
      expect((await rawFor(sandbox).get('/api/tickets')).status).toBeGreaterThanOrEqual(500);
      sandbox.reset();
      expect((await rawFor(sandbox).get('/api/tickets')).status).toBe(200);
    });
  });
});
