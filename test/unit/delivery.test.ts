import { parse as parseQuery } from 'node:querystring';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { bearerCheck } from '../../src/server/auth';
import { DISPLAY_FIELD_MAX_BYTES, parseDelivery } from '../../src/server/delivery';
import { clipText, ticketSummary } from '../../src/temporal/ticket-start';
import { generatedRequest } from '../support/delivery-arbitraries';

/**
 * A webhook delivery as the intake reads it once the body is JSON: the token check, the parser that decides
 * what it is (and which ticket), and the display fields it hands to Temporal. The same over HTTP, with Temporal
 * behind it, is test/integration/intake.test.ts and hostile-input.test.ts.
 */

const utf8Bytes = (text: string) => Buffer.byteLength(text);
/** What a string becomes once encoded as UTF-8 (a lone surrogate turns into U+FFFD). */
const wellFormed = (text: string) => Buffer.from(text).toString('utf8');

const SECRET = 'unit-webhook-secret-0123456789';

describe('fuzzing the parser and the token check', () => {
  it('2,000 random deliveries: the verdict the contract gives each part, never an exception', () => {
    let nextId = 1;
    fc.assert(
      fc.property(generatedRequest(SECRET), (generated) => {
        const ticketId = nextId++;
        expect(bearerCheck(SECRET)(generated.auth.value).ok).toBe(generated.auth.valid);
        if (generated.kind === 'structured') {
          // What express.json and the query parser hand the parser: the body as JSON text read back.
          const body: unknown = JSON.parse(
            JSON.stringify(generated.shape.value(generated.ticketId.value(ticketId))),
          );
          const query = parseQuery(generated.event.value.replace(/^\?/, ''));
          const valid = [generated.ticketId, generated.shape, generated.event].every((p) => p.valid);
          const parsed = parseDelivery(body, query);
          expect(parsed.ok).toBe(valid);
          if (parsed.ok) expect(parsed.delivery.ticketId).toBe(ticketId);
          else expect(parsed.problems.length).toBeGreaterThan(0);
        } else {
          // Bytes that are not JSON never reach the parser (the intake answers 400 bad-request-body).
          let body: unknown;
          try {
            body = JSON.parse(generated.body);
          } catch {
            return;
          }
          const parsed = parseDelivery(body, {});
          if (parsed.ok) {
            // Arbitrary JSON can be a valid delivery by chance; then it names the ticket it gave.
            const given = body as { ticket_id?: unknown; ticket?: { id?: unknown } };
            expect([given.ticket_id, given.ticket?.id].map(String)).toContain(
              String(parsed.delivery.ticketId),
            );
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('flags as a template renders them', () => {
  // A template renders each variable as a string: Python's True/False, a missing one as "".
  const verdict = (body: unknown, query: Record<string, string> = {}) => {
    const parsed = parseDelivery(body, query);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return parsed.delivery.ignoreReason;
  };

  it.each([
    ['"True"', 'True', 'spam'],
    ['"true"', 'true', 'spam'],
    ['"False"', 'False', null],
    ['"" (a missing value)', '', null],
    ['"None"', 'None', null],
    ['an object', { yes: 1 }, null],
  ])('ticket.spam as %s: accepted, and ignored only when it says true', (_, spam, reason) => {
    expect(verdict({ ticket: { id: '4815162', spam } })).toBe(reason);
  });

  it.each([
    [{ from_agent: 'True', public: 'True' }, 'message-from-agent'],
    [{ from_agent: 'False', public: 'False' }, 'internal-note'],
    [{ from_agent: '', public: '' }, null],
    [{ from_agent: 'False', public: 'True', channel: 'email' }, null],
  ])('message flags %j: accepted, read as the booleans they spell', (message, reason) => {
    expect(verdict({ ticket_id: '4815162', ticket: { id: '4815162' }, message })).toBe(reason);
  });

  it('a failed send of our own message still reaches the workflow with from_agent "True"', () => {
    const body = { ticket: { id: 7 }, message: { from_agent: 'True', public: 'True' } };
    expect(verdict(body, { event: 'ticket-message-failed' })).toBeNull();
  });

  it('still answers 400 for a ticket id that is not one', () => {
    const parsed = parseDelivery({ ticket: { id: 'True', spam: 'True' } }, {});
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.map((p) => p.path)).toEqual(['ticket.id']);
  });
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

  it('collapses whitespace only in the head of a long subject, the part the summary can show', () => {
    // The regular expression never sees a long subject, so a megabyte costs what 200 bytes do. Had it run over
    // the whole subject, the whitespace past the head would have joined "a" to the "b" at the end.
    const subject = `a${' \n\t'.repeat(100_000)}b`;
    const summary = ticketSummary({ ticketId: 1, customerEmail: null, subject });
    expect(summary).toBe('Gorgias ticket #1 · a …');
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
