import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { useBacktestMonth } from '../support/backtest-month';
import { launchChromium } from '../support/chromium';

/**
 * The backtest's HTML report over the seeded month (test/unit/backtest.test.ts checks its figures), opened in
 * Chromium: a screenshot in test-artifacts/, and in docs/images/ with UPDATE_DOCS_SCREENSHOT=1. Here, not in
 * the unit project, because it needs a browser.
 */

const ROOT = join(__dirname, '..', '..');
const SCREENSHOT = join(ROOT, 'test-artifacts', 'backtest-report.png');
const DOCS_SCREENSHOT = join(ROOT, 'docs', 'images', 'backtest-report.png');

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
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  try {
    // Offline: any request to the network fails the test.
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(join(month.dir, 'report.html')).href);
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
