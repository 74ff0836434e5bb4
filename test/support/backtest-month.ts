import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { loadConfig } from '../../src/config';
import { gorgiasClientFrom } from '../../src/gorgias/from-config';
import { runBacktest, type BacktestOptions, type BacktestResult } from '../../src/tools/backtest/run';
import type { BacktestGorgias } from '../../src/tools/backtest/source';
import type { SeededTicket } from '../../src/tools/sandbox/month';
import { startSandbox, type RunningSandbox } from '../../src/tools/sandbox';
import { policyWith } from '../../harness/policy';

/**
 * A seeded month of tickets in the sandbox (three stores, four languages, agents' and Rules' answers) and the
 * backtest over it, for the backtest's figures (unit) and its HTML report in a browser (integration).
 */

const USERNAME = 'autoreply@shop.example.com';
const API_KEY = 'backtest-api-key';
const STORES = [
  { address: 'support@shop.example.com', name: 'Shop Support' },
  { address: 'bonjour@maison-lune.example', name: 'Maison Lune' },
  { address: 'hallo@bergwerk.example', name: 'Bergwerk' },
];
// Store sections: Maison Lune by integration id (the second email integration), Bergwerk by address.
export const STORE_OF: Record<string, string> = {
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
/**
 * The shipped policy with two stores, reading the customers whose tickets lack their orders
 * (`orders.read_customer`, off as shipped), so that the backtest's customer reads run too.
 */
export function monthPolicy(readCustomer = true) {
  return policyWith({
    orders: { enabled: true, read_customer: readCustomer },
    stores: {
      '6602': { name: 'Maison Lune', language: 'fr', business_hours: PARIS_HOURS },
      'hallo@bergwerk.example': { name: 'Bergwerk', language: 'de' },
    },
  });
}
const policy = monthPolicy();
export const SINCE = new Date('2026-10-01T00:00:00Z');
export const UNTIL = new Date('2026-11-01T00:00:00Z');

export interface BacktestMonth {
  sandbox: RunningSandbox;
  /** The month's tickets (not the two on each side of it). */
  seeded: SeededTicket[];
  gorgias: BacktestGorgias;
  /** The folder the reports and caches go to. */
  dir: string;
  /** Runs the backtest over the month, writing report.html and report.csv into `dir`. */
  backtest(overrides?: Partial<BacktestOptions>): Promise<BacktestResult>;
}

/** Starts and seeds the sandbox before the file's tests; closes it after them. */
export function useBacktestMonth(): BacktestMonth {
  const month = {
    backtest: (overrides: Partial<BacktestOptions> = {}) =>
      runBacktest({
        gorgias: month.gorgias,
        policy,
        since: SINCE,
        until: UNTIL,
        cacheFile: join(month.dir, 'cache.jsonl'),
        htmlFile: join(month.dir, 'report.html'),
        csvFile: join(month.dir, 'report.csv'),
        policyFile: 'policy/default.yaml + read_customer + 2 stores',
        account: 'sandbox',
        progress: null,
        sleep: () => Promise.resolve(),
        ...overrides,
      }),
  } as BacktestMonth;

  beforeAll(async () => {
    // The sandbox enforces a rate limit (40 calls, drained in 0.5 s); the client's budget knows it.
    month.sandbox = await startSandbox({
      username: USERNAME,
      apiKey: API_KEY,
      rateLimit: { capacity: 40, windowSeconds: 0.5 },
      emailIntegrations: STORES,
    });
    month.seeded = month.sandbox.seedMonth({ since: '2026-10-01', days: 31, perDay: 18, seed: 11 });
    // Tickets outside the range are not read: one the day before, one the day after.
    month.sandbox.seedMonth({ since: '2026-09-30', days: 1, perDay: 2, seed: 3 });
    month.sandbox.seedMonth({ since: '2026-11-01', days: 1, perDay: 2, seed: 4 });
    const config = loadConfig(
      {
        GORGIAS_BASE_URL: month.sandbox.url,
        GORGIAS_USERNAME: USERNAME,
        GORGIAS_API_KEY: API_KEY,
        GORGIAS_RATE_LIMIT_BURST: '40',
        GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '0.5',
      },
      ['gorgias'],
    );
    month.gorgias = gorgiasClientFrom(config);
    month.dir = mkdtempSync(join(tmpdir(), 'backtest-'));
  }, 60_000);

  afterAll(async () => {
    await month.sandbox?.close();
  });

  return month;
}
