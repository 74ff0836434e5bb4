import { describe, expect, it } from '@jest/globals';
import axios, { type AxiosInstance } from 'axios';
import { GorgiasClient } from '../../src/gorgias/client';
import type { RunningSandbox } from '../../src/tools/sandbox';
import { credentials, internalNote, rawFor, type SandboxApi, useSandbox } from '../support/sandbox-api';

/** The sandbox's Basic auth, health check, error answers and control endpoints (`/_sandbox`). */

describe('sandbox auth and control endpoints', () => {
  let sandbox: RunningSandbox;
  let api: SandboxApi;
  let raw: AxiosInstance;
  useSandbox({ rateLimit: false, sendDelayMs: 20 }, (opened) => ({ sandbox, api, raw } = opened));

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
      customerReads: 0,
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
