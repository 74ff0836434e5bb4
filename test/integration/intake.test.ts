import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import axios from 'axios';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pino from 'pino';
import {
  createIntakeApp,
  READINESS_KEPT_MS,
  WEBHOOK_PATH,
  type IntakeDependencies,
} from '../../src/server/app';
import { listenApp } from '../../src/server/http-server';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { TEST_SECRET, useTestStack } from '../support/stack';
import { SIGNAL_LIMIT } from '../../harness/temporal-server';
import { waitUntil } from '../../harness/waiting';

/**
 * The webhook intake with Temporal behind it (and no worker: the workflows it starts stay as it left them):
 * what it answers and what it hands to Temporal (how fast: `npm run bench -- --only intake`). Broken and hostile requests are
 * hostile-input.test.ts; the intake without Temporal and the parser alone are in test/unit.
 */
// The run's server takes SIGNAL_LIMIT signals per workflow (`history.maximumSignalsPerExecution`, see the global
// setup); past it, server 1.29 answers signal-with-start with INVALID_ARGUMENT "exceeded workflow execution
// limit for signal events".
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

const MB = 1024 * 1024;
const utf8Bytes = (text: string) => Buffer.byteLength(text);

/** A `{{context}}` body as Gorgias sends it for a long thread: the whole ticket, every message in full. */
function contextBody(ticketId: number, size: number, ticket: Record<string, unknown> = {}) {
  const longText = 'Hello, I am still waiting for my order. '.repeat(250); // ~10 kB a message
  const count = Math.ceil(size / (2 * longText.length));
  const messages = Array.from({ length: count }, (_, i) => ({
    id: ticketId * 1000 + i,
    channel: 'email',
    from_agent: i % 2 === 1,
    public: true,
    body_text: longText,
    body_html: `<p>${longText}</p>`,
    sender: { email: 'dana@example.org' },
  }));
  return {
    ticket: {
      id: ticketId,
      spam: false,
      subject: 'Where is my order?',
      customer: { email: 'dana@example.org', name: 'Dana' },
      messages,
      ...ticket,
    },
    message: messages[0],
  };
}

function post(body: unknown, event = 'ticket-message-created') {
  return axios.post(`${ctx.stack.intakeUrl}${WEBHOOK_PATH}?event=${event}`, body, {
    headers: { Authorization: `Bearer ${TEST_SECRET}`, 'Content-Type': 'application/json' },
    validateStatus: () => true,
    maxBodyLength: Infinity,
  });
}

describe('big deliveries', () => {
  it('accepts a 5 MB {{context}} body (a ticket with many long messages)', async () => {
    const body = contextBody(9500, 5 * MB);
    expect(utf8Bytes(JSON.stringify(body))).toBeGreaterThan(5 * MB);
    const answer = await post(body);
    expect(answer.status).toBe(202);
    expect(answer.data).toMatchObject({ status: 'accepted', ticketId: 9500 });
    expect(await ctx.stack.hasWorkflow(9500)).toBe(true);
  });

  it.each([
    [9510, 'a huge subject', { subject: 'Where is my order? '.repeat(300_000) }],
    [9511, 'a huge customer email', { customer: { email: `${'dana'.repeat(1_500_000)}@example.org` } }],
    [9512, 'a huge multi-byte subject', { subject: '注文はどこですか？😀'.repeat(170_000) }],
  ])(
    'accepts (ticket %i) a 5 MB body with %s, handing Temporal only its clipped summary',
    async (ticketId, _what, ticket) => {
      const body = contextBody(ticketId, 0, ticket);
      expect(utf8Bytes(JSON.stringify(body))).toBeGreaterThan(4 * MB);
      const answer = await post(body);
      expect(answer.status).toBe(202);
      expect(answer.data).toMatchObject({ status: 'accepted', ticketId });

      // What reached Temporal is the clipped one-line summary; the delivery signal carries no ticket text.
      const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
      const summary = await (await handle.describe()).staticSummary();
      expect(utf8Bytes(summary ?? '')).toBeLessThanOrEqual(200);
      expect(summary).toMatch(/^Gorgias ticket #\d+ · .*…$/);
      const history = await handle.fetchHistory();
      const recorded = utf8Bytes(JSON.stringify(history.events ?? []));
      expect(recorded).toBeLessThan(16 * 1024);
    },
  );
});

const servers: Server[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** An intake of its own, for a client the shared stack does not use (another namespace). */
async function startIntake(overrides: Partial<IntakeDependencies>): Promise<string> {
  const app = createIntakeApp({
    client: ctx.env.client,
    taskQueue: 'intake-failures',
    webhookSecret: TEST_SECRET,
    temporalTimeoutMs: 3000,
    temporalUiUrl: 'http://localhost:8233',
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...overrides,
  });
  const server = await listenApp(app, 0, '127.0.0.1');
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const deliver = (url: string, ticketId: number) =>
  axios.post(
    `${url}${WEBHOOK_PATH}?event=ticket-updated`,
    { ticket_id: ticketId },
    { headers: { Authorization: `Bearer ${TEST_SECRET}` }, validateStatus: () => true },
  );
const readiness = (url: string) => axios.get(`${url}/readyz`, { validateStatus: () => true });

describe('a ticket whose workflow has reached the signal limit', () => {
  it('is answered 200 limit-reached, never 503, once the workflow can take no more deliveries', async () => {
    const ticketId = 9600;
    for (let i = 1; i <= SIGNAL_LIMIT; i += 1) {
      expect((await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-updated' })).status).toBe(
        202,
      );
    }
    for (let i = 0; i < 3; i += 1) {
      const answer = await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-updated' });
      expect(answer.status).toBe(200);
      expect(answer.data).toMatchObject({
        status: 'limit-reached',
        ticketId,
        workflowId: workflowIdForTicket(ticketId),
        trigger: 'ticket-updated',
      });
      expect(answer.data.message).toMatch(/reads the ticket/);
    }
    // The workflow is still running, with exactly the deliveries the server accepted.
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const history = await handle.fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals).toHaveLength(SIGNAL_LIMIT);
    // Other tickets are not affected, and the intake stays ready.
    expect((await ctx.stack.deliver({ ticket_id: ticketId + 1 })).status).toBe(202);
    expect((await readiness(ctx.stack.intakeUrl)).data).toMatchObject({ status: 'ready' });
  });
});

describe('an intake whose Temporal configuration is wrong', () => {
  it('answers 500 intake-misconfigured for a namespace that does not exist, and /readyz says why', async () => {
    const namespace = 'no-such-namespace';
    const url = await startIntake({ client: new Client({ connection: ctx.env.connection, namespace }) });
    expect((await readiness(url)).status).toBe(200); // Temporal itself is reachable

    const answer = await deliver(url, 9700);
    expect(answer.status).toBe(500);
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(answer.data).toMatchObject({ error: 'intake-misconfigured', problem: 'namespace-not-found' });
    expect(answer.data.message).toMatch(/TEMPORAL_NAMESPACE/);
    expect(JSON.stringify(answer.data)).not.toContain(TEST_SECRET);

    const ready = await readiness(url);
    expect(ready.status).toBe(503);
    expect(ready.data).toMatchObject({ status: 'misconfigured', problem: 'namespace-not-found' });
    expect(await ctx.stack.hasWorkflow(9700)).toBe(false);
  });

  it('answers 500 for an unregistered search attribute, then is ready again once a delivery goes through', async () => {
    // A namespace created after the server started has none of the workflow's search attributes.
    const namespace = `bare-${Date.now()}`;
    await ctx.env.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const url = await startIntake({ client: new Client({ connection: ctx.env.connection, namespace }) });

    // The frontend learns of a new namespace within a few seconds.
    let answer = await deliver(url, 9701);
    await waitUntil(
      async () => (answer = await deliver(url, 9701)).data.problem !== 'namespace-not-found',
      30_000,
      500,
    );
    expect(answer.status).toBe(500);
    expect(answer.data).toMatchObject({ error: 'intake-misconfigured', problem: 'invalid-request' });
    expect(answer.data.message).toMatch(/search attribute/);
    expect((await readiness(url)).data).toMatchObject({
      status: 'misconfigured',
      problem: 'invalid-request',
    });

    await ensureSearchAttributes(ctx.env.connection, namespace);
    // The frontend's search-attribute cache takes a few seconds too.
    let accepted = answer;
    await waitUntil(async () => (accepted = await deliver(url, 9701)).status === 202, 30_000, 500);
    expect(accepted.data).toMatchObject({ status: 'accepted', ticketId: 9701 });
    const ready = await readiness(url);
    expect(ready.status).toBe(200);
    expect(ready.data).toMatchObject({ status: 'ready' });
  });
});

describe('/readyz, unauthenticated and reachable by anyone', () => {
  it('asks Temporal at most once per window, however many requests come, and again after it', async () => {
    // A client of its own, so only this intake's calls are counted; the window's clock is the test's.
    const client = new Client({ connection: ctx.env.connection, namespace: ctx.env.namespace });
    const asked = jest.spyOn(client.workflowService, 'getSystemInfo');
    let clock = 0;
    const url = await startIntake({ client, now: () => clock });

    const burst = await Promise.all(Array.from({ length: 25 }, () => readiness(url)));
    for (let i = 0; i < 25; i += 1) burst.push(await readiness(url));
    expect(burst.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(burst.every((r) => r.data.status === 'ready')).toBe(true);
    expect(asked).toHaveBeenCalledTimes(1);

    clock += READINESS_KEPT_MS - 1;
    await readiness(url);
    expect(asked).toHaveBeenCalledTimes(1);
    clock += 1;
    expect((await readiness(url)).data).toMatchObject({ status: 'ready', temporal: 'reachable' });
    expect(asked).toHaveBeenCalledTimes(2);
  });
});
