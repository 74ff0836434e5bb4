import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import { SAMPLE_RULES, startSandbox, type RunningSandbox } from '../../src/tools/sandbox';

/**
 * The sandbox's account endpoints, read raw: `GET /api/account`, `GET /api/rules` (cursor pages) and
 * `GET /api/integrations?type=`, behind Basic auth and the rate limit like every `/api` call, and the control that
 * seeds Rules for tests and tools (`PUT /_sandbox/rules`).
 */

const credentials = { username: 'agent@shop.example.com', apiKey: 'sandbox-account-key-1' };
let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ ...credentials, port: 0, rateLimit: { capacity: 3, windowSeconds: 60 } });
});
afterAll(() => sandbox.close());

const api = (auth = { username: credentials.username, password: credentials.apiKey }) =>
  axios.create({ baseURL: sandbox.url, auth, validateStatus: () => true });

describe('the account endpoints of the sandbox', () => {
  it('GET /api/account: the account, for the credentials only; counted by the rate limit', async () => {
    sandbox.reset();
    const answer = await api().get('/api/account');
    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({ domain: 'shop-example', deactivated_datetime: null });
    expect(answer.headers['x-gorgias-account-api-call-limit']).toBe('1/3');
    expect(
      (await api({ username: credentials.username, password: 'wrong' }).get('/api/account')).status,
    ).toBe(401);
    await api().get('/api/account');
    await api().get('/api/account');
    expect((await api().get('/api/account')).status).toBe(429);
  });

  it('GET /api/rules: Gorgias’s Rule objects, active or switched off, in cursor pages; seeded by PUT /_sandbox/rules', async () => {
    sandbox.reset();
    const seeded = await api().put('/_sandbox/rules', {
      rules: [SAMPLE_RULES.autoresponder, SAMPLE_RULES.autoresponderSwitchedOff, SAMPLE_RULES.chatGreeting],
    });
    expect(seeded.status).toBe(200);
    const first = await api().get('/api/rules', { params: { limit: 2 } });
    expect(first.status).toBe(200);
    expect(first.data.data).toHaveLength(2);
    expect(first.data.data[0]).toMatchObject({
      uri: expect.stringMatching(/^\/api\/rules\/\d+\/$/),
      code: expect.any(String),
      event_types: 'ticket-created',
      type: 'user',
    });
    const next = await api().get('/api/rules', { params: { limit: 2, cursor: first.data.meta.next_cursor } });
    const all = [...first.data.data, ...next.data.data];
    expect(all.map((r: { name: string }) => r.name).sort()).toEqual([
      'Auto-reply to new emails',
      'Chat greeting',
      'Old autoresponder',
    ]);
    expect(
      all.filter((r: { deactivated_datetime: string | null }) => r.deactivated_datetime !== null),
    ).toHaveLength(1);
    expect(next.data.meta.next_cursor).toBeNull();
    expect((await api().put('/_sandbox/rules', { rules: [{ code: 'x' }] })).status).toBe(400);
  });

  it('a reset brings back the Rules of the options: the triage Rule behind the sandbox’s notes', async () => {
    sandbox.setRules([SAMPLE_RULES.autoresponder]);
    sandbox.reset();
    const answer = await api().get('/api/rules');
    expect(answer.data.data.map((r: { name: string }) => r.name)).toEqual([SAMPLE_RULES.triageNote.name]);
  });

  it('GET /api/integrations?type=email: the support mailboxes only', async () => {
    sandbox.reset();
    const answer = await api().get('/api/integrations', { params: { type: 'email' } });
    expect(answer.status).toBe(200);
    expect(
      answer.data.data.map((i: { type: string; meta: { address: string } }) => [i.type, i.meta.address]),
    ).toEqual([['email', 'support@shop.example.com']]);
    expect((await api().get('/api/integrations', { params: { typo: 'email' } })).status).toBe(400);
  });
});
