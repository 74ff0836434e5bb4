import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import axios, { type AxiosInstance } from 'axios';
import { GorgiasClient } from '../src/gorgias/client';
import { GorgiasRequestError } from '../src/gorgias/failures';
import {
  messageListSchema,
  messageSchema,
  ticketSchema,
  type NewMessage,
  type NewTicket,
} from '../src/gorgias/schemas';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../src/sandbox';
import { decideFault, NO_FAULTS } from '../src/sandbox/faults';
import { LeakyBucket } from '../src/sandbox/leaky-bucket';

const credentials = { username: 'agent@shop.example.com', apiKey: 'test-api-key-123' };

function clientFor(sandbox: RunningSandbox, timeoutMs = 5000): GorgiasClient {
  return new GorgiasClient({ baseUrl: sandbox.url, ...credentials, timeoutMs });
}

/** A plain HTTP client that never throws on a status, for asserting raw answers. */
function rawFor(
  sandbox: RunningSandbox,
  auth: { username: string; password: string } | null = null,
): AxiosInstance {
  return axios.create({
    baseURL: sandbox.url,
    auth: auth ?? { username: credentials.username, password: credentials.apiKey },
    validateStatus: () => true,
  });
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
          to: [{ address: 'support@shop.example.com', name: 'Shop Support' }],
        },
      },
    ],
    ...overrides,
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
      from: { address: 'support@shop.example.com', name: 'Shop Support' },
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
  sender: { id: 12 },
  source: { type: 'internal-note' },
  body_text: 'Auto-reply sent.',
};

/** Lets the sandbox finish what it does right after answering (filling `sent_datetime`). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

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
});

describe('sandbox API', () => {
  let sandbox: RunningSandbox;
  let gorgias: GorgiasClient;
  let raw: AxiosInstance;

  beforeAll(async () => {
    sandbox = await startSandbox({ ...credentials, port: 0, rateLimit: false });
    gorgias = clientFor(sandbox);
    raw = rawFor(sandbox);
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
    const created = await gorgias.createTicket(newTicket({ tags: [{ name: 'vip' }] }));
    const fetched = await gorgias.getTicket(created.id);

    expect(fetched).toMatchObject({
      id: created.id,
      status: 'open',
      channel: 'email',
      via: 'email',
      from_agent: false,
      subject: 'Where is my order #1042?',
      customer: { email: 'dana.lee@example.org', name: 'Dana Lee', firstname: 'Dana' },
      reply_options: { email: { answerable: true } },
      tags: [{ name: 'vip' }],
    });
    expect(fetched.messages).toHaveLength(1);
    expect(fetched.messages[0]).toMatchObject({ ticket_id: created.id, from_agent: false, public: true });

    // Fields the lenient client schema drops, but real Gorgias sends.
    const body = (await raw.get(`/api/tickets/${created.id}`)).data as Record<string, unknown>;
    expect(body).toMatchObject({
      uri: `/api/tickets/${created.id}/`,
      priority: 'normal',
      customer: { channels: [{ type: 'email', address: 'dana.lee@example.org', preferred: true }] },
      last_message_datetime: expect.any(String),
    });
    expect(() => ticketSchema.parse(body)).not.toThrow();
    const [message] = body.messages as Record<string, unknown>[];
    expect(message).toMatchObject({
      uri: expect.stringMatching(/^\/api\/tickets\/\d+\/messages\/\d+\/$/),
      sender: { email: 'dana.lee@example.org' },
      source: { from: { address: 'dana.lee@example.org' }, to: [{ address: 'support@shop.example.com' }] },
      failed_datetime: null,
      last_sending_error: null,
    });
    expect(body.created_datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  });

  it('reuses a customer by email and numbers new customers upwards', async () => {
    const first = await gorgias.createTicket(newTicket());
    const again = await gorgias.createTicket(newTicket({ customer: { email: 'DANA.LEE@example.org' } }));
    const other = await gorgias.createTicket(newTicket({ customer: { email: 'sam@example.org' } }));
    expect(again.customer?.id).toBe(first.customer?.id);
    expect(other.customer?.id).toBe((first.customer?.id ?? 0) + 1);
    expect(again.id).toBe(first.id + 1);
  });

  it('marks email not answerable on a chat ticket', async () => {
    const ticket = await gorgias.createTicket(
      newTicket({
        messages: [{ channel: 'chat', via: 'gorgias_chat', from_agent: false, body_text: 'hello?' }],
      }),
    );
    expect(ticket.channel).toBe('chat');
    expect(ticket.reply_options).toMatchObject({ email: { answerable: false }, chat: { answerable: false } });
  });

  it('answers 404 with an error body for an unknown ticket', async () => {
    const missing = await raw.get('/api/tickets/999999');
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual({ error: { msg: expect.any(String) } });
    await expect(gorgias.getTicket(999999)).rejects.toMatchObject({ kind: 'permanent', status: 404 });
    expect((await raw.post('/api/tickets/999999/messages', internalNote)).status).toBe(404);
  });

  it('rejects a message with an unknown field, naming the field', async () => {
    const ticket = await gorgias.createTicket(newTicket());
    const answer = await raw.post(`/api/tickets/${ticket.id}/messages`, { ...internalNote, mood: 'happy' });
    expect(answer.status).toBe(400);
    expect(answer.data).toEqual({
      error: { msg: expect.stringContaining('mood'), data: { mood: ['Unknown field.'] } },
    });

    const viaClient = gorgias.createMessage(ticket.id, { ...internalNote, mood: 'happy' } as NewMessage);
    await expect(viaClient).rejects.toMatchObject({ kind: 'permanent', status: 400 });
    expect(sandbox.messagesOf(ticket.id)).toHaveLength(1);
  });

  it('rejects an outgoing reply without a receiver, and an email without recipients', async () => {
    const ticket = await gorgias.createTicket(newTicket());
    const customerId = ticket.customer?.id ?? 0;

    const noReceiver = await raw.post(`/api/tickets/${ticket.id}/messages`, {
      ...emailReply(customerId),
      receiver: undefined,
    });
    expect(noReceiver.status).toBe(400);
    expect(noReceiver.data.error.data).toHaveProperty('receiver');

    const noRecipients = emailReply(customerId, {
      source: { type: 'email', from: { address: 'support@shop.example.com' } },
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

    expect(sandbox.messagesOf(ticket.id)).toHaveLength(1);
  });

  it('sends a reply without sent_datetime: null in the answer, filled in just after', async () => {
    const ticket = await gorgias.createTicket(newTicket());
    const reply = await gorgias.createMessage(ticket.id, emailReply(ticket.customer?.id ?? 0));

    expect(reply).toMatchObject({
      ticket_id: ticket.id,
      from_agent: true,
      public: true,
      sent_datetime: null,
    });
    expect(reply.external_id).toBe('autoreply:1');
    await settle();
    const stored = (await gorgias.listMessages(ticket.id)).find((m) => m.id === reply.id);
    expect(stored?.sent_datetime).toEqual(expect.any(String));
    expect(stored?.receiver).toMatchObject({ id: ticket.customer?.id, email: 'dana.lee@example.org' });

    const after = await gorgias.getTicket(ticket.id);
    expect(after.messages.map((m) => m.id)).toEqual([ticket.messages[0]?.id, reply.id]);
    const body = (await raw.get(`/api/tickets/${ticket.id}`)).data;
    expect(body.last_message_datetime).toBe(reply.created_datetime);
  });

  it('records a message with sent_datetime as an import, never sending it', async () => {
    const ticket = await gorgias.createTicket(newTicket());
    const imported = await gorgias.createMessage(
      ticket.id,
      emailReply(ticket.customer?.id ?? 0, {
        sent_datetime: '2024-01-02T03:04:05+00:00',
        headers: { 'X-Test': 'yes' },
      }),
    );
    expect(imported.sent_datetime).toBe('2024-01-02T03:04:05.000000+00:00');
    expect(imported.headers).toEqual({ 'X-Test': 'yes' });
  });

  it('stores an internal note as not public', async () => {
    const ticket = await gorgias.createTicket(newTicket());
    const note = await gorgias.createMessage(ticket.id, internalNote);
    expect(note).toMatchObject({ channel: 'internal-note', public: false, from_agent: true });
    expect(sandbox.messagesOf(ticket.id)[1]).toMatchObject({ id: note.id, public: false });
  });

  it('pages through more than 100 messages with cursors, returning all of them in order', async () => {
    const ticket = await gorgias.createTicket(newTicket());
    const created: number[] = [ticket.messages[0]?.id ?? 0];
    for (let i = 0; i < 130; i++) {
      created.push((await gorgias.createMessage(ticket.id, { ...internalNote, body_text: `note ${i}` })).id);
    }
    const listed = await gorgias.listMessages(ticket.id);
    expect(listed.map((m) => m.id)).toEqual(created);

    // Newest first by default; prev_cursor leads back to the page before.
    const first = await raw.get('/api/messages', { params: { ticket_id: ticket.id, limit: 50 } });
    expect(() => messageListSchema.parse(first.data)).not.toThrow();
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
    const one = await gorgias.createTicket(newTicket());
    await gorgias.createTicket(newTicket());
    expect((await gorgias.listMessages(one.id)).map((m) => m.ticket_id)).toEqual([one.id]);
    expect((await raw.get('/api/messages')).data.data).toHaveLength(2);

    for (const limit of [0, 101]) {
      const answer = await raw.get('/api/messages', { params: { limit } });
      expect(answer.status).toBe(400);
      expect(answer.data.error.data).toHaveProperty('limit');
    }
    expect((await raw.get('/api/messages', { params: { cursor: 'garbage' } })).status).toBe(400);
  });

  it('answers the deprecated ticket messages endpoint as a list, oldest first', async () => {
    const ticket = await gorgias.createTicket(newTicket());
    const note = await gorgias.createMessage(ticket.id, internalNote);
    const answer = await raw.get(`/api/tickets/${ticket.id}/messages`);
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({
      object: 'list',
      uri: `/api/tickets/${ticket.id}/messages`,
      data: [
        expect.objectContaining({ id: ticket.messages[0]?.id }),
        expect.objectContaining({ id: note.id }),
      ],
      meta: { next_cursor: null, prev_cursor: null },
    });
    for (const message of answer.data.data) expect(() => messageSchema.parse(message)).not.toThrow();
  });

  it('lists tickets newest first with cursors', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await gorgias.createTicket(newTicket())).id);
    const first = await raw.get('/api/tickets', { params: { limit: 3 } });
    expect(first.data).toMatchObject({ object: 'list', uri: '/api/tickets?limit=3' });
    expect(first.data.data.map((t: { id: number }) => t.id)).toEqual(ids.slice(2).reverse());
    const rest = await raw.get('/api/tickets', { params: { limit: 3, cursor: first.data.meta.next_cursor } });
    expect(rest.data.data.map((t: { id: number }) => t.id)).toEqual(ids.slice(0, 2).reverse());
    expect(rest.data.meta.next_cursor).toBeNull();
    const ascending = await raw.get('/api/tickets', { params: { order_by: 'created_datetime:asc' } });
    expect(ascending.data.data.map((t: { id: number }) => t.id)).toEqual(ids);
  });

  it('answers malformed JSON with 400 and unknown routes with 404, both as JSON', async () => {
    const ticket = await gorgias.createTicket(newTicket());
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
    const ticket = await gorgias.createTicket(newTicket());
    await gorgias.createMessage(ticket.id, internalNote);
    await raw.get('/api/tickets/999999');

    const stats = (await raw.get('/_sandbox/stats')).data;
    expect(stats).toEqual({
      requests: 3,
      byStatus: { '201': 2, '404': 1 },
      rateLimited: 0,
      faultsInjected: 0,
      lateResponses: 0,
      messagesCreated: 2,
      ticketsCreated: 1,
    });

    expect((await raw.put('/_sandbox/faults', { errorRate: 2 })).status).toBe(400);
    expect((await raw.put('/_sandbox/faults', { latencyMs: 1 })).data).toMatchObject({
      latencyMs: 1,
      errorRate: 0,
    });
    expect((await raw.post('/_sandbox/reset')).status).toBe(200);

    expect(sandbox.stats()).toMatchObject({ requests: 0, byStatus: {}, ticketsCreated: 0 });
    expect(sandbox.messagesOf(ticket.id)).toEqual([]);
    expect((await raw.get(`/api/tickets/${ticket.id}`)).status).toBe(404);
    const again = await gorgias.createTicket(newTicket());
    expect(again.id).toBeGreaterThan(ticket.id); // ids are never reused
    expect((await raw.put('/_sandbox/faults', {})).data).toMatchObject({ latencyMs: 0 });
  });

  it('requires credentials for the control endpoints', async () => {
    expect((await axios.get(`${sandbox.url}/_sandbox/stats`, { validateStatus: () => true })).status).toBe(
      401,
    );
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
      const ticket = await gorgias.createTicket(newTicket());
      sandbox.setFaults({ errorRate: 1, errorStatuses: [500, 503] });
      const raw = rawFor(sandbox);

      const first = await raw.post(`/api/tickets/${ticket.id}/messages`, internalNote);
      const second = await raw.post(`/api/tickets/${ticket.id}/messages`, internalNote);
      expect([first.status, second.status]).toEqual([500, 503]);
      expect(first.data).toEqual({ error: { msg: expect.any(String) } });
      await expect(gorgias.createMessage(ticket.id, internalNote)).rejects.toMatchObject({
        kind: 'retryable',
      });

      expect(sandbox.messagesOf(ticket.id)).toHaveLength(1);
      expect(sandbox.stats()).toMatchObject({ faultsInjected: 3, messagesCreated: 1 });

      sandbox.setFaults({ errorRate: 0 });
      await expect(gorgias.createMessage(ticket.id, internalNote)).resolves.toMatchObject({ public: false });
    });
  });

  it('applies faults only to the selected methods', async () => {
    await withSandbox({ rateLimit: false, faults: { errorRate: 1, methods: ['POST'] } }, async (sandbox) => {
      const raw = rawFor(sandbox);
      expect((await raw.get('/api/tickets')).status).toBe(200);
      expect((await raw.post('/api/tickets', newTicket())).status).toBeGreaterThanOrEqual(500);
    });
  });

  it('with a late response, commits the message before the client gives up', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const ticket = await clientFor(sandbox).createTicket(newTicket());
      sandbox.setFaults({ lateResponseRate: 1, lateResponseMs: 400 });
      const impatient = clientFor(sandbox, 100);

      const reply = emailReply(ticket.customer?.id ?? 0, { external_id: 'autoreply:late' });
      await expect(impatient.createMessage(ticket.id, reply)).rejects.toMatchObject({ kind: 'retryable' });
      expect(sandbox.messagesOf(ticket.id)).toEqual([
        expect.anything(),
        expect.objectContaining({ external_id: 'autoreply:late' }),
      ]);
      expect(sandbox.stats()).toMatchObject({ lateResponses: 1, messagesCreated: 2 });

      // A patient client gets the answer, as it was when the message was created.
      const patient = await clientFor(sandbox).createMessage(ticket.id, reply);
      expect(patient.sent_datetime).toBeNull();
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
