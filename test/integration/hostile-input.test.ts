import { request } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { generatedRequest } from '../support/delivery-arbitraries';
import { TEST_SECRET, useTestStack } from '../support/stack';

/**
 * Broken and hostile webhook deliveries against the whole intake, over HTTP: each gets its 4xx and a JSON
 * answer, none a 5xx, none a workflow. One table of hand-picked cases, then random ones (the parser and the
 * token check alone take 2,000 of those in test/unit/delivery.test.ts).
 */

// No worker: what matters is what the intake answers and whether it hands anything to Temporal.
const ctx = useTestStack({ worker: false });

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** A raw POST: exactly these bytes and headers, nothing added (no default content type, no auth). */
function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const url = new URL(path, ctx.stack.intakeUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

const PATH = '/webhooks/gorgias';
const JSON_TYPE = { 'Content-Type': 'application/json' };
const AUTH = { Authorization: `Bearer ${TEST_SECRET}` };
const OK = { ...AUTH, ...JSON_TYPE };

/** Each case names the ticket id it would start a workflow for, if anything wrongly started one. */
interface HostileRequest {
  ticketId: number;
  body: string | Buffer;
  headers?: Record<string, string>;
  query?: string;
  /** What the answer must say beyond its status and error, where a case is about that. */
  says?: Says;
}

let nextId = 7_700_000;
const id = () => nextId++;
function json(build: (ticketId: number) => unknown, headers: Record<string, string> = OK, query = '') {
  const ticketId = id();
  return { ticketId, body: JSON.stringify(build(ticketId)), headers, query };
}
function raw(build: (ticketId: number) => string | Buffer, headers: Record<string, string> = OK, query = '') {
  const ticketId = id();
  return { ticketId, body: build(ticketId), headers, query };
}

const nested = (depth: number, inner: string) => '{"ticket":'.repeat(depth) + inner + '}'.repeat(depth);

interface Says {
  message?: RegExp;
  /** The body's problems, by path. */
  problems?: string[];
}

const hostile: [string, number, string, HostileRequest][] = [
  // Not JSON, or JSON that is not an object.
  ['a truncated JSON body', 400, 'bad-request-body', raw((t) => `{"ticket_id": ${t}`)],
  ['plain text sent as JSON', 400, 'bad-request-body', raw((t) => `ticket ${t} please`)],
  ['a JSON string', 400, 'bad-request-body', raw((t) => `"${t}"`)],
  ['JSON null', 400, 'bad-request-body', raw(() => 'null')],
  ['a JSON number', 400, 'bad-request-body', raw((t) => String(t))],
  ['single-quoted pseudo-JSON', 400, 'bad-request-body', raw((t) => `{'ticket_id': ${t}}`)],
  ['an array of deliveries', 400, 'invalid-delivery', json((t) => [{ ticket_id: t }])],
  ['an empty object', 400, 'invalid-delivery', json(() => ({}))],
  ['only a trigger, no ticket id', 400, 'invalid-delivery', json(() => ({ event: 'ticket-created' }))],
  // Content type and encoding.
  ['no Content-Type', 415, 'unsupported-media-type', json((t) => ({ ticket_id: t }), AUTH)],
  [
    'text/plain',
    415,
    'unsupported-media-type',
    json((t) => ({ ticket_id: t }), { ...AUTH, 'Content-Type': 'text/plain' }),
  ],
  [
    'multipart/form-data',
    415,
    'unsupported-media-type',
    raw((t) => `--x\r\nContent-Disposition: form-data; name="ticket_id"\r\n\r\n${t}\r\n--x--`, {
      ...AUTH,
      'Content-Type': 'multipart/form-data; boundary=x',
    }),
  ],
  [
    'a form-encoded body',
    415,
    'unsupported-media-type',
    raw((t) => `ticket_id=${t}`, { ...AUTH, 'Content-Type': 'application/x-www-form-urlencoded' }),
  ],
  [
    'application/xml',
    415,
    'unsupported-media-type',
    raw((t) => `<ticket_id>${t}</ticket_id>`, { ...AUTH, 'Content-Type': 'application/xml' }),
  ],
  [
    'JSON in a charset other than UTF-8',
    415,
    'bad-request-body',
    json((t) => ({ ticket_id: t }), { ...AUTH, 'Content-Type': 'application/json; charset=koi8-r' }),
  ],
  [
    'an unsupported Content-Encoding',
    415,
    'bad-request-body',
    json((t) => ({ ticket_id: t }), { ...OK, 'Content-Encoding': 'x-unknown' }),
  ],
  [
    'a gzip Content-Encoding on a body that is not gzip',
    400,
    'bad-request-body',
    json((t) => ({ ticket_id: t }), { ...OK, 'Content-Encoding': 'gzip' }),
  ],
  [
    'a body over the default 10 MB limit',
    413,
    'bad-request-body',
    {
      ...json((t) => ({ ticket_id: t, padding: 'é'.repeat(5_300_000) })),
      says: { message: /10485760 bytes \(10 MB\).*WEBHOOK_MAX_BODY_BYTES/ },
    },
  ],
  // The token.
  ['no Authorization header', 401, 'unauthorized', json((t) => ({ ticket_id: t }), JSON_TYPE)],
  [
    'the token without "Bearer"',
    401,
    'unauthorized',
    json((t) => ({ ticket_id: t }), { ...JSON_TYPE, Authorization: TEST_SECRET }),
  ],
  [
    'the token with one character changed',
    401,
    'unauthorized',
    json((t) => ({ ticket_id: t }), { ...JSON_TYPE, Authorization: `Bearer ${TEST_SECRET.slice(0, -1)}x` }),
  ],
  [
    'the token with a suffix',
    401,
    'unauthorized',
    json((t) => ({ ticket_id: t }), { ...JSON_TYPE, Authorization: `Bearer ${TEST_SECRET}0` }),
  ],
  [
    'the token as Basic auth',
    401,
    'unauthorized',
    json((t) => ({ ticket_id: t }), {
      ...JSON_TYPE,
      Authorization: `Basic ${Buffer.from(`gorgias:${TEST_SECRET}`).toString('base64')}`,
    }),
  ],
  [
    '"Bearer" with no token',
    401,
    'unauthorized',
    json((t) => ({ ticket_id: t }), { ...JSON_TYPE, Authorization: 'Bearer ' }),
  ],
  [
    'two tokens',
    401,
    'unauthorized',
    json((t) => ({ ticket_id: t }), { ...JSON_TYPE, Authorization: `Bearer ${TEST_SECRET} ${TEST_SECRET}` }),
  ],
  [
    'the token in the query string instead of the header',
    401,
    'unauthorized',
    json((t) => ({ ticket_id: t }), JSON_TYPE, `?token=${TEST_SECRET}`),
  ],
  // The ticket id.
  ['ticket_id null', 400, 'invalid-delivery', json(() => ({ ticket_id: null }))],
  ['ticket id zero', 400, 'invalid-delivery', json(() => ({ ticket_id: 0 }))],
  ['a negative ticket id', 400, 'invalid-delivery', json((t) => ({ ticket_id: -t }))],
  ['a negative ticket id as a string', 400, 'invalid-delivery', json((t) => ({ ticket_id: `-${t}` }))],
  [
    'a non-numeric ticket id and an unknown trigger',
    400,
    'invalid-delivery',
    { ...json(() => ({ ticket_id: 'abc', event: 'nope' })), says: { problems: ['ticket_id', 'event'] } },
  ],
  ['a float ticket id', 400, 'invalid-delivery', json((t) => ({ ticket_id: t + 0.5 }))],
  ['a float ticket id as a string', 400, 'invalid-delivery', json((t) => ({ ticket_id: `${t}.0` }))],
  ['a ticket id in exponent notation', 400, 'invalid-delivery', json(() => ({ ticket_id: '77e5' }))],
  ['a ticket id above 2^53', 400, 'invalid-delivery', json(() => ({ ticket_id: 2 ** 53 + 2 }))],
  [
    'a 30-digit ticket id as a string',
    400,
    'invalid-delivery',
    json(() => ({ ticket_id: '123456789012345678901234567890' })),
  ],
  ['a 400-digit ticket id', 400, 'invalid-delivery', raw(() => `{"ticket_id": ${'9'.repeat(400)}}`)],
  ['a ticket id with a leading space', 400, 'invalid-delivery', json((t) => ({ ticket_id: ` ${t}` }))],
  ['a ticket id with letters after it', 400, 'invalid-delivery', json((t) => ({ ticket_id: `${t}abc` }))],
  ['a boolean ticket id', 400, 'invalid-delivery', json(() => ({ ticket_id: true }))],
  ['a ticket id in an array', 400, 'invalid-delivery', json((t) => ({ ticket_id: [t] }))],
  ['a ticket id as an object', 400, 'invalid-delivery', json((t) => ({ ticket_id: { id: t } }))],
  ['"ticket" as an array', 400, 'invalid-delivery', json((t) => ({ ticket: [{ id: t }] }))],
  ['"ticket" without an id', 400, 'invalid-delivery', json((t) => ({ ticket: { number: t } }))],
  [
    'ticket_id and ticket.id that disagree',
    400,
    'invalid-delivery',
    json((t) => ({ ticket_id: t, ticket: { id: t + 1 } })),
  ],
  ['an unrendered template variable', 400, 'invalid-delivery', json(() => ({ ticket_id: '{{ticket.id}}' }))],
  // Structure.
  ['tickets nested 5,000 deep', 400, 'invalid-delivery', raw((t) => nested(5000, `{"id":${t}}`))],
  [
    'arrays nested 100,000 deep',
    400,
    'invalid-delivery',
    raw((t) => `{"ticket_id":${t},"x":1,"ticket":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
  ],
  [
    'a ticket id only on the prototype',
    400,
    'invalid-delivery',
    raw((t) => `{"__proto__": {"ticket_id": ${t}}, "constructor": {"prototype": {"ticket_id": ${t}}}}`),
  ],
  // Triggers.
  [
    'an unknown trigger in the body',
    400,
    'invalid-delivery',
    json((t) => ({ ticket_id: t, event: 'ticket-deleted' })),
  ],
  [
    'an unknown trigger in the query',
    400,
    'invalid-delivery',
    json((t) => ({ ticket_id: t }), OK, '?event=ticket-exploded'),
  ],
  [
    'a trigger in capitals',
    400,
    'invalid-delivery',
    json((t) => ({ ticket_id: t }), OK, '?event=TICKET-CREATED'),
  ],
  [
    'two triggers in the query',
    400,
    'invalid-delivery',
    json((t) => ({ ticket_id: t }), OK, '?event=ticket-created&event=ticket-updated'),
  ],
  // Unicode and control characters.
  [
    'full-width digits',
    400,
    'invalid-delivery',
    json((t) => ({ ticket_id: String(t).replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))) })),
  ],
  [
    'Arabic-Indic digits',
    400,
    'invalid-delivery',
    json((t) => ({ ticket_id: String(t).replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d))) })),
  ],
  ['a NUL after the ticket id', 400, 'invalid-delivery', json((t) => ({ ticket_id: `${t}\u0000` }))],
  ['a newline after the ticket id', 400, 'invalid-delivery', json((t) => ({ ticket_id: `${t}\n` }))],
  ['a lone surrogate as the ticket id', 400, 'invalid-delivery', raw(() => '{"ticket_id":"\\ud800"}')],
  [
    'a trigger with a Cyrillic letter that looks Latin',
    400,
    'invalid-delivery',
    json((t) => ({ ticket_id: t, event: 't\u0456cket-created' })),
  ],
  [
    'invalid UTF-8 bytes in the ticket id',
    400,
    'invalid-delivery',
    raw((t) =>
      Buffer.concat([Buffer.from(`{"ticket_id": "${t}`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    ),
  ],
];

describe('hostile and broken webhook deliveries', () => {
  it.each(hostile)('answers %s with %i %s and starts no workflow', async (_what, status, error, req) => {
    const answer = await post(`${PATH}${req.query ?? ''}`, req.body, req.headers ?? OK);
    expect(answer.status).toBe(status);
    expect(answer.contentType).toMatch(/^application\/json/);
    const body = JSON.parse(answer.text) as {
      error?: string;
      message?: string;
      problems?: { path: string }[];
    };
    expect(body.error).toBe(error);
    expect(body.message ?? body.problems).toBeDefined();
    if (req.says?.message) expect(body.message).toMatch(req.says.message);
    if (req.says?.problems)
      expect(body.problems?.map((p) => p.path)).toEqual(expect.arrayContaining(req.says.problems));
    expect(answer.text).not.toContain(TEST_SECRET);
    expect(await ctx.stack.hasWorkflow(req.ticketId)).toBe(false);
  });
});

describe('fuzzing the intake', () => {
  it('100 random deliveries over HTTP: never a 5xx, always a JSON answer, and a workflow only for a valid one', async () => {
    const property = fc.asyncProperty(generatedRequest(TEST_SECRET), async (generated) => {
      const ticketId = id();
      const headers: Record<string, string> = {};
      if (generated.auth.value !== undefined) headers.Authorization = generated.auth.value;
      let body: string;
      let query = '';
      let valid: boolean;
      if (generated.kind === 'structured') {
        body = JSON.stringify(generated.shape.value(generated.ticketId.value(ticketId)));
        query = generated.event.value;
        if (generated.contentType.value !== undefined) headers['Content-Type'] = generated.contentType.value;
        valid = [
          generated.ticketId,
          generated.shape,
          generated.event,
          generated.auth,
          generated.contentType,
        ].every((p) => p.valid);
      } else {
        body = generated.body;
        headers['Content-Type'] = 'application/json';
        valid = false;
      }
      const answer = await post(`${PATH}${query}`, body, headers);

      expect(answer.status).toBeLessThan(500);
      expect(answer.contentType).toMatch(/^application\/json/);
      const parsed = JSON.parse(answer.text) as { ticketId?: number };
      expect(answer.text).not.toContain(TEST_SECRET);
      if (generated.kind === 'structured') {
        if (valid) {
          expect(answer.status).toBe(202);
        } else {
          expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(await ctx.stack.hasWorkflow(ticketId)).toBe(false);
        }
      } else if (answer.status === 202) {
        // Arbitrary JSON can be a valid delivery by chance; then it must name the ticket it started.
        const given = JSON.parse(body) as { ticket_id?: unknown; ticket?: { id?: unknown } };
        expect([given.ticket_id, given.ticket?.id].map(String)).toContain(String(parsed.ticketId));
      }
    });
    await fc.assert(property, { numRuns: 100 });

    const health = await fetch(`${ctx.stack.intakeUrl}/healthz`);
    expect(health.status).toBe(200);
  }, 180_000);
});
