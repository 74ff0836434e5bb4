import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { policyReport } from '../../src/tools/cli/policy-check';
import { sampleTicket } from '../../src/tools/sandbox/sample-ticket';
import { GorgiasClient } from '../../src/gorgias/client';
import {
  DEFAULT_POLICY_FILE,
  loadPolicy,
  parsePolicy,
  policyFromConfig,
  PolicyError,
} from '../../src/policy/load';
import { previewTicket } from '../../src/tools/cli/policy-preview';
import { startSandbox, type RunningSandbox } from '../../src/tools/sandbox';
import { policyWith } from '../../harness/policy';
import { problemsThrown } from '../support/problems';

const dir = mkdtempSync(join(tmpdir(), 'policy-'));
function policyFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
const problemsOf = (file: string) => problemsThrown(() => loadPolicy(file), PolicyError);

describe('the policy file', () => {
  it('ships a safe default: loop guard on, dry run off, cooldown 5 minutes', () => {
    const policy = loadPolicy(DEFAULT_POLICY_FILE);
    expect(policy.loop_guard.enabled).toBe(true);
    expect(policy.dry_run).toBe(false);
    expect(policy.loop_guard.cooldown_minutes).toBe(5);
    expect(Object.keys(policy.channels).sort()).toEqual(['contact_form', 'email']);
  });

  it('ships a per-domain limit that leaves the big mail providers alone, the same list as the schema default', () => {
    const shipped = loadPolicy(DEFAULT_POLICY_FILE).loop_guard.per_domain;
    expect(shipped).toMatchObject({ max: 10, within_minutes: 60 });
    expect(shipped.mail_providers).toEqual(
      expect.arrayContaining(['gmail.com', 'outlook.com', 'icloud.com']),
    );
    expect(shipped).toEqual(parsePolicy({ templates: policyWith().templates }).loop_guard.per_domain);
    expect(policyReport(loadPolicy(DEFAULT_POLICY_FILE), 'policy/default.yaml', new Date())).toContain(
      `Per domain:     at most 10 auto-replies per mail domain in 60 min (${shipped.mail_providers.length} mail providers exempt)`,
    );
  });

  it('names every bad key', () => {
    const problems = problemsOf(
      policyFile(
        'bad.yaml',
        [
          'dry_runn: true',
          'channels: { email: { template: missing } }',
          'templates: { acknowledgement: { subject: "Re", body: "Hi" } }',
          'loop_guard: { cooldown_minutes: -1 }',
          'business_hours: { timezone: Mars/Olympus, weekly: { monday: ["9-5"] } }',
        ].join('\n'),
      ),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/dry_runn/);
    expect(text).toMatch(/^channels\.email\.template: names template "missing"/m);
    expect(text).toMatch(/^loop_guard\.cooldown_minutes:/m);
    expect(text).toMatch(/^business_hours\.timezone: must be an IANA timezone/m);
    expect(text).toMatch(/^business_hours\.weekly\.monday\.0: must be a range like "09:00-17:30"/m);
  });

  it('says when the file is missing or not YAML', () => {
    expect(problemsOf(join(dir, 'nope.yaml'))).toEqual(['cannot read the file (ENOENT)']);
    expect(problemsOf(policyFile('broken.yaml', 'channels: [unclosed'))[0]).toMatch(/^not valid YAML/);
  });

  it('DRY_RUN forces a dry run on every channel, whatever the file says', () => {
    const file = policyFile(
      'live.yaml',
      'dry_run: false\nchannels: { email: { template: t, dry_run: false } }\ntemplates: { t: { subject: S, body: B } }',
    );
    expect(policyFromConfig({ POLICY_FILE: file, DRY_RUN: false }).channels.email?.dry_run).toBe(false);
    const forced = policyFromConfig({ POLICY_FILE: file, DRY_RUN: true });
    expect(forced.dry_run).toBe(true);
    expect(forced.channels.email?.dry_run).toBe(true);
  });

  it('reads JSON as well', () => {
    const file = policyFile(
      'p.json',
      JSON.stringify({ dry_run: true, templates: { acknowledgement: { subject: 'S', body: 'B' } } }),
    );
    expect(loadPolicy(file).dry_run).toBe(true);
  });

  it('policy:check shows what the policy would do for sample tickets', () => {
    const report = policyReport(
      loadPolicy(DEFAULT_POLICY_FILE),
      'policy/default.yaml',
      new Date('2026-11-26T10:00:00Z'),
    );
    expect(report).toContain('Policy policy/default.yaml is valid.');
    expect(report).toMatch(
      /new email from a customer\s+reply with template acknowledgement: "Re: Where is my order #1042\?"/,
    );
    expect(report).toMatch(/contact form, in French\s+reply with template acknowledgement\/fr/);
    expect(report).toMatch(/from noreply@shop-notifications.com\s+skip \(no-reply-sender\); nothing written/);
    expect(report).toMatch(
      /created 2 hours ago \(webhook lost\)\s+skip \(stale, older than 30 min\); nothing written/,
    );
  });
});

describe('preview', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ username: 'u@x.com', apiKey: 'k', rateLimit: false });
  });
  afterAll(() => sandbox.close());

  it('renders the reply and note a ticket would get, sending nothing', async () => {
    const gorgias = new GorgiasClient({
      baseUrl: sandbox.url,
      username: 'u@x.com',
      apiKey: 'k',
      timeoutMs: 5000,
    });
    const ticket = await gorgias.createTicket(sampleTicket({ customerName: '<b>Ada</b> Byron' }));
    const before = sandbox.messagesOf(ticket.id).length; // the customer's message and a Rule's note
    const preview = await previewTicket(gorgias, ticket.id, loadPolicy(), new Date(), 'http://ui/trace');
    expect(preview.decision).toEqual({ reply: true });
    expect(preview.reply?.bodyText).toContain('Hi <b>Ada</b>,');
    expect(preview.reply?.bodyHtml).toContain('Hi &lt;b&gt;Ada&lt;/b&gt;,');
    expect(preview.reply?.bodyHtml).not.toContain('<b>');
    expect(preview.note).toContain('Trace: http://ui/trace');
    expect(sandbox.messagesOf(ticket.id)).toHaveLength(before);
  });
});

/** The problems parsePolicy reports for a policy with these keys (and a template). */
const problemsOfPolicy = (policy: Record<string, unknown>) =>
  problemsThrown(
    () => parsePolicy({ templates: { acknowledgement: { subject: 'Re', body: 'Hi' } }, ...policy }),
    PolicyError,
  );

describe('checks across keys of the policy', () => {
  it('a delay at or past the staleness limit is refused, naming both keys', () => {
    const [problem, ...others] = problemsOfPolicy({
      timing: { delay_seconds: 1800, stale_after_minutes: 30 },
    });
    expect(others).toEqual([]);
    expect(problem).toMatch(/^timing\.delay_seconds: /);
    expect(problem).toContain('timing.stale_after_minutes (30 min)');
    expect(problem).toContain(
      'lower delay_seconds to at most 1500 or raise stale_after_minutes to at least 35',
    );
    expect(problemsOfPolicy({ timing: { delay_seconds: 3600 } })[0]).toContain(
      'raise stale_after_minutes to at least 65',
    );
  });

  it('a delay must leave at least 5 minutes to send before the staleness limit', () => {
    expect(problemsOfPolicy({ timing: { delay_seconds: 1500, stale_after_minutes: 30 } })).toEqual([]);
    expect(problemsOfPolicy({ timing: { delay_seconds: 1501, stale_after_minutes: 30 } })[0]).toMatch(
      /^timing\.delay_seconds: 1501 s leaves only 299 s to send before timing\.stale_after_minutes/,
    );
    expect(problemsOfPolicy({ timing: { delay_seconds: 600, stale_after_minutes: 4 } })[0]).toContain(
      'raise stale_after_minutes to at least 15 (or use no delay)',
    );
    // Without a delay any staleness limit works: the reply goes out at once.
    expect(problemsOfPolicy({ timing: { delay_seconds: 0, stale_after_minutes: 1 } })).toEqual([]);
  });

  it('business hours accept ranges over midnight and to 24:00, and refuse empty ones', () => {
    const weekly = {
      friday: ['22:00-02:00', '09:00-17:00'],
      saturday: ['00:00-24:00'],
      sunday: ['18:00-00:00'],
    };
    expect(problemsOfPolicy({ business_hours: { timezone: 'Europe/Paris', weekly } })).toEqual([]);
    expect(
      problemsOfPolicy({
        business_hours: { timezone: 'Europe/Paris', weekly: { monday: ['09:00-12:00', '10:00-10:00'] } },
      }),
    ).toEqual([
      'business_hours.weekly.monday.1: is empty: "10:00-10:00" opens and closes at the same time (a whole day is "00:00-24:00")',
    ]);
    expect(
      problemsOfPolicy({
        business_hours: { timezone: 'Europe/Paris', weekly: { monday: ['24:00-02:00'] } },
      })[0],
    ).toMatch(/^business_hours\.weekly\.monday\.0: must be a range like "09:00-17:30"/);
  });

  it('the shipped default policy passes its own checks', () => {
    expect(() => policyWith()).not.toThrow();
  });
});
