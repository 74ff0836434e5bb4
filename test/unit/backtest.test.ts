import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { AUTO_REPLY_SECONDS } from '../../src/tools/backtest/evaluate';
import { ProgressBar } from '../../src/tools/reports/progress';
import { runBacktest, type BacktestResult } from '../../src/tools/backtest/run';
import type { BacktestGorgias } from '../../src/tools/backtest/source';
import { parseBacktestArguments } from '../../src/tools/cli/backtest';
import { loadConfig } from '../../src/config';
import { gorgiasClientFrom } from '../../src/gorgias/from-config';
import type { SeededTicket } from '../../src/tools/sandbox/month';
import { startSandbox, type RunningSandbox } from '../../src/tools/sandbox';
import { policyWith } from '../../harness/policy';

/**
 * The backtest end to end against the sandox holding a seeded month of tickets (three stores, four
 * languages, agents' and Rules' answers): its figures must match a count made here from what was seeded,
 * independently of the backtest's code; it reads only, within the rate limit, and resumes. The HTML report
 * is opened in Chromium (screenshot in test-artifacts/, and in docs/images/ with UPDATE_DOCS_SCREENSHOT=1).
 */

const ROOT = join(__dirname, '..', '..');
const SCREENSHOT = join(ROOT, 'test-artifacts', 'backtest-report.png');
const DOCS_SCREENSHOT = join(ROOT, 'docs', 'images', 'backtest-report.png');
const USERNAME = 'autoreply@shop.example.com';
const API_KEY = 'backtest-api-key';
const STORES = [
  { address: 'support@shop.example.com', name: 'Shop Support' },
  { address: 'bonjour@maison-lune.example', name: 'Maison Lune' },
  { address: 'hallo@bergwerk.example', name: 'Bergwerk' },
];
// Store sections: Maison Lune by integration id (the second email integration), Bergwerk by address.
const STORE_OF: Record<string, string> = {
  'support@shop.example.com': 'default',
  'bonjour@maison-lune.example': 'Maison Lune',
  'hallo@bergwerk.example': 'Bergwerk',
};
const PARIS_HOURS = {
  timezone: 'Europe/Paris',
  weekly: Object.fromEntries(
    ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((d) => [d, ['09:00-18:00']]),
  ),
};
const policy = policyWith({
  orders: { enabled: true },
  stores: {
    '6602': { name: 'Maison Lune', language: 'fr', business_hours: PARIS_HOURS },
    'hallo@bergwerk.example': { name: 'Bergwerk', language: 'de' },
  },
});
const SINCE = new Date('2026-10-01T00:00:00Z');
const UNTIL = new Date('2026-11-01T00:00:00Z');

let sandbox: RunningSandbox;
let seeded: SeededTicket[];
let gorgias: BacktestGorgias;
let dir: string;
let result: BacktestResult;

beforeAll(async () => {
  // The sandbox enforces a rate limit (40 calls, drained in 0.5 s); the client's budget knows it.
  sandbox = await startSandbox({
    username: USERNAME,
    apiKey: API_KEY,
    rateLimit: { capacity: 40, windowSeconds: 0.5 },
    emailIntegrations: STORES,
  });
  seeded = sandbox.seedMonth({ since: '2026-10-01', days: 31, perDay: 18, seed: 11 });
  // Tickets outside the range are not read: one the day before, one the day after.
  sandbox.seedMonth({ since: '2026-09-30', days: 1, perDay: 2, seed: 3 });
  sandbox.seedMonth({ since: '2026-11-01', days: 1, perDay: 2, seed: 4 });
  const config = loadConfig(
    {
      GORGIAS_BASE_URL: sandbox.url,
      GORGIAS_USERNAME: USERNAME,
      GORGIAS_API_KEY: API_KEY,
      GORGIAS_RATE_LIMIT_BURST: '40',
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '0.5',
    },
    ['gorgias'],
  );
  gorgias = gorgiasClientFrom(config);
  dir = mkdtempSync(join(tmpdir(), 'backtest-'));
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
});

const backtest = (overrides: Partial<Parameters<typeof runBacktest>[0]> = {}) =>
  runBacktest({
    gorgias,
    policy,
    since: SINCE,
    until: UNTIL,
    cacheFile: join(dir, 'cache.jsonl'),
    htmlFile: join(dir, 'report.html'),
    csvFile: join(dir, 'report.csv'),
    policyFile: 'policy/default.yaml + 2 stores',
    account: 'sandbox',
    progress: null,
    sleep: () => Promise.resolve(),
    ...overrides,
  });

/** Nearest rank, written here again on purpose. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
}

/** Whether Maison Lune (Paris, Monday to Friday 09:00–18:00) is open at `iso`. */
function parisOpen(iso: string): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Paris',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const minutes = Number(get('hour')) * 60 + Number(get('minute'));
  return !['Sat', 'Sun'].includes(get('weekday')) && minutes >= 540 && minutes < 1080;
}

/** What the default policy must do with each seeded scenario (decided at creation, no delay). */
const EXPECTED: Record<SeededTicket['scenario'], { reason: string | null; branch: string | null }> = {
  plain: { reason: null, branch: 'plain' },
  'order-shipped': { reason: null, branch: 'shipped' },
  'order-preparing': { reason: null, branch: 'preparing' },
  // The customer names an order number, and Shopify lists no order of theirs: no order is spoken of.
  'order-none': { reason: null, branch: 'not-theirs' },
  'order-delayed': { reason: 'order-delayed', branch: null },
  spam: { reason: 'spam', branch: null },
  'no-reply-sender': { reason: 'no-reply-sender', branch: null },
  'rule-instant': { reason: 'rule-replied-first', branch: null },
};

/** The figures of one store, counted from what was seeded. */
function expectedFigures(tickets: SeededTicket[]) {
  const replied = tickets.filter((t) => EXPECTED[t.scenario].reason === null);
  const notAnswered: Record<string, number> = {};
  const byBranch: Record<string, number> = {};
  for (const t of tickets) {
    const { reason, branch } = EXPECTED[t.scenario];
    if (reason) notAnswered[reason] = (notAnswered[reason] ?? 0) + 1;
    else if (branch) byBranch[branch] = (byBranch[branch] ?? 0) + 1;
  }
  const answered = tickets.filter((t) => t.firstResponse !== null);
  const delays = answered.map((t) => (Date.parse(t.firstResponse!.at) - Date.parse(t.createdAt)) / 1000);
  const replyAt = (t: SeededTicket) => Date.parse(t.createdAt) + AUTO_REPLY_SECONDS * 1000;
  const answeredAt = (t: SeededTicket) => Date.parse(t.firstResponse!.at);
  return {
    tickets: tickets.length,
    replied: replied.length,
    notAnswered,
    byBranch,
    humanAnswered: answered.length,
    p50: nearestRank(delays, 50),
    p90: nearestRank(delays, 90),
    covered: replied.filter((t) => t.firstResponse && replyAt(t) < answeredAt(t)).length,
    stale: replied.filter((t) => t.firstResponse && answeredAt(t) <= replyAt(t)).length,
    outsideHours:
      tickets[0] && STORE_OF[tickets[0].store] === 'Maison Lune'
        ? replied.filter((t) => !parisOpen(t.createdAt)).length
        : 0,
  };
}

describe('the backtest on a seeded month', () => {
  it('reads the month once, within the rate limit, and nothing but reads', async () => {
    const before = sandbox.stats();
    result = await backtest();
    const after = sandbox.stats();
    const customerReads = seeded.filter((t) => t.scenario.startsWith('order-') && !t.ordersOnTicket).length;
    // Newest first: the 2 tickets of the day after, the month, then the page with the first ticket before it.
    const listPages = Math.ceil((2 + seeded.length + 1) / 100);
    expect(after.requests - before.requests).toBe(listPages + seeded.length + customerReads);
    expect(after.rateLimited).toBe(0);
    expect(after.messagesCreated).toBe(before.messagesCreated);
    expect(after.ticketsCreated).toBe(before.ticketsCreated);
    expect(result.verdicts).toHaveLength(seeded.length);
    expect(seeded.length).toBeGreaterThan(400);
  }, 120_000);

  it('counts, per store, what a count made from the seeded tickets finds', () => {
    for (const [address, name] of Object.entries(STORE_OF)) {
      const expected = expectedFigures(seeded.filter((t) => t.store === address));
      const store = result.summary.stores.find((s) => s.store === name);
      expect(store).toBeDefined();
      expect({
        tickets: store!.tickets,
        replied: store!.replied,
        notAnswered: store!.notAnswered,
        byBranch: store!.byBranch,
        humanAnswered: store!.humanAnswered,
        p50: store!.firstResponseSeconds?.p50,
        p90: store!.firstResponseSeconds?.p90,
        covered: store!.covered,
        stale: store!.stale,
        outsideHours: store!.outsideHours,
      }).toEqual(expected);
    }
    // The month has every case in it.
    const all = result.summary.all;
    expect(all.stale).toBeGreaterThan(0);
    expect(all.covered).toBeGreaterThan(0);
    expect(Object.keys(all.byBranch).sort()).toEqual(['not-theirs', 'plain', 'preparing', 'shipped']);
    expect(result.summary.stores.find((s) => s.store === 'Maison Lune')!.outsideHours).toBeGreaterThan(0);
  });

  it('prints a table per store, and writes one CSV line per ticket', () => {
    expect(result.table).toMatch(/^\s+default\s+Bergwerk\s+Maison Lune\s+all stores$/m);
    expect(result.table).toMatch(/^Would have been answered\s+\d+ \(\d+ %\)/m);
    const csv = readFileSync(join(dir, 'report.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'ticket_id,created_at,store,outcome,reason,order_branch,template,outside_hours,reply_at,first_answer_by,first_answer_after_seconds,covered,stale',
    );
    expect(csv).toHaveLength(seeded.length + 1);
    const delayed = seeded.find((t) => t.scenario === 'order-delayed')!;
    expect(csv.find((line) => line.startsWith(`${delayed.ticketId},`))).toContain(
      ',skipped,order-delayed,delayed,',
    );
  });

  it('resumes: an interrupted run is finished by the next, and a second run reads nothing again', async () => {
    const cacheFile = join(dir, 'interrupted.jsonl');
    let reads = 0;
    const failing: BacktestGorgias = {
      listTicketsPage: (o) => gorgias.listTicketsPage(o),
      getCustomer: (id) => gorgias.getCustomer(id),
      getTicket: (id) => {
        reads += 1;
        if (reads === 120) return Promise.reject(new Error('interrupted'));
        return gorgias.getTicket(id);
      },
    };
    await expect(backtest({ gorgias: failing, cacheFile })).rejects.toThrow('interrupted');
    const before = sandbox.stats().requests;
    const resumed = await backtest({ gorgias: failing, cacheFile });
    expect(reads).toBe(seeded.length + 1); // 119 read, 1 failed, the rest read on resuming
    expect(resumed.summary).toEqual(result.summary);
    const afterResume = sandbox.stats().requests;
    expect(afterResume - before).toBeLessThan(seeded.length - 100);
    await backtest({ gorgias: failing, cacheFile });
    expect(sandbox.stats().requests).toBe(afterResume);
  }, 120_000);

  it('reads its command line', () => {
    const args = parseBacktestArguments(
      ['--since', '2026-10-01', '--until', '2026-11-01', '--policy', 'my.yaml', '--out', 'r/report.html'],
      {},
      new Date('2026-11-26T00:00:00Z'),
    );
    expect(args).toMatchObject({
      since: SINCE,
      until: UNTIL,
      policyFile: 'my.yaml',
      out: 'r/report.html',
      csv: 'r/report.csv',
      fresh: false,
    });
    expect(() => parseBacktestArguments([], {}, new Date())).toThrow(/--since is required/);
    expect(() => parseBacktestArguments(['--since', 'soon'], {}, new Date())).toThrow(/not a date/);
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

  it('opens offline in Chromium with its three charts drawn', async () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // self-contained
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      // Offline: any request to the network fails the test.
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(join(dir, 'report.html')).href);
      await page.locator('body[data-charts="drawn"]').waitFor({ timeout: 30_000 });
      // How many painted pixels each chart's canvas has (a string: the test's TypeScript has no DOM types).
      const drawn = await page.evaluate<number[]>(`[...document.querySelectorAll('canvas')].map((canvas) => {
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
        return painted;
      })`);
      expect(drawn).toHaveLength(3);
      for (const painted of drawn) expect(painted).toBeGreaterThan(1000);
      expect(requests).toEqual([]);
      await expect(page.getByText('Maison Lune').first().isVisible()).resolves.toBe(true);
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      if (process.env.UPDATE_DOCS_SCREENSHOT) {
        mkdirSync(join(DOCS_SCREENSHOT, '..'), { recursive: true });
        copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);
      }
    } finally {
      await page.close();
    }
  }, 60_000);
});

describe('the progress bar', () => {
  it('shows done, total, the rate and an ETA', () => {
    let now = 0;
    const lines: string[] = [];
    const bar = new ProgressBar(
      'Reading tickets',
      600,
      { write: (t) => lines.push(t), isTTY: false },
      () => now,
    );
    now = 30_000;
    for (let i = 0; i < 60; i += 1) bar.tick();
    expect(bar.line()).toBe('Reading tickets [###---------------------------] 60/600 · 2.0/s · ETA 4m30s');
    expect(lines).toHaveLength(2); // a line per tenth of the way on a log, not one per ticket
  });
});
