import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { launchChromium } from '../support/chromium';
import { useTestStack } from '../support/stack';

/**
 * What an operator sees: a ticket answered by the real service (in-process, on the run's Temporal dev server,
 * which serves the Web UI), then the ticket's workflow page in a real browser (Debian's Chromium, driven by playwright-core).
 * Saves a screenshot to test-artifacts/web-ui-ticket.png; with UPDATE_DOCS_SCREENSHOT=1 also to
 * docs/images/traced-ticket.png, the picture in the README.
 */

const ROOT = join(__dirname, '..', '..');
const SCREENSHOT = join(ROOT, 'test-artifacts', 'web-ui-ticket.png');
const DOCS_SCREENSHOT = join(ROOT, 'docs', 'images', 'traced-ticket.png');

/** The run's Web UI (set by the global setup; with TEST_TEMPORAL_ADDRESS, set TEST_TEMPORAL_UI_URL too). */
const UI_URL = process.env.TEST_TEMPORAL_UI_URL ?? '';
// The `default` namespace, as an operator's first look would show it (and the README's picture does).
const ctx = useTestStack({ namespace: 'default', env: { TEMPORAL_UI_URL: UI_URL } });
let browser: Browser;

beforeAll(async () => {
  if (!UI_URL) throw new Error('No Web UI: set TEST_TEMPORAL_UI_URL next to TEST_TEMPORAL_ADDRESS');
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

test('the Web UI shows an answered ticket’s workflow: its summary and a Completed status', async () => {
  const { stack } = ctx;
  const ticketId = await stack.seedTicket({ customerEmail: 'dana@example.org', customerName: 'Dana Reyes' });
  // What an HTTP integration with the whole-context body posts for a new ticket.
  const ticket = await stack.gorgias.getTicket(ticketId);
  const answer = await stack.deliver({ ticket }, { event: 'ticket-created' });
  expect(answer.status).toBe(202);
  await expect(stack.result(ticketId)).resolves.toMatchObject({ outcome: 'replied', ticketId });

  const workflowId = workflowIdForTicket(ticketId);
  const page = await browser.newPage({ viewport: { width: 1440, height: 820 } });
  try {
    const namespace = encodeURIComponent(stack.config.temporal.TEMPORAL_NAMESPACE);
    await page.goto(`${UI_URL}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`, {
      waitUntil: 'domcontentloaded',
      timeout: 30_000,
    });
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
