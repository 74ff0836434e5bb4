import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  answeredChannels,
  autoReplyOf,
  bannerLines,
  checkAccount,
  type AccountCheckInput,
} from '../../src/gorgias/account-check';
import pino from 'pino';
import { GorgiasClient } from '../../src/gorgias/client';
import { GorgiasRequestError } from '../../src/gorgias/failures';
import type { Rule } from '../../src/gorgias/schemas';
import { SAMPLE_RULES, startSandbox, type RunningSandbox } from '../../src/tools/sandbox';
import { accountAtStart } from '../../src/worker/account-at-start';
import { policyWith } from '../../harness/policy';

/**
 * The start-up check of the Gorgias account (src/gorgias/account-check.ts) against the sandbox, which answers as Gorgias
 * does (Basic auth, the rate limit, the shapes): the account and its user, the Rules that reply where we do, and
 * the channels with no address to reply from.
 */

const USERNAME = 'autoreply@shop.example.com';
const API_KEY = 'account-check-api-key-123';
const CHANNELS = ['contact_form', 'email'];

const sandboxes: RunningSandbox[] = [];
async function sandbox(options: Parameters<typeof startSandbox>[0] | object = {}): Promise<RunningSandbox> {
  const started = await startSandbox({ username: USERNAME, apiKey: API_KEY, port: 0, ...options });
  sandboxes.push(started);
  return started;
}
afterAll(async () => {
  for (const s of sandboxes) await s.close();
});

function client(baseUrl: string, apiKey = API_KEY): GorgiasClient {
  return new GorgiasClient({ baseUrl, username: USERNAME, apiKey, timeoutMs: 2000 });
}

const check = (gorgias: AccountCheckInput['gorgias'], overrides: Partial<AccountCheckInput> = {}) =>
  checkAccount({ gorgias, channels: CHANNELS, replyFrom: null, ...overrides });

const rule = (fields: Partial<Rule>): Rule => ({
  id: 1,
  name: 'r',
  code: null,
  deactivated_datetime: null,
  ...fields,
});

describe('the account and its user', () => {
  it('a sandbox account as Gorgias answers it: ok, its domain, no warning', async () => {
    const s = await sandbox();
    expect(await check(client(s.url))).toEqual({
      status: 'ok',
      reason: null,
      domain: 'shop-example',
      warnings: [],
    });
  });

  it('a revoked key or removed user (401): misconfigured, naming the variables, never the key', async () => {
    const s = await sandbox();
    const result = await check(client(s.url, 'a-revoked-api-key'));
    expect(result).toMatchObject({ status: 'misconfigured', warnings: [] });
    expect(result.reason).toMatch(/401.*GORGIAS_USERNAME and GORGIAS_API_KEY/);
    expect(JSON.stringify(result)).not.toContain('a-revoked-api-key');
  });

  it('a URL where no account answers (404): misconfigured, naming GORGIAS_BASE_URL', async () => {
    const s = await sandbox();
    const result = await check(client(`${s.url}/not-an-account`));
    expect(result.status).toBe('misconfigured');
    expect(result.reason).toMatch(/GORGIAS_BASE_URL \(404\)/);
  });

  it('a URL that answers, but not as a Gorgias account: misconfigured', async () => {
    const page: Server = createServer((_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>Shop</html>'),
    );
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    try {
      const result = await check(client(`http://127.0.0.1:${(page.address() as AddressInfo).port}`));
      expect(result).toMatchObject({
        status: 'misconfigured',
        reason: expect.stringMatching(/not as a Gorgias account/),
      });
    } finally {
      await new Promise((resolve) => page.close(resolve));
    }
  });

  it('Gorgias failing (503) or away: unreachable, to be asked again, not misconfigured', async () => {
    const s = await sandbox({ faults: { errorRate: 1, errorStatuses: [503] } });
    expect((await check(client(s.url))).status).toBe('unreachable');
    expect((await check(client('http://127.0.0.1:1'))).status).toBe('unreachable');
  });
});

describe("the merchant's Rules", () => {
  it('warns of an active Rule that replies on a channel we answer; not of one switched off or on chat only', async () => {
    const s = await sandbox({
      rules: [
        SAMPLE_RULES.triageNote,
        SAMPLE_RULES.autoresponder,
        SAMPLE_RULES.autoresponderSwitchedOff,
        SAMPLE_RULES.chatGreeting,
      ],
    });
    const result = await check(client(s.url));
    expect(result.status).toBe('ok');
    expect(result.warnings).toEqual([
      {
        kind: 'auto-reply-rule',
        message: expect.stringMatching(
          /^Rule "Auto-reply to new emails" sends an automatic reply \(replyToTicket\) on email, /,
        ),
      },
    ]);
    expect(result.warnings[0]?.message).toMatch(/delay_seconds/);
    // The same Rule on a channel the policy does not answer is no overlap.
    expect((await check(client(s.url), { channels: ['contact_form'] })).warnings).toEqual([]);
  });

  it('reads every page of Rules (100 a page, meta.next_cursor)', async () => {
    const many = Array.from({ length: 130 }, (_, i) => ({
      name: `Tagging ${i}`,
      code: "Action('addTags', {})",
    }));
    const s = await sandbox({ rules: [...many, SAMPLE_RULES.autoresponder] });
    expect(await client(s.url).listRules()).toHaveLength(131);
    expect((await check(client(s.url))).warnings.map((w) => w.kind)).toEqual(['auto-reply-rule']);
  });

  it('Rules that cannot be read are a warning, never a failure', async () => {
    const s = await sandbox();
    const gorgias = client(s.url);
    const result = await check({
      getAccount: () => gorgias.getAccount(),
      listRules: async () => {
        throw new Error('GET /rules failed: HTTP 403');
      },
      listIntegrations: (type) => gorgias.listIntegrations(type),
    });
    expect(result).toMatchObject({
      status: 'ok',
      warnings: [{ kind: 'rules-not-read', message: expect.stringContaining('HTTP 403') }],
    });
  });

  it.each<[string, Partial<Rule>, ReturnType<typeof autoReplyOf>]>([
    [
      'a reply on every channel',
      { code: "Action('replyToTicket', {})" },
      { action: 'replyToTicket', channels: 'any' },
    ],
    [
      'a reply on email only',
      { code: "if (eq(ticket.channel, 'email')) { Action('replyToTicket', {}) }" },
      { action: 'replyToTicket', channels: ['email'] },
    ],
    [
      'a macro on the message’s channels',
      {
        code: "if (containsAny(message.channel, ['chat', \"sms\"])) { Action('applyMacro', { macro_id: 3 }) }",
      },
      { action: 'applyMacro', channels: ['chat', 'sms'] },
    ],
    [
      'a reply everywhere but chat',
      { code: "if (neq(ticket.channel, 'chat')) { Action('sendEmail', {}) }" },
      { action: 'sendEmail', channels: 'any' },
    ],
    ['tags only', { code: "Action('setTags', { tags: 'vip' })" }, null],
    [
      'a reply, switched off',
      { code: "Action('replyToTicket', {})", deactivated_datetime: '2025-01-01T00:00:00.000Z' },
      null,
    ],
    ['no code', { code: null }, null],
  ])('reads %s', (_, fields, expected) => {
    expect(autoReplyOf(rule(fields))).toEqual(expected);
  });
});

describe('channels with no address to reply from', () => {
  it('warns per channel other than email when the account has no email integration and no GORGIAS_REPLY_FROM', async () => {
    const s = await sandbox({ emailIntegrations: [] });
    expect((await check(client(s.url))).warnings).toEqual([
      {
        kind: 'no-reply-address',
        message: expect.stringMatching(/^Channel "contact_form" is answered by the policy/),
      },
    ]);
    expect((await check(client(s.url), { replyFrom: 'support@shop.example.com' })).warnings).toEqual([]);
  });

  it('says nothing while an email integration is active', async () => {
    const s = await sandbox();
    expect((await check(client(s.url))).warnings).toEqual([]);
  });
});

describe('what the check reads of the policy, and how npm start shows it', () => {
  it('answers the top level’s channels and every store section’s', () => {
    const policy = policyWith({
      channels: { email: { template: 'acknowledgement' } },
      stores: { '6612': { channels: { chat: { template: 'acknowledgement' } } } },
    });
    expect(answeredChannels(policy)).toEqual(['chat', 'email']);
  });

  it('a banner line for the account, and one per warning', () => {
    expect(
      bannerLines({
        status: 'ok',
        reason: null,
        domain: 'acme',
        warnings: [{ kind: 'auto-reply-rule', message: 'Rule "x" …' }],
      }),
    ).toEqual(['  Gorgias account  checked (acme)', '  Warning          Rule "x" …']);
  });
});

describe('the check at worker start (src/worker/account-at-start.ts)', () => {
  const logger = pino({ level: 'silent' });
  /** A Gorgias that answers the account with `answers`, one per call, then keeps the last. */
  function scripted(answers: (Error | { domain: string })[]) {
    let calls = 0;
    const gorgias: AccountCheckInput['gorgias'] = {
      getAccount: async () => {
        const answer = answers[Math.min(calls++, answers.length - 1)];
        if (answer instanceof Error) throw answer;
        return answer as { domain: string };
      },
      listRules: async () => [],
      listIntegrations: async () => [],
    };
    return { gorgias, calls: () => calls };
  }
  const unavailable = new GorgiasRequestError('retryable', 'GET /account failed: HTTP 503', 503);
  const refused = new GorgiasRequestError('permanent', 'GET /account failed: HTTP 401', 401);

  it('asks again while Gorgias does not answer, and takes the answer once it comes', async () => {
    const gorgias = scripted([unavailable, unavailable, { domain: 'acme' }]);
    const result = await accountAtStart(
      { gorgias: gorgias.gorgias, channels: CHANNELS, replyFrom: null },
      logger,
      [0, 0, 0],
    );
    expect(result).toMatchObject({ status: 'ok', domain: 'acme' });
    expect(gorgias.calls()).toBe(3);
  });

  it('gives up asking after its last pause, still unreachable (the worker then starts all the same)', async () => {
    const gorgias = scripted([unavailable]);
    const result = await accountAtStart(
      { gorgias: gorgias.gorgias, channels: CHANNELS, replyFrom: null },
      logger,
      [0, 0],
    );
    expect(result.status).toBe('unreachable');
    expect(gorgias.calls()).toBe(3);
  });

  it('stops at once on an answer that says the configuration is wrong', async () => {
    const gorgias = scripted([refused, { domain: 'acme' }]);
    const result = await accountAtStart(
      { gorgias: gorgias.gorgias, channels: CHANNELS, replyFrom: null },
      logger,
      [0, 0],
    );
    expect(result.status).toBe('misconfigured');
    expect(gorgias.calls()).toBe(1);
  });
});
