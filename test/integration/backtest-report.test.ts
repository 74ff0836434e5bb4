import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { useBacktestMonth } from '../support/backtest-month';
import { launchChromium, openOfflineReport, saveScreenshot } from '../support/chromium';

/**
 * The backtest's HTML report over the seeded month (test/unit/backtest.test.ts checks its figures), opened in
 * Chromium: a screenshot in test-artifacts/, and in docs/images/ with UPDATE_DOCS_SCREENSHOT=1. Here, not in
 * the unit project, because it needs a browser.
 */

const month = useBacktestMonth();
let browser: Browser;

beforeAll(async () => {
  await month.backtest();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

it('opens offline in Chromium with its three charts drawn', async () => {
  const html = readFileSync(join(month.dir, 'report.html'), 'utf8');
  expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // self-contained
  const { page, requests, painted: drawn } = await openOfflineReport(browser, join(month.dir, 'report.html'));
  try {
    expect(drawn).toHaveLength(3);
    for (const painted of drawn) expect(painted).toBeGreaterThan(1000);
    expect(requests).toEqual([]);
    await expect(page.getByText('Maison Lune').first().isVisible()).resolves.toBe(true);
    await saveScreenshot(page, 'backtest-report');
  } finally {
    await page.close();
  }
}, 60_000);
