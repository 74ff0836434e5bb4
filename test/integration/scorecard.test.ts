import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { parseScorecardArguments } from '../../src/tools/cli/scorecard';
import { loadConfig } from '../../src/config';
import { gorgiasClientFrom } from '../../src/gorgias/from-config';
import { monthTruth, type AcknowledgementEffect, type SeededTicket } from '../../src/tools/sandbox/month';
import { CallMeter } from '../../src/tools/scorecard/call-use';
import { runScorecard, type ScorecardResult } from '../../src/tools/scorecard/run';
import { launchChromium, openOfflineReport, saveScreenshot } from '../support/chromium';
import { useTestStack } from '../support/stack';

/**
 * `npm run scorecard` end to end, on the sandbox's month with a known truth: the real service (on the run's dev
 * server) acknowledges or holds out (half) each ticket as it arrives, the sandbox then plays the month out with
 * an effect of the acknowledgement in one store and none in the other, and the scorecard reads Gorgias within
 * its share of the sandbox's rate limit and joins Temporal's record of every decision. It must find the effect
 * where there is one, none where there is none, show the same figures in its HTML (opened in Chromium) as in its
 * CSVs, and stay inside its call budget. The statistics seed after seed are test/unit/scorecard.test.ts.
 */

const SHOP = 'support@shop.example.com';
const LUNE = 'bonjour@maison-lune.example';
/** The sandbox's rate limit: Gorgias's 40-call bucket, drained in a quarter of a second (so the test is quick). */
const RATE_LIMIT = { capacity: 40, windowSeconds: 0.25 };
const SHARE = 0.25;
const EFFECT: AcknowledgementEffect = { followUpRate: -0.4, satisfaction: 1.2 };
/** Two fixed days (a Monday and a Tuesday): the same month, so the same realization, on every run. */
const SINCE = new Date('2026-11-23T00:00:00Z');
const UNTIL = new Date('2026-11-25T00:00:00Z');

const ctx = useTestStack({
  sandbox: {
    rateLimit: RATE_LIMIT,
    // Fixed ids: which ticket falls in which arm is then the same on every run.
    firstTicketId: 7_300_001,
    emailIntegrations: [
      { address: SHOP, name: 'Shop Support' },
      { address: LUNE, name: 'Maison Lune' },
    ],
  },
  env: {
    GORGIAS_RATE_LIMIT_BURST: '40',
    GORGIAS_RATE_LIMIT_WINDOW_SECONDS: String(RATE_LIMIT.windowSeconds),
  },
  policy: {
    experiment: { holdout_percent: 50 },
    // The month's tickets arrived days before the service sees them: none is too old to acknowledge.
    timing: { stale_after_minutes: Math.ceil((Date.now() - SINCE.getTime()) / 60_000) + 24 * 60 },
    // Each customer writes once: the per-customer cooldown has nothing to look up. The month's customers share
    // one mail domain (example.org): its per-domain limit would leave most tickets out of both arms.
    loop_guard: { cooldown_minutes: 0, per_domain: { max: 0 } },
    // The sandbox's two email integrations, in order.
    stores: { '6601': { name: 'Shop' }, '6602': { name: 'Maison Lune' } },
  },
});

let seeded: SeededTicket[];
let dir: string;
let result: ScorecardResult;

const scorecard = (overrides: Partial<Parameters<typeof runScorecard>[0]> = {}) => {
  const config = loadConfig(
    {
      GORGIAS_BASE_URL: ctx.stack.sandbox.url,
      GORGIAS_USERNAME: ctx.stack.config.gorgias.GORGIAS_USERNAME,
      GORGIAS_API_KEY: ctx.stack.config.gorgias.GORGIAS_API_KEY,
      GORGIAS_RATE_LIMIT_BURST: String(RATE_LIMIT.capacity),
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: String(RATE_LIMIT.windowSeconds),
    },
    ['gorgias'],
  );
  const meter = new CallMeter({ share: SHARE, ...RATE_LIMIT });
  return {
    meter,
    run: runScorecard({
      gorgias: gorgiasClientFrom(config, meter.onCall, { share: SHARE, maxWaitMs: 60_000 }),
      calls: meter,
      temporal: ctx.env.client,
      since: SINCE,
      until: UNTIL,
      cacheFile: join(dir, 'cache.jsonl'),
      htmlFile: join(dir, 'scorecard.html'),
      csvFile: join(dir, 'scorecard.csv'),
      figuresCsvFile: join(dir, 'scorecard-figures.csv'),
      account: 'sandbox',
      progress: null,
      ...overrides,
    }),
  };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scorecard-'));
  const sandbox = ctx.stack.sandbox;
  seeded = sandbox.seedMonth({
    since: SINCE.toISOString().slice(0, 10),
    days: 2,
    perDay: 45,
    seed: 5,
    stores: [
      { address: SHOP, language: 'en' },
      { address: LUNE, language: 'fr' },
    ],
    playOut: 'later',
  });
  // Gorgias calls the webhook for each new ticket; the service decides it.
  for (let i = 0; i < seeded.length; i += 40) {
    const batch = seeded.slice(i, i + 40);
    await Promise.all(
      batch.map((t) => ctx.stack.deliver({ ticket_id: t.ticketId }, { event: 'ticket-created' })),
    );
  }
  await Promise.all(seeded.map((t) => ctx.stack.result(t.ticketId).catch(() => null)));
  sandbox.playOutMonth({ seed: 5, effects: { [SHOP]: EFFECT } });
  result = await scorecard().run;
}, 180_000);

const groupOf = (store: string | null) =>
  result.summary.groups.find((g) => g.store === store && g.channel === null)!;
const figure = (store: string | null, metric: string) =>
  groupOf(store).comparisons.find((c) => c.metric === metric)!;

/** A CSV file's rows as objects (cells with a comma, a quote or a line break are quoted, quotes doubled). */
function readCsv(file: string): Record<string, string>[] {
  const cells = /("(?:[^"]|"")*"|[^,\n]*)(,|\n)/g;
  const rows: string[][] = [[]];
  for (const [, cell = '', end] of readFileSync(file, 'utf8').matchAll(cells)) {
    rows[rows.length - 1]!.push(cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell);
    if (end === '\n') rows.push([]);
  }
  const [header = [], ...lines] = rows.filter((row) => row.length > 0);
  return lines.map((line) => Object.fromEntries(header.map((h, i) => [h, line[i] ?? ''])));
}

describe('the scorecard of the sandbox month', () => {
  it("joins every ticket with Temporal's record of its decision: half of those acknowledged were held out", async () => {
    expect(result.summary.tickets).toBe(seeded.length);
    expect(result.summary.recorded).toBe(seeded.length);
    const all = groupOf(null);
    const { count } = await ctx.env.client.workflow.count('AutoReplyArm = "holdout"');
    expect(all.heldOut).toBe(count);
    expect(all.heldOut).toBeGreaterThan(20);
    expect(all.acknowledged).toBeGreaterThan(20);
    // Held out means nothing written: no auto-reply on any of them.
    const heldOut = result.tickets.filter((t) => t.arm === 'holdout');
    for (const t of heldOut) expect(ctx.stack.posted(t.ticketId)).toEqual({ replies: [], notes: [] });
    expect(Object.keys(result.summary.notInExperiment).sort()).toEqual(
      expect.arrayContaining(['skipped: rule-replied-first', 'skipped: spam']),
    );
  });

  it('finds the effect where the sandbox put one, within its interval, and none where it put none', () => {
    // The follow-up rate is the primary figure (docs/scorecard.md): the one an acknowledgement should move.
    const truth = monthTruth(EFFECT);
    const trueDifference = truth.acknowledged.followUpRate - truth.holdout.followUpRate;
    const withEffect = figure('Shop', 'follow-ups');
    expect(withEffect.conclusion).toBe('real');
    expect(withEffect.difference!.low).toBeLessThanOrEqual(trueDifference);
    expect(withEffect.difference!.high).toBeGreaterThanOrEqual(trueDifference);
    expect(withEffect.sentence).toMatch(
      /^A real difference at this sample size: −\d+ points with the acknowledgement/,
    );
    const without = figure('Maison Lune', 'follow-ups');
    expect(without.conclusion).toBe('cannot-tell');
    expect(without.difference!.low).toBeLessThanOrEqual(0);
    expect(without.difference!.high).toBeGreaterThanOrEqual(0);
    expect(without.sentence).toMatch(/^Not enough tickets to tell a difference/);
  });

  it('reads Gorgias within the share of the rate limit it was given, and says so', () => {
    const use = result.run.calls;
    // Listing pages, one read per ticket, survey pages.
    expect(use.calls).toBeGreaterThanOrEqual(seeded.length);
    expect(use.rateLimited).toBe(0);
    expect(use.calls).toBeLessThanOrEqual(use.allowed);
    expect(result.text).toContain(`${use.calls} Gorgias calls in`);
    expect(result.text).toContain(
      "25 % of the account's 40 calls per 0.25 s (10 at once, then 40.00 a second",
    );
  });

  it('resumes from its cache: a second run reads again only the tickets still open', async () => {
    const open = result.tickets.filter((t) => t.resolutionSeconds === null).length;
    const again = scorecard({ htmlFile: null, csvFile: null, figuresCsvFile: null });
    const second = await again.run;
    expect(second.summary).toEqual(result.summary);
    const reads = again.meter.use().byRoute['GET /tickets/:id'] ?? 0;
    expect(reads).toBe(open);
    expect(reads).toBeLessThan(seeded.length);
  });

  it('reads its command line', () => {
    const args = parseScorecardArguments(
      ['--since', '2026-10-01', '--until', '2026-11-01', '--share', '0.1', '--out', 'r/scorecard.html'],
      new Date('2026-11-26T00:00:00Z'),
    );
    expect(args).toMatchObject({
      share: 0.1,
      out: 'r/scorecard.html',
      csv: 'r/scorecard.csv',
      figures: 'r/scorecard-figures.csv',
      cache: '.data/scorecard/2026-10-01.jsonl',
    });
    expect(parseScorecardArguments(['--since', '2026-10-01'], new Date()).share).toBe(0.2);
    expect(() => parseScorecardArguments(['--since', '2026-10-01', '--share', '2'], new Date())).toThrow(
      /--share/,
    );
  });
});

describe('the HTML report', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('opens offline in Chromium with its charts drawn, showing the figures of its CSVs', async () => {
    const html = readFileSync(join(dir, 'scorecard.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // self-contained
    const { page, requests, painted: drawn } = await openOfflineReport(browser, join(dir, 'scorecard.html'));
    try {
      expect(drawn).toHaveLength(3);
      for (const painted of drawn) expect(painted).toBeGreaterThan(1000);
      expect(requests).toEqual([]);

      // Every figure of the figures CSV, as the page shows it.
      const shown = await page.evaluate<
        Record<string, string>[]
      >(`[...document.querySelectorAll('table.figures tbody tr')].map((row) => ({
        group: row.closest('table').dataset.group,
        metric: row.dataset.metric,
        conclusion: row.dataset.conclusion,
        holdout: row.querySelector('.holdout').textContent,
        acknowledged: row.querySelector('.acknowledged').textContent,
        sentence: row.querySelector('.sentence').textContent,
      }))`);
      const figures = readCsv(join(dir, 'scorecard-figures.csv'));
      expect(shown).toHaveLength(figures.length);
      expect(figures.length).toBe(result.summary.groups.length * 5);
      for (const row of figures) {
        const cell = shown.find((s) => s.group === row.group && s.metric === row.metric);
        expect(cell).toMatchObject({ conclusion: row.conclusion, sentence: row.sentence });
        const n = (text: string | undefined) => /\(n=(\d+)\)/.exec(text ?? '')?.[1] ?? '0';
        expect([n(cell?.holdout), n(cell?.acknowledged)]).toEqual([row.holdout_n, row.acknowledged_n]);
      }

      // The figures CSV counts what the per-ticket CSV holds.
      const tickets = readCsv(join(dir, 'scorecard.csv'));
      expect(tickets).toHaveLength(seeded.length);
      const followUps = figures.find((f) => f.group === 'Shop' && f.metric === 'follow-ups')!;
      const shop = (arm: string) => tickets.filter((t) => t.store === 'Shop' && t.arm === arm);
      const rate = (rows: Record<string, string>[]) =>
        rows.filter((t) => Number(t.follow_ups_before_answer) > 0).length / rows.length;
      expect(Number(followUps.holdout_n)).toBe(shop('holdout').length);
      expect(Number(followUps.holdout_value)).toBeCloseTo(rate(shop('holdout')), 5);
      expect(Number(followUps.acknowledged_value)).toBeCloseTo(rate(shop('acknowledged')), 5);

      await saveScreenshot(page, 'scorecard-report');
    } finally {
      await page.close();
    }
  }, 60_000);
});
