import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pino from 'pino';
import { createIntakeApp, WEBHOOK_PATH, type IntakeDependencies } from '../../src/server/app';
import { classifyStartFailure } from '../../src/server/start-failures';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { workflowIdForTicket } from '../../src/workflows/definitions';
import { TEST_SECRET, useTestStack } from '../support/stack';
import { SIGNAL_LIMIT } from '../support/temporal-server';
import { waitUntil } from '../support/waiting';

// No worker: the ticket's workflow stays running, taking signals until the limit. The run's server takes
// SIGNAL_LIMIT signals per workflow (`history.maximumSignalsPerExecution`, see the global setup); past it,
// server 1.29 answers signal-with-start with INVALID_ARGUMENT "exceeded workflow execution limit for signal
// events".
const ctx = useTestStack({ worker: false });
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
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
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

/** An error as @grpc/grpc-js raises it, wrapped the way the Temporal client wraps it. */
function clientError(code: number, details: string): Error {
  const grpc = Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
  return new Error('Failed to signalWithStart Workflow', { cause: grpc });
}

describe('classifying signal-with-start failures (the codes no dev server can be made to answer)', () => {
  it.each([
    [3, 'exceeded workflow execution limit for signal events', 'execution-limit'],
    [8, 'exceeded workflow execution limit for signal events', 'execution-limit'], // servers before 1.2x
    [3, 'Workflow history size exceeds limit.', 'execution-limit'],
    [3, 'Workflow history count exceeds limit.', 'execution-limit'],
    [8, 'namespace rate limit exceeded', 'unavailable'],
    [14, 'connection refused', 'unavailable'],
    [4, 'Deadline exceeded', 'unavailable'],
    [1, 'Cancelled on client', 'unavailable'],
    [3, 'Namespace x has no mapping defined for search attribute GorgiasTicketId', 'misconfigured'],
    [7, 'Request unauthorized.', 'misconfigured'],
    [16, 'Request unauthenticated.', 'misconfigured'],
  ])('gRPC %i "%s" is %s', (code, details, kind) => {
    expect(classifyStartFailure(clientError(code, details)).kind).toBe(kind);
  });

  it('treats an error without a gRPC status (a dropped connection) as unavailable', () => {
    expect(classifyStartFailure(new Error('socket hang up')).kind).toBe('unavailable');
  });
});
