import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createIntakeApp } from '../../src/server/app';
import { workflowIdForTicket } from '../../src/workflows/definitions';
import { TEST_SECRET, useTestStack } from '../support/stack';

// No worker: these tests look at what the intake answers and what it hands to Temporal.
const ctx = useTestStack({ worker: false });

const auth = { Authorization: `Bearer ${TEST_SECRET}` };

describe('webhook intake', () => {
  it('accepts the small template body (ids as numeric strings) with 202 and the workflow id', async () => {
    const answer = await ctx.stack.deliver({ ticket_id: '9001' }, { event: 'ticket-created' });
    expect(answer.status).toBe(202);
    expect(answer.data).toMatchObject({
      status: 'accepted',
      ticketId: 9001,
      workflowId: 'gorgias-ticket-9001',
      trigger: 'ticket-created',
      traceUrl: `http://localhost:8233/namespaces/${ctx.env.namespace}/workflows/gorgias-ticket-9001`,
    });
    expect(await ctx.stack.hasWorkflow(9001)).toBe(true);
  });

  it('accepts the whole-context body, ignoring fields it does not know', async () => {
    const answer = await ctx.stack.deliver({
      ticket: {
        id: 9002,
        spam: false,
        subject: 'Hello',
        customer: { email: 'x@example.org' },
        extra: [1, 2],
      },
      message: { channel: 'email', from_agent: false, body_text: 'hi' },
      unknown_field: true,
      event: 'ticket-message-created',
    });
    expect(answer.status).toBe(202);
    expect(answer.data).toMatchObject({ ticketId: 9002, trigger: 'ticket-message-created' });
  });

  it('accepts a delivery without a trigger', async () => {
    const answer = await ctx.stack.deliver({ ticket_id: 9003 });
    expect(answer.status).toBe(202);
    expect(answer.data.trigger).toBeNull();
  });

  it('records every delivery for one ticket in the same workflow', async () => {
    const answers = await Promise.all(
      ['ticket-created', 'ticket-message-created', 'ticket-updated'].map((event) =>
        ctx.stack.deliver({ ticket_id: 9004 }, { event }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    const history = await ctx.env.client.workflow.getHandle(workflowIdForTicket(9004)).fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals).toHaveLength(3);
  });

  it.each([
    [
      'an internal note',
      { ticket: { id: 9100 }, message: { channel: 'internal-note', from_agent: true } },
      'internal-note',
    ],
    [
      'a message written by an agent',
      { ticket: { id: 9101 }, message: { channel: 'email', from_agent: true } },
      'message-from-agent',
    ],
    ['a spam ticket', { ticket: { id: 9102, spam: true } }, 'spam'],
  ])('ignores %s with 200 and the reason, starting nothing', async (_what, body, reason) => {
    const answer = await ctx.stack.deliver(body, { event: 'ticket-message-created' });
    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({ status: 'ignored', reason });
    expect(await ctx.stack.hasWorkflow(body.ticket.id)).toBe(false);
  });

  type BadRequest = { body: unknown; headers?: Record<string, string>; event?: string };
  const bad: [string, number, string, BadRequest][] = [
    [
      'no Authorization header',
      401,
      'unauthorized',
      { body: { ticket_id: 9200 }, headers: { Authorization: '' } },
    ],
    [
      'a wrong token',
      401,
      'unauthorized',
      { body: { ticket_id: 9201 }, headers: { Authorization: 'Bearer nope-nope-nope-nope' } },
    ],
    [
      'a malformed Authorization header',
      401,
      'unauthorized',
      { body: { ticket_id: 9202 }, headers: { Authorization: TEST_SECRET } },
    ],
    [
      'a form-encoded body',
      415,
      'unsupported-media-type',
      { body: 'ticket_id=9203', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
    ],
    [
      'text/plain',
      415,
      'unsupported-media-type',
      { body: '{"ticket_id": 9204}', headers: { 'Content-Type': 'text/plain' } },
    ],
    ['invalid JSON', 400, 'bad-request-body', { body: '{"ticket_id": 9205', headers: {} }],
    [
      'a body over the default 10 MB limit',
      413,
      'bad-request-body',
      { body: { ticket_id: 9206, padding: 'x'.repeat(10_500_000) } },
    ],
    ['no ticket id', 400, 'invalid-delivery', { body: { event: 'ticket-created' } }],
    ['ticket id zero', 400, 'invalid-delivery', { body: { ticket_id: 0 } }],
    ['a negative ticket id', 400, 'invalid-delivery', { body: { ticket_id: '-5' } }],
    ['a non-numeric ticket id', 400, 'invalid-delivery', { body: { ticket_id: 'abc' } }],
    ['a float ticket id', 400, 'invalid-delivery', { body: { ticket_id: 12.5 } }],
    ['a huge ticket id', 400, 'invalid-delivery', { body: { ticket_id: '123456789012345678901234567890' } }],
    ['an array body', 400, 'invalid-delivery', { body: [{ ticket_id: 9207 }] }],
    ['an unknown trigger', 400, 'invalid-delivery', { body: { ticket_id: 9208 }, event: 'ticket-exploded' }],
    [
      'ticket_id and ticket.id that disagree',
      400,
      'invalid-delivery',
      { body: { ticket_id: 9209, ticket: { id: 9210 } } },
    ],
    ['an unrendered template variable', 400, 'invalid-delivery', { body: { ticket_id: '{{ticket.id}}' } }],
  ];

  it.each(bad)('answers %s with %i %s and starts nothing', async (_what, status, error, request) => {
    const answer = await ctx.stack.deliver(request.body, { headers: request.headers, event: request.event });
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/application\/json/);
    expect(answer.data.error).toBe(error);
    expect(typeof (answer.data.message ?? answer.data.problems)).not.toBe('undefined');
    expect(JSON.stringify(answer.data)).not.toContain(TEST_SECRET);
    const ticketId = /9\d{3}/.exec(JSON.stringify(request.body))?.[0];
    if (ticketId) expect(await ctx.stack.hasWorkflow(Number(ticketId))).toBe(false);
  });

  it('names the configured limit when a body is too large', async () => {
    const answer = await ctx.stack.deliver({ ticket_id: 9211, padding: 'x'.repeat(10_500_000) });
    expect(answer.status).toBe(413);
    expect(answer.data.message).toMatch(/10485760 bytes \(10 MB\).*WEBHOOK_MAX_BODY_BYTES/);
  });

  it.each([
    ['the URL', { ticket: { id: 9301 } }, 'ticket-message-failed'],
    ['the body', { ticket: { id: 9302 }, event: 'ticket-message-failed' }, undefined],
  ])(
    'wakes the workflow for a failed agent message (the trigger in %s), recording the trigger',
    async (_where, ticket, event) => {
      const body = { ...ticket, message: { channel: 'email', from_agent: true, public: true } };
      const answer = await ctx.stack.deliver(body, { event });
      expect(answer.status).toBe(202);
      expect(answer.data).toMatchObject({ status: 'accepted', trigger: 'ticket-message-failed' });
      const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticket.ticket.id));
      const history = await handle.fetchHistory();
      const signal = (history.events ?? []).find((e) => e.workflowExecutionSignaledEventAttributes);
      const payload = signal?.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data;
      expect(JSON.parse(Buffer.from(payload ?? []).toString('utf8'))).toMatchObject({
        trigger: 'ticket-message-failed',
      });
    },
  );

  it('answers a failed agent message for a finished workflow as a duplicate', async () => {
    const body = { ticket: { id: 9303 }, message: { channel: 'email', from_agent: true } };
    expect((await ctx.stack.deliver({ ticket_id: 9303 }, { event: 'ticket-created' })).status).toBe(202);
    await ctx.env.client.workflow.getHandle(workflowIdForTicket(9303)).terminate('finished for the test');
    const answer = await ctx.stack.deliver(body, { event: 'ticket-message-failed' });
    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({ status: 'duplicate', trigger: 'ticket-message-failed' });
  });

  it('names each problem of an invalid body', async () => {
    const answer = await ctx.stack.deliver({ ticket_id: 'abc', event: 'nope' });
    expect(answer.status).toBe(400);
    const paths = (answer.data.problems as { path: string }[]).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['ticket_id', 'event']));
  });

  it('answers health and readiness', async () => {
    expect((await axios.get(`${ctx.stack.intakeUrl}/healthz`)).data).toEqual({ status: 'ok' });
    expect((await axios.get(`${ctx.stack.intakeUrl}/readyz`)).data).toMatchObject({ status: 'ready' });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const answer = await axios.get(`${ctx.stack.intakeUrl}/nope`, {
      validateStatus: () => true,
      headers: auth,
    });
    expect(answer.status).toBe(404);
    expect(answer.data.error).toBe('not-found');
  });
});

describe('webhook intake without Temporal', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // A client for a port where nothing listens: Temporal is unreachable.
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const app = createIntakeApp({
      client: new Client({ connection }),
      taskQueue: 'nowhere',
      webhookSecret: TEST_SECRET,
      temporalTimeoutMs: 1000,
      temporalUiUrl: 'http://localhost:8233',
      logger: pino({ level: 'silent' }),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers 503 within a few seconds so Gorgias retries later', async () => {
    const started = Date.now();
    const answer = await axios.post(
      `${url}/webhooks/gorgias`,
      { ticket_id: 1 },
      { headers: auth, validateStatus: () => true },
    );
    expect(answer.status).toBe(503);
    expect(answer.data.error).toBe('temporal-unavailable');
    expect(answer.headers['retry-after']).toBe('5');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('is alive but not ready, and says Temporal is unreachable rather than misconfigured', async () => {
    expect((await axios.get(`${url}/healthz`)).status).toBe(200);
    const ready = await axios.get(`${url}/readyz`, { validateStatus: () => true });
    expect(ready.status).toBe(503);
    expect(ready.data).toMatchObject({ status: 'unavailable', temporal: 'unreachable' });
  });
});
