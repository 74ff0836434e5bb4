import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import axios from 'axios';
import { Metadata, status as grpcStatus, type StatusObject } from '@grpc/grpc-js';
import { Client } from '@temporalio/client';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { lazyClientConnection, retryWithinDeadline } from '../../src/temporal/connection';
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

  it('answers 503 with Retry-After once Temporal does not answer, so Gorgias retries later', async () => {
    const answer = await axios.post(
      `${url}/webhooks/gorgias`,
      { ticket_id: 1 },
      { headers: auth, validateStatus: () => true },
    );
    expect(answer.status).toBe(503);
    expect(answer.data.error).toBe('temporal-unavailable');
    expect(answer.data.message).toBe('The delivery was not recorded; retry later');
    expect(answer.headers['retry-after']).toBe('5');
  });

  it('is alive but not ready, and says Temporal is unreachable rather than misconfigured', async () => {
    expect((await axios.get(`${url}/healthz`)).status).toBe(200);
    const ready = await axios.get(`${url}/readyz`, { validateStatus: () => true });
    expect(ready.status).toBe(503);
    expect(ready.data).toMatchObject({ status: 'unavailable', temporal: 'unreachable' });
  });
});

describe("the intake's Temporal calls, retried within their deadline", () => {
  /**
   * One gRPC attempt to a Temporal that refuses connections, on Jest's clock: UNAVAILABLE a millisecond after it
   * starts, or DEADLINE_EXCEEDED at once when it starts after the call's deadline (as grpc-js does).
   */
  const refusingAttempt = (deadline: number, attempts: number[]) => () => ({
    start(
      _metadata: Metadata,
      listener: { onReceiveMessage(m: unknown): void; onReceiveStatus(s: StatusObject): void },
    ) {
      attempts.push(Date.now());
      const [code, details] =
        Date.now() >= deadline
          ? [grpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded']
          : [grpcStatus.UNAVAILABLE, 'No connection established'];
      setTimeout(
        () => {
          listener.onReceiveMessage(undefined);
          listener.onReceiveStatus({ code, details, metadata: new Metadata() });
        },
        Date.now() >= deadline ? 0 : 1,
      );
    },
    sendMessage() {},
    sendMessageWithContext() {},
    halfClose() {},
    startRead() {},
    cancelWithStatus() {},
    getPeer: () => '127.0.0.1:1',
  });

  it("fails with the last attempt's error before the deadline, never sleeping a backoff past it", async () => {
    // The SDK's own interceptor sleeps its backoff past the deadline (its call ends about 3 s in, here): the
    // intake's 503 would come seconds after WEBHOOK_TEMPORAL_TIMEOUT_MS. Fake timers: no wall clock involved.
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      for (let run = 0; run < 20; run += 1) {
        const deadline = Date.now() + TEMPORAL_TIMEOUT_MS;
        const attempts: number[] = [];
        let ended: { code: number; at: number } | undefined;
        const call = retryWithinDeadline()(
          { deadline } as never,
          refusingAttempt(deadline, attempts) as never,
        );
        call.start(new Metadata(), {
          onReceiveMessage() {},
          onReceiveStatus: (status: StatusObject) => (ended = { code: status.code, at: Date.now() }),
        } as never);
        call.sendMessage({});
        call.halfClose();
        await jest.advanceTimersByTimeAsync(30_000);

        expect(attempts.length).toBeGreaterThan(1); // retried while there was time
        expect(attempts.every((at) => at < deadline)).toBe(true);
        expect(ended).toEqual({ code: grpcStatus.UNAVAILABLE, at: expect.any(Number) });
        // At the latest at the deadline: an attempt started just before it fails a millisecond later, on it.
        expect(ended!.at).toBeLessThanOrEqual(deadline);
      }
    } finally {
      jest.useRealTimers();
    }
  });
});
