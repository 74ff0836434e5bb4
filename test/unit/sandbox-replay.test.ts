import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import axios, { type AxiosInstance } from 'axios';
import { parseGorgiasDatetime } from '../../src/gorgias/datetime';
import { RATE_LIMITS, startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/tools/sandbox';
import { waitUntil } from '../../harness/waiting';
import { GORGIAS_FIXTURE_DIR, loadGorgiasFixture, replayOf } from '../support/gorgias-fixtures';

/**
 * The sandbox's replay mode: the real-shaped fixtures of test/fixtures/gorgias served as they are (the service
 * against them: test/integration/real-shapes.test.ts), with the sandbox's auth, rate limit and sending.
 */

type Json = Record<string, unknown>;
const credentials = { username: 'autoreply@shop.example.com', apiKey: 'replay-api-key-0123456789' };
const TICKET_FILES = readdirSync(GORGIAS_FIXTURE_DIR).filter((f) => /^ticket-.*\.json$/.test(f));
const CUSTOMER = 'eli.novak@example.org';

const opened: RunningSandbox[] = [];
async function replaying(ticketFile: string, options: Partial<SandboxOptions> = {}) {
  const sandbox = await startSandbox({
    ...credentials,
    rateLimit: false,
    sendDelayMs: 20,
    replay: replayOf(ticketFile),
    ...options,
  });
  opened.push(sandbox);
  const raw: AxiosInstance = axios.create({
    baseURL: `${sandbox.url}/api`,
    auth: { username: credentials.username, password: credentials.apiKey },
    validateStatus: () => true,
  });
  return { sandbox, raw };
}
afterAll(() => Promise.all(opened.map((sandbox) => sandbox.close())));

/** Every `*_datetime` string, by where it is. */
function datetimesOf(value: unknown, at = ''): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.assign(
    {},
    ...Object.entries(value).map(([key, v]) =>
      key.endsWith('_datetime') && typeof v === 'string'
        ? { [`${at}${key}`]: v }
        : datetimesOf(v, `${at}${key}.`),
    ),
  ) as Record<string, string>;
}

const emailReply = (overrides: Json = {}) => ({
  channel: 'email',
  via: 'api',
  from_agent: true,
  external_id: 'gorgias-autoreply:reply:42',
  sender: { email: 'autoreply@shop.example.com' },
  receiver: { email: CUSTOMER },
  source: {
    type: 'email',
    from: { address: 'support@shop.example.com', name: 'Shop Support' },
    to: [{ address: CUSTOMER }],
  },
  subject: 'Re: your order',
  body_text: 'Thanks, we are on it.',
  ...overrides,
});
const note = { channel: 'internal-note', via: 'api', from_agent: true, public: false, body_text: 'Noted.' };

describe('the sandbox replaying real-shaped fixtures', () => {
  it.each(TICKET_FILES)('answers %s untouched for its own id, its datetimes kept', async (file) => {
    const fixture = loadGorgiasFixture(file);
    const { raw } = await replaying(file, { replay: replayOf(file, { ticketAgeMs: null }) });
    const answer = await raw.get(`/tickets/${String(fixture.id)}`);
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual(fixture);
  });

  it('answers any integration id with the integration fixture, its id replaced', async () => {
    const integration = loadGorgiasFixture('integration-email.json');
    const { raw } = await replaying('ticket-new-email.json');
    expect((await raw.get(`/integrations/${String(integration.id)}`)).data).toEqual(integration);
    expect((await raw.get('/integrations/7')).data).toEqual({
      ...integration,
      id: 7,
      uri: '/api/integrations/7/',
    });
  });

  it('answers any ticket id with the fixture, the id replaced everywhere; 401 without credentials', async () => {
    const fixture = loadGorgiasFixture('ticket-long-thread.json');
    const { sandbox, raw } = await replaying('ticket-long-thread.json', { rateLimit: RATE_LIMITS.apiKey });
    const refused = await axios.get(`${sandbox.url}/api/tickets/42`, { validateStatus: () => true });
    expect(refused.status).toBe(401);
    const ticket = await raw.get<Json & { messages: Json[] }>('/tickets/42');
    expect(ticket.status).toBe(200);
    expect(ticket.headers['x-gorgias-account-api-call-limit']).toMatch(/^\d+\/40$/);
    expect(ticket.data).toMatchObject({ id: 42, uri: '/api/tickets/42/' });
    expect(ticket.data.messages.map((m) => m.ticket_id)).toEqual((fixture.messages as Json[]).map(() => 42));
    // Our earlier markers name the ticket too.
    expect(JSON.stringify(ticket.data)).toContain('gorgias-autoreply:reply:42');
    expect(JSON.stringify(ticket.data)).not.toContain(String(fixture.id));
  });

  it("moves the ticket's datetimes so the newest is ticketAgeMs old, each written as before", async () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    for (const file of ['ticket-untidy.json', 'ticket-several-addresses.json']) {
      const fixture = loadGorgiasFixture(file);
      const { raw } = await replaying(file, {
        now: () => now,
        replay: replayOf(file, { ticketAgeMs: 60_000 }),
      });
      const before = datetimesOf(fixture);
      const after = datetimesOf((await raw.get(`/tickets/${String(fixture.id)}`)).data);
      const instants = Object.values(after).map((d) => parseGorgiasDatetime(d) ?? NaN);
      // By whole seconds, so the newest is 60 s old and less than a second more.
      expect(now - 60_000 - Math.max(...instants)).toBeGreaterThanOrEqual(0);
      expect(now - 60_000 - Math.max(...instants)).toBeLessThan(1000);
      // One shift for all: the gaps between datetimes are kept (to the millisecond).
      const ms = (d: string) => Math.floor(parseGorgiasDatetime(d) ?? NaN);
      const [firstKey] = Object.keys(before);
      const gaps = (all: Record<string, string>) =>
        Object.fromEntries(Object.entries(all).map(([k, d]) => [k, ms(d) - ms(all[firstKey!]!)]));
      expect(gaps(after)).toEqual(gaps(before));
      // The same form: digits where digits were, an offset where there was one.
      const form = (all: Record<string, string>) =>
        Object.fromEntries(Object.entries(all).map(([k, d]) => [k, d.replace(/\d/g, '0')]));
      expect(form(after)).toEqual(form(before));
    }
  });

  it('answers a post as Gorgias does (sent_datetime null), then sends it: sent_datetime, Message-Id, headers', async () => {
    const { raw } = await replaying('ticket-new-email.json');
    const created = await raw.post<Json>('/tickets/43/messages', emailReply());
    expect(created.status).toBe(201);
    // The fields a real created message has, the client's unknown ones included.
    const template = loadGorgiasFixture('message-created-answer.json');
    expect(Object.keys(created.data).sort()).toEqual(Object.keys(template).sort());
    expect(created.data).toMatchObject({
      ticket_id: 43,
      sent_datetime: null,
      message_id: null,
      is_retriable: true,
      external_id: 'gorgias-autoreply:reply:42',
      source: { extra: { include_thread: false } },
    });
    const url = `/tickets/43/messages/${String(created.data.id)}`;
    await waitUntil(async () => (await raw.get<Json>(url)).data.sent_datetime !== null, 5_000);
    const sent = (await raw.get<Json>(url)).data;
    expect(sent.sent_datetime).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT.*\+00:00$/));
    expect(sent.message_id).toEqual(expect.stringMatching(/^<.+>$/));
    expect(sent.headers).toEqual({ 'Message-Id': sent.message_id, 'X-GORGIAS-TICKET-ID': '43' });
  });

  it('fails sends to failSendsTo recipients as Gorgias shows it: failed_datetime and last_sending_error', async () => {
    const { raw } = await replaying('ticket-new-email.json', { failSendsTo: [CUSTOMER] });
    const created = await raw.post<Json>('/tickets/44/messages', emailReply());
    const url = `/tickets/44/messages/${String(created.data.id)}`;
    await waitUntil(async () => (await raw.get<Json>(url)).data.failed_datetime !== null, 5_000);
    const failed = (await raw.get<Json>(url)).data;
    expect(failed).toMatchObject({ sent_datetime: null, message_id: null, is_retriable: true });
    expect(failed.last_sending_error).toEqual({ error: expect.stringContaining(CUSTOMER) });
  });

  it('settles notes at once and never sends an import', async () => {
    const { raw } = await replaying('ticket-new-email.json', { sendDelayMs: 0 });
    const posted = await raw.post<Json>('/tickets/45/messages', note);
    expect(posted.data.sent_datetime).toBe(posted.data.created_datetime);
    const imported = await raw.post<Json>(
      '/tickets/45/messages',
      emailReply({ sent_datetime: '2026-11-30T10:00:00+00:00' }),
    );
    // Sends go out in order: once a later email is sent, the import would have been too.
    const after = await raw.post<Json>('/tickets/45/messages', emailReply());
    const afterUrl = `/tickets/45/messages/${String(after.data.id)}`;
    await waitUntil(async () => (await raw.get<Json>(afterUrl)).data.sent_datetime !== null, 5_000);
    const later = (await raw.get<Json>(`/tickets/45/messages/${String(imported.data.id)}`)).data;
    expect(later).toMatchObject({ sent_datetime: '2026-11-30T10:00:00+00:00', message_id: null });
  });

  it("lists posted messages after the fixture's, on the ticket and in /api/messages; adds tags; reset forgets both", async () => {
    const fixture = loadGorgiasFixture('ticket-untidy.json');
    const fixtureTags = (fixture.tags as Json[]).map((t) => t.name);
    const { sandbox, raw } = await replaying('ticket-untidy.json');
    const posted = await raw.post<Json>('/tickets/46/messages', note);
    const tagged = await raw.post<{ data: Json[] }>('/tickets/46/tags', { names: ['needs-human'] });
    expect(tagged.status).toBe(201);
    expect(tagged.data.data.map((t) => t.name)).toEqual([...fixtureTags, 'needs-human']);

    const ticket = (await raw.get<Json & { messages: Json[]; tags: Json[] }>('/tickets/46')).data;
    const count = (fixture.messages as Json[]).length + 1;
    expect(ticket.messages.map((m) => m.id)).toHaveLength(count);
    expect(ticket.messages.at(-1)?.id).toBe(posted.data.id);
    expect(ticket.last_message).toEqual(ticket.messages.at(-1));
    expect(ticket.tags.map((t) => t.name)).toEqual([...fixtureTags, 'needs-human']);
    const newestFirst = (
      await raw.get<{ data: Json[] }>('/messages', { params: { ticket_id: 46, limit: 1 } })
    ).data;
    expect(newestFirst.data.map((m) => m.id)).toEqual([posted.data.id]);
    expect(sandbox.messagesOf(46)).toHaveLength(count);

    sandbox.reset();
    expect(sandbox.messagesOf(46)).toHaveLength(count - 1);
    expect((await raw.get<{ tags: Json[] }>('/tickets/46')).data.tags.map((t) => t.name)).toEqual(
      fixtureTags,
    );
  });

  it('refuses a message with a field Gorgias does not know, naming it', async () => {
    const { raw } = await replaying('ticket-new-email.json');
    const answer = await raw.post('/tickets/47/messages', emailReply({ reply_to: 'x@example.org' }));
    expect(answer.status).toBe(400);
    expect(answer.data).toMatchObject({ error: { data: { reply_to: ['Unknown field.'] } } });
    expect(await raw.get('/tickets/47/messages/1')).toMatchObject({ status: 404 });
  });
});
