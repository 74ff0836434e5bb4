import { accessSync, constants, copyFileSync, mkdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * The Chromium the page checks drive with playwright-core (which downloads no browser, and its download host is
 * out of reach anyway), found without apt or root, in this order:
 * 1. CHROMIUM_PATH, when set (it must be an executable);
 * 2. a system Chromium: /usr/bin/chromium (Debian's package) or a chromium / chromium-browser / google-chrome on
 *    PATH;
 * 3. the Chromium the dev dependency `@sparticuz/chromium` ships, unpacked once into the temp folder (about 2 s).
 *    Pinned at 143.0.4: the newest release whose `engines` accepts Node 20 (147 and later declare Node ≥ 22).
 * The jest global setup resolves it once per run and hands it to the test files as CHROMIUM_PATH, so parallel
 * test files never unpack it at the same time.
 */

const SYSTEM_CANDIDATES = ['/usr/bin/chromium'];
const ON_PATH = ['chromium', 'chromium-browser', 'google-chrome'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ResolvedChromium {
  path: string;
  source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
}

export async function resolveChromium(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedChromium> {
  if (env.CHROMIUM_PATH) {
    if (!isExecutable(env.CHROMIUM_PATH)) {
      throw new Error(`CHROMIUM_PATH is ${env.CHROMIUM_PATH}, which is not an executable file`);
    }
    return { path: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH' };
  }
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .flatMap((dir) => (dir ? ON_PATH.map((n) => join(dir, n)) : []));
  const system = [...SYSTEM_CANDIDATES, ...onPath].find(isExecutable);
  if (system) return { path: system, source: 'system' };
  let packaged: { executablePath: () => Promise<string> };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require('@sparticuz/chromium') as { default?: typeof packaged } & typeof packaged;
    packaged = module.default ?? module;
  } catch (err) {
    throw new Error(
      'No Chromium found: no CHROMIUM_PATH, no /usr/bin/chromium or chromium on PATH, and the dev dependency ' +
        `@sparticuz/chromium is not installed (${(err as Error).message}). Run \`npm install\` (or ` +
        '`apt-get install chromium`, or set CHROMIUM_PATH to a Chromium or Chrome binary).',
    );
  }
  return { path: await packaged.executablePath(), source: '@sparticuz/chromium' };
}

/** A headless Chromium for page checks, with the flags this machine's closed network needs. */
export async function launchChromium(): Promise<Browser> {
  const { path } = await resolveChromium();
  return chromium.launch({
    executablePath: path,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/**
 * Opens one of our offline HTML reports (backtest, scorecard) and waits until its charts are drawn: the page,
 * every request it made off `file:` (there should be none), and how many painted pixels each chart's canvas has
 * (the evaluated code is a string: the tests' TypeScript has no DOM types).
 */
export async function openOfflineReport(
  browser: Browser,
  file: string,
): Promise<{ page: Page; requests: string[]; painted: number[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const requests: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href);
  await page.locator('body[data-charts="drawn"]').waitFor({ timeout: 30_000 });
  const painted = await page.evaluate<number[]>(`[...document.querySelectorAll('canvas')].map((canvas) => {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
    return painted;
  })`);
  return { page, requests, painted };
}

/** The page's screenshot in test-artifacts/<name>.png, and in docs/images/ with UPDATE_DOCS_SCREENSHOT=1. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  const root = join(__dirname, '..', '..');
  const artifact = join(root, 'test-artifacts', `${name}.png`);
  mkdirSync(dirname(artifact), { recursive: true });
  await page.screenshot({ path: artifact, fullPage: true });
  if (process.env.UPDATE_DOCS_SCREENSHOT) copyFileSync(artifact, join(root, 'docs', 'images', `${name}.png`));
}
