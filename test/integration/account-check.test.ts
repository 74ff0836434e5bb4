import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import pino from 'pino';
import { SAMPLE_RULES } from '../../src/tools/sandbox';
import { createIntakeApp, type IntakeDependencies } from '../../src/server/app';
import { ACCOUNT_KEPT_MS, accountCheckFrom } from '../../src/server/from-config';
import { listenApp } from '../../src/server/http-server';
import { CATCH_UP_SCHEDULE_ID } from '../../src/temporal/catch-up-schedule';
import { launchWorker } from '../../src/worker';
import { TEST_SECRET, useTestStack } from '../support/stack';

/**
 * The Gorgias account check where operators see it: the webhook server's /readyz (cached, and without the
 * account configured), and the worker, which refuses to start on an account that is not the configuration's.
 */

const ctx = useTestStack({ worker: false });
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

async function intake(account: IntakeDependencies['account']): Promise<string> {
  const app = createIntakeApp({
    client: ctx.env.client,
    taskQueue: ctx.stack.config.temporal.TEMPORAL_TASK_QUEUE,
    webhookSecret: TEST_SECRET,
    temporalTimeoutMs: 3000,
    temporalUiUrl: 'http://localhost:8233',
    logger: silent,
    account,
  });
  const server = await listenApp(app, 0, '127.0.0.1');
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const readiness = (url: string) => axios.get(`${url}/readyz`, { validateStatus: () => true });
const withKey = (apiKey: string) => ({
  ...ctx.stack.config,
  gorgias: { ...ctx.stack.config.gorgias, GORGIAS_API_KEY: apiKey },
});

describe('/readyz and the Gorgias account', () => {
  it('without the account configured: ready, and says the account is not checked', async () => {
    const answer = await readiness(await intake(undefined));
    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({ status: 'ready', account: { status: 'not-checked' } });
  });

  it('with an account whose Rule auto-replies on email: ready, with the warning, and not the account’s domain', async () => {
    ctx.stack.sandbox.setRules([SAMPLE_RULES.triageNote, SAMPLE_RULES.autoresponder]);
    const answer = await readiness(
      await intake(accountCheckFrom(ctx.stack.config, ['contact_form', 'email'])),
    );
    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({
      status: 'ready',
      account: {
        status: 'ok',
        warnings: [
          { kind: 'auto-reply-rule', message: expect.stringContaining('"Auto-reply to new emails"') },
        ],
      },
    });
    expect(JSON.stringify(answer.data)).not.toContain('shop-example');
  });

  it('with a revoked key: 503 misconfigured, naming the variables, never the key', async () => {
    const answer = await readiness(await intake(accountCheckFrom(withKey('revoked-key-0123'), ['email'])));
    expect(answer.status).toBe(503);
    expect(answer.data).toMatchObject({
      status: 'misconfigured',
      problem: 'gorgias-account',
      message: expect.stringMatching(/401.*GORGIAS_API_KEY/),
      temporal: 'reachable',
    });
    expect(JSON.stringify(answer.data)).not.toContain('revoked-key-0123');
  });

  it('asks Gorgias once per window, however many requests come', async () => {
    let clock = 0;
    const url = await intake(accountCheckFrom(ctx.stack.config, ['email'], () => clock));
    const accountCalls = () => ctx.stack.sandbox.stats().requests;
    const before = accountCalls();
    await Promise.all(Array.from({ length: 20 }, () => readiness(url)));
    for (let i = 0; i < 10; i += 1) await readiness(url);
    // One account check: the account, then the Rules (no channel but email: no integrations read).
    expect(accountCalls() - before).toBe(2);
    clock += ACCOUNT_KEPT_MS.ok;
    await readiness(url);
    expect(accountCalls() - before).toBe(4);
  });
});

describe('the worker at start', () => {
  it('refuses to start on a revoked key, saying why, before it writes anything to Temporal', async () => {
    await expect(
      launchWorker({
        clientConnection: ctx.env.connection,
        config: withKey('revoked-key-4567'),
        policy: ctx.stack.policy,
        logger: silent,
      }),
    ).rejects.toThrow(/^Gorgias account misconfigured: Gorgias refused the credentials \(401\)/);
    // prepareNamespace, which creates the catch-up Schedule, did not run.
    await expect(ctx.env.client.schedule.getHandle(CATCH_UP_SCHEDULE_ID).describe()).rejects.toThrow();
  });
});
