import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { AUTO_REPLY_SECONDS } from '../../src/tools/backtest/evaluate';
import { ProgressBar } from '../../src/tools/reports/progress';
import type { BacktestResult } from '../../src/tools/backtest/run';
import type { BacktestGorgias } from '../../src/tools/backtest/source';
import { parseBacktestArguments } from '../../src/tools/cli/backtest';
import type { SeededTicket } from '../../src/tools/sandbox/month';
import { monthPolicy, SINCE, STORE_OF, UNTIL, useBacktestMonth } from '../support/backtest-month';

/**
 * The backtest end to end against the sandox holding a seeded month of tickets (three stores, four
 * languages, agents' and Rules' answers): its figures must match a count made here from what was seeded,
 * independently of the backtest's code; it reads only, within the rate limit, and resumes. Its HTML report is
 * opened in a browser by test/integration/backtest-report.test.ts.
 */

const month = useBacktestMonth();
let result: BacktestResult;

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

/** Order questions whose ticket lacks the orders; not where its Shopify customer says it has none. */
const ordersElsewhere = () =>
  month.seeded.filter(
    (t) => t.scenario.startsWith('order-') && t.scenario !== 'order-none' && !t.ordersOnTicket,
  );
/** Newest first: the 2 tickets of the day after, the month, then the page with the first ticket before it. */
const listPages = () => Math.ceil((2 + month.seeded.length + 1) / 100);

describe('the backtest on a seeded month', () => {
  it('reads the month once, within the rate limit, and nothing but reads', async () => {
    const before = month.sandbox.stats();
    result = await month.backtest();
    const after = month.sandbox.stats();
    expect(after.requests - before.requests).toBe(
      listPages() + month.seeded.length + ordersElsewhere().length,
    );
    expect(after.rateLimited).toBe(0);
    expect(after.messagesCreated).toBe(before.messagesCreated);
    expect(after.ticketsCreated).toBe(before.ticketsCreated);
    expect(result.verdicts).toHaveLength(month.seeded.length);
    expect(month.seeded.length).toBeGreaterThan(400);
  }, 120_000);

  it('counts, per store, what a count made from the seeded tickets finds', () => {
    for (const [address, name] of Object.entries(STORE_OF)) {
      const expected = expectedFigures(month.seeded.filter((t) => t.store === address));
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

  it('with orders.read_customer off (as shipped) reads no customer: those questions get the plain acknowledgement', async () => {
    const before = month.sandbox.stats().requests;
    const shipped = await month.backtest({
      policy: monthPolicy(false),
      cacheFile: join(month.dir, 'shipped-policy.jsonl'),
    });
    expect(month.sandbox.stats().requests - before).toBe(listPages() + month.seeded.length);
    const elsewhere = new Set(ordersElsewhere().map((t) => t.ticketId));
    expect(elsewhere.size).toBeGreaterThan(0);
    for (const verdict of shipped.verdicts) {
      const read = result.verdicts.find((v) => v.ticketId === verdict.ticketId)!;
      // Only those tickets differ: replied without an order, where the customer read found one.
      expect([verdict.ticketId, verdict.outcome, verdict.branch]).toEqual(
        elsewhere.has(verdict.ticketId)
          ? [verdict.ticketId, 'replied', 'no-data']
          : [read.ticketId, read.outcome, read.branch],
      );
    }
  }, 120_000);

  it('prints a table per store, and writes one CSV line per ticket', () => {
    expect(result.table).toMatch(/^\s+default\s+Bergwerk\s+Maison Lune\s+all stores$/m);
    expect(result.table).toMatch(/^Would have been answered\s+\d+ \(\d+ %\)/m);
    const csv = readFileSync(join(month.dir, 'report.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'ticket_id,created_at,store,outcome,reason,order_branch,template,outside_hours,reply_at,first_answer_by,first_answer_after_seconds,covered,stale',
    );
    expect(csv).toHaveLength(month.seeded.length + 1);
    const delayed = month.seeded.find((t) => t.scenario === 'order-delayed')!;
    expect(csv.find((line) => line.startsWith(`${delayed.ticketId},`))).toContain(
      ',skipped,order-delayed,delayed,',
    );
  });

  it('resumes: an interrupted run is finished by the next, and a second run reads nothing again', async () => {
    const cacheFile = join(month.dir, 'interrupted.jsonl');
    let reads = 0;
    const failing: BacktestGorgias = {
      listTicketsPage: (o) => month.gorgias.listTicketsPage(o),
      getCustomer: (id) => month.gorgias.getCustomer(id),
      getTicket: (id) => {
        reads += 1;
        if (reads === 120) return Promise.reject(new Error('interrupted'));
        return month.gorgias.getTicket(id);
      },
    };
    await expect(month.backtest({ gorgias: failing, cacheFile })).rejects.toThrow('interrupted');
    const before = month.sandbox.stats().requests;
    const resumed = await month.backtest({ gorgias: failing, cacheFile });
    expect(reads).toBe(month.seeded.length + 1); // 119 read, 1 failed, the rest read on resuming
    expect(resumed.summary).toEqual(result.summary);
    const afterResume = month.sandbox.stats().requests;
    expect(afterResume - before).toBeLessThan(month.seeded.length - 100);
    await month.backtest({ gorgias: failing, cacheFile });
    expect(month.sandbox.stats().requests).toBe(afterResume);
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
