import { describe, expect, it } from '@jest/globals';
import axios from 'axios';
import fc from 'fast-check';
import { WEBHOOK_PATH } from '../../src/server/app';
import { DISPLAY_FIELD_MAX_BYTES, parseDelivery } from '../../src/server/delivery';
import { clipText, ticketSummary } from '../../src/temporal/ticket-start';
import { workflowIdForTicket } from '../../src/workflows/definitions';
import { TEST_SECRET, useTestStack } from '../support/stack';

// No worker: what matters is what the intake answers, how fast, and what it hands to Temporal.
const ctx = useTestStack({ worker: false });

const MB = 1024 * 1024;
const utf8Bytes = (text: string) => Buffer.byteLength(text);
/** What a string becomes once encoded as UTF-8 (a lone surrogate turns into U+FFFD). */
const wellFormed = (text: string) => Buffer.from(text).toString('utf8');

/** A `{{context}}` body as Gorgias sends it for a long thread: the whole ticket, every message in full. */
function contextBody(ticketId: number, size: number, ticket: Record<string, unknown> = {}) {
  const longText = 'Hello, I am still waiting for my order. '.repeat(250); // ~10 kB a message
  const count = Math.ceil(size / (2 * longText.length));
  const messages = Array.from({ length: count }, (_, i) => ({
    id: ticketId * 1000 + i,
    channel: 'email',
    from_agent: i % 2 === 1,
    public: true,
    body_text: longText,
    body_html: `<p>${longText}</p>`,
    sender: { email: 'dana@example.org' },
  }));
  return {
    ticket: {
      id: ticketId,
      spam: false,
      subject: 'Where is my order?',
      customer: { email: 'dana@example.org', name: 'Dana' },
      messages,
      ...ticket,
    },
    message: messages[0],
  };
}

function post(body: unknown, event = 'ticket-message-created') {
  return axios.post(`${ctx.stack.intakeUrl}${WEBHOOK_PATH}?event=${event}`, body, {
    headers: { Authorization: `Bearer ${TEST_SECRET}`, 'Content-Type': 'application/json' },
    validateStatus: () => true,
    maxBodyLength: Infinity,
  });
}

/** Posts a big delivery and polls /healthz until it is answered; returns the answer and every /healthz latency. */
async function postWhilePollingHealth(body: unknown) {
  const json = JSON.stringify(body);
  const started = Date.now();
  let done = false;
  const delivery = post(json).finally(() => (done = true));
  const healthLatencies: number[] = [];
  while (!done) {
    const asked = Date.now();
    const health = await axios.get(`${ctx.stack.intakeUrl}/healthz`);
    expect(health.status).toBe(200);
    healthLatencies.push(Date.now() - asked);
  }
  const answer = await delivery;
  return { answer, ms: Date.now() - started, healthLatencies, bytes: utf8Bytes(json) };
}

describe('big deliveries', () => {
  it('accepts a 5 MB {{context}} body (a ticket with many long messages)', async () => {
    const body = contextBody(9500, 5 * MB);
    expect(utf8Bytes(JSON.stringify(body))).toBeGreaterThan(5 * MB);
    const answer = await post(body);
    expect(answer.status).toBe(202);
    expect(answer.data).toMatchObject({ status: 'accepted', ticketId: 9500 });
    expect(await ctx.stack.hasWorkflow(9500)).toBe(true);
  });

  it.each([
    [9510, 'a huge subject', { subject: 'Where is my order? '.repeat(300_000) }],
    [9511, 'a huge customer email', { customer: { email: `${'dana'.repeat(1_500_000)}@example.org` } }],
    [9512, 'a huge multi-byte subject', { subject: '注文はどこですか？😀'.repeat(170_000) }],
  ])(
    'answers (ticket %i) a 5 MB body with %s in well under a second, /healthz staying responsive',
    async (ticketId, _what, ticket) => {
      const { answer, ms, healthLatencies, bytes } = await postWhilePollingHealth(
        contextBody(ticketId, 0, ticket),
      );
      expect(bytes).toBeGreaterThan(4 * MB);
      expect(answer.status).toBe(202);
      expect(ms).toBeLessThan(1000);
      expect(healthLatencies.length).toBeGreaterThan(0);
      for (const latency of healthLatencies) expect(latency).toBeLessThan(500);

      // What reached Temporal is the clipped one-line summary.
      const description = await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).describe();
      const summary = await description.staticSummary();
      expect(utf8Bytes(summary ?? '')).toBeLessThanOrEqual(200);
      expect(summary).toMatch(/^Gorgias ticket #\d+ · .*…$/);
    },
  );
});

describe('display fields', () => {
  it('clips a long subject and customer email in the schema, never rejecting the delivery', () => {
    const parsed = parseDelivery(
      {
        ticket: { id: 1, subject: 'é'.repeat(100_000), customer: { email: `${'a'.repeat(100_000)}@x.org` } },
        message: { channel: 'x'.repeat(100_000) },
      },
      {},
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(utf8Bytes(parsed.delivery.subject ?? '')).toBeLessThanOrEqual(DISPLAY_FIELD_MAX_BYTES);
    expect(utf8Bytes(parsed.delivery.customerEmail ?? '')).toBeLessThanOrEqual(DISPLAY_FIELD_MAX_BYTES);
    expect(parsed.delivery.subject).toMatch(/^é+…$/);
    expect(parsed.delivery.ignoreReason).toBeNull();
  });

  it.each([
    ['an accented Latin', 'Où est ma commande ? Ça fait déjà trois semaines ! '],
    ['a Japanese', '注文した商品がまだ届いていません。'],
    ['an emoji (surrogate pairs)', '📦🚚😡👍🏽 '],
    ['a combining-marks', 'e\u0301a\u0300o\u0308 '],
  ])('keeps the summary within 200 bytes of valid UTF-8 for %s subject', (_what, piece) => {
    for (let repeat = 1; repeat <= 60; repeat += 1) {
      const subject = piece.repeat(repeat);
      const summary = ticketSummary({ ticketId: 123456, customerEmail: 'dana@example.org', subject });
      expect(utf8Bytes(summary)).toBeLessThanOrEqual(200);
      expect(wellFormed(summary)).toBe(summary);
      expect(summary).not.toContain('\ufffd');
      expect(summary.startsWith('Gorgias ticket #123456 · dana@example.org · ')).toBe(true);
      if (utf8Bytes(`Gorgias ticket #123456 · dana@example.org · ${subject.trim()}`) > 200) {
        expect(summary.endsWith('…')).toBe(true);
      }
    }
  });

  it('summarises a 100,000-character subject in a few milliseconds', () => {
    const subject = 'Where is my order? 😀 '.repeat(5_000);
    const started = process.hrtime.bigint();
    const summary = ticketSummary({ ticketId: 1, customerEmail: null, subject });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(50);
    expect(utf8Bytes(summary)).toBeLessThanOrEqual(200);
  });

  it('clips any text to a well-formed prefix within the byte budget, ending in "…" when cut', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
        ),
        fc.integer({ min: 3, max: 300 }),
        (text, maxBytes) => {
          const clipped = clipText(text, maxBytes);
          const whole = wellFormed(text);
          expect(utf8Bytes(clipped)).toBeLessThanOrEqual(maxBytes);
          expect(wellFormed(clipped)).toBe(clipped);
          if (utf8Bytes(whole) <= maxBytes) {
            expect(clipped).toBe(whole);
          } else {
            expect(clipped.endsWith('…')).toBe(true);
            expect(whole.startsWith(clipped.slice(0, -1))).toBe(true);
            // Nothing is thrown away that would have fitted: one more character would overflow.
            const next = [...whole.slice(clipped.length - 1)][0] ?? '';
            expect(utf8Bytes(clipped) + utf8Bytes(next)).toBeGreaterThan(maxBytes);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
