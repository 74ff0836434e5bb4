import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import { Client } from '@temporalio/client';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { lazyClientConnection } from '../../src/temporal/connection';
import { createIntakeApp } from '../../src/server/app';
import { listenApp } from '../../src/server/http-server';
import { classifyStartFailure } from '../../src/server/start-failures';

/**
 * What the intake answers when Temporal does not take a delivery: each signal-with-start failure classified
 * (retry later, limit reached, misconfigured), and the intake with no Temporal at all. The failures a real dev
 * server can be made to give are test/integration/intake.test.ts.
 */

const SECRET = 'unit-webhook-secret-0123456789';
const auth = { Authorization: `Bearer ${SECRET}` };
const TEMPORAL_TIMEOUT_MS = 2000;

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

describe('webhook intake without Temporal', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // The intake's own connection, to a port where nothing listens: Temporal is unreachable.
    const connection = lazyClientConnection(
      loadConfig({ TEMPORAL_ADDRESS: '127.0.0.1:1' }, ['temporal']).temporal,
    );
    const app = createIntakeApp({
      client: new Client({ connection }),
      taskQueue: 'nowhere',
      webhookSecret: SECRET,
      temporalTimeoutMs: TEMPORAL_TIMEOUT_MS,
      temporalUiUrl: 'http://localhost:8233',
      logger: pino({ level: 'silent' }),
    });
    server = await listenApp(app, 0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers 503 once its Temporal timeout is spent, not after, so Gorgias retries later', async () => {
    const started = Date.now();
    const answer = await axios.post(
      `${url}/webhooks/gorgias`,
      { ticket_id: 1 },
      { headers: auth, validateStatus: () => true },
    );
    expect(answer.status).toBe(503);
    expect(answer.data.error).toBe('temporal-unavailable');
    expect(answer.headers['retry-after']).toBe('5');
    // The gRPC retries stop at the deadline: the SDK's own backoff would sleep past it (to about 3.2 s here).
    expect(Date.now() - started).toBeLessThan(TEMPORAL_TIMEOUT_MS + 400);
  });

  it('is alive but not ready, and says Temporal is unreachable rather than misconfigured', async () => {
    expect((await axios.get(`${url}/healthz`)).status).toBe(200);
    const ready = await axios.get(`${url}/readyz`, { validateStatus: () => true });
    expect(ready.status).toBe(503);
    expect(ready.data).toMatchObject({ status: 'unavailable', temporal: 'unreachable' });
  });
});
