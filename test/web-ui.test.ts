import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/chromium';
import { SEARCH_ATTRIBUTES, workflowIdForTicket } from '../src/workflows/definitions';
import { TestStack } from './support/stack';
import { freePort } from './support/waiting';

/**
 * What an operator sees: a ticket answered by the real service (in-process, on a Temporal dev server with its
 * Web UI), then the ticket's workflow page in a real browser (Debian's Chromium, driven by playwright-core).
 * Saves a screenshot to test-artifacts/web-ui-ticket.png; with UPDATE_DOCS_SCREENSHOT=1 also to
 * docs/images/traced-ticket.png, the picture in the README.
 */

const ROOT = join(__dirname, '..');
const SCREENSHOT = join(ROOT, 'test-artifacts', 'web-ui-ticket.png');
const DOCS_SCREENSHOT = join(ROOT, 'docs', 'images', 'traced-ticket.png');

let env: TestWorkflowEnvironment;
let stack: TestStack;
let browser: Browser;
let uiPort: number;

beforeAll(async () => {
  uiPort = await freePort();
  const cli = process.env.TEMPORAL_CLI_PATH;
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli ? { executable: { type: 'existing-path', path: cli } } : {}),
      uiPort,
      searchAttributes: SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  });
  stack = await TestStack.start(env, { env: { TEMPORAL_UI_URL: `http://localhost:${uiPort}` } });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await env?.teardown();
});

test('the Web UI shows an answered ticket’s workflow: its summary and a Completed status', async () => {
  const ticketId = await stack.seedTicket({ customerEmail: 'dana@example.org', customerName: 'Dana Reyes' });
  // What an HTTP integration with the whole-context body posts for a new ticket.
  const ticket = await stack.gorgias.getTicket(ticketId);
  const answer = await stack.deliver({ ticket }, { event: 'ticket-created' });
  expect(answer.status).toBe(202);
  await expect(stack.result(ticketId)).resolves.toMatchObject({ outcome: 'replied', ticketId });

  const workflowId = workflowIdForTicket(ticketId);
  const page = await browser.newPage({ viewport: { width: 1440, height: 820 } });
  try {
    await page.goto(
      `http://localhost:${uiPort}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
      {
        waitUntil: 'domcontentloaded',
        timeout: 30_000,
      },
    );
    // The page renders client-side: wait for what the operator looks for, not for a fixed time.
    const shown = (text: string, exact = false) =>
      page.getByText(text, { exact }).filter({ visible: true }).first().waitFor({ timeout: 30_000 });
    await shown(workflowId);
    await shown('Completed', true);
    await shown(`Gorgias ticket #${ticketId}`);

    // The picture for the README: the workflow's summary and the summaries of its activities.
    await page.getByText('User Metadata', { exact: true }).first().click();
    await shown('Events with Metadata', true);
    // Summaries are markdown, which the UI renders in a sandboxed iframe.
    await page
      .locator('iframe')
      .first()
      .contentFrame()
      .getByText(`Gorgias ticket #${ticketId} · dana@example.org · Where is my order`)
      .first()
      .waitFor({ timeout: 30_000 });
    await shown('Internal note: replied');

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    if (process.env.UPDATE_DOCS_SCREENSHOT) {
      mkdirSync(join(DOCS_SCREENSHOT, '..'), { recursive: true });
      copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);
    }
  } finally {
    await page.close();
  }
});
