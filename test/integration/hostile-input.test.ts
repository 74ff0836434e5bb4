import { request } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { TEST_SECRET, useTestStack } from '../support/stack';

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
    json((t) => ({ ticket_id: t, padding: 'é'.repeat(5_300_000) })),
  ],
  // The token.
  ['no Authorization header', 401, 'unauthorized', json((t) => ({ ticket_id: t }), JSON_TYPE)],
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
  ['a negative ticket id', 400, 'invalid-delivery', json((t) => ({ ticket_id: -t }))],
  ['a float ticket id', 400, 'invalid-delivery', json((t) => ({ ticket_id: t + 0.5 }))],
  ['a float ticket id as a string', 400, 'invalid-delivery', json((t) => ({ ticket_id: `${t}.0` }))],
  ['a ticket id in exponent notation', 400, 'invalid-delivery', json(() => ({ ticket_id: '77e5' }))],
  ['a ticket id above 2^53', 400, 'invalid-delivery', json(() => ({ ticket_id: 2 ** 53 + 2 }))],
  ['a 400-digit ticket id', 400, 'invalid-delivery', raw(() => `{"ticket_id": ${'9'.repeat(400)}}`)],
  ['a ticket id with a leading space', 400, 'invalid-delivery', json((t) => ({ ticket_id: ` ${t}` }))],
  ['a ticket id with letters after it', 400, 'invalid-delivery', json((t) => ({ ticket_id: `${t}abc` }))],
  ['a boolean ticket id', 400, 'invalid-delivery', json(() => ({ ticket_id: true }))],
  ['a ticket id in an array', 400, 'invalid-delivery', json((t) => ({ ticket_id: [t] }))],
  ['a ticket id as an object', 400, 'invalid-delivery', json((t) => ({ ticket_id: { id: t } }))],
  ['"ticket" as an array', 400, 'invalid-delivery', json((t) => ({ ticket: [{ id: t }] }))],
  ['"ticket" without an id', 400, 'invalid-delivery', json((t) => ({ ticket: { number: t } }))],
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
    const body = JSON.parse(answer.text) as { error?: string; message?: unknown; problems?: unknown };
    expect(body.error).toBe(error);
    expect(body.message ?? body.problems).toBeDefined();
    expect(answer.text).not.toContain(TEST_SECRET);
    expect(await ctx.stack.hasWorkflow(req.ticketId)).toBe(false);
  });
});

/** One piece of a generated request, and whether the intake's documented contract accepts it. */
interface Part<T> {
  value: T;
  valid: boolean;
}
const part = <T>(value: T, valid: boolean): Part<T> => ({ value, valid });

const TRIGGERS = ['ticket-created', 'ticket-updated', 'ticket-message-created'];
const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));

/** How a generated delivery spells its ticket id; `id` is the fresh id of the run. */
const ticketIdForm: fc.Arbitrary<Part<(id: number) => unknown>> = fc.oneof(
  fc.constant(part((id: number) => id, true)),
  fc.constant(part((id: number) => String(id), true)),
  fc.constant(part((id: number) => -id, false)),
  fc.constant(part(() => 0, false)),
  fc.constant(part((id: number) => id + 0.25, false)),
  fc.constant(part((id: number) => `${id}.5`, false)),
  fc.constant(part((id: number) => [id], false)),
  fc.constant(part(() => null, false)),
  fc.constant(part(() => 2 ** 60, false)),
  fc.constant(part((id: number) => ({ value: id }), false)),
  fc.string({ maxLength: 12 }).map((junk) => part((id: number) => `${id}${junk}x`, false)),
  fc.string({ unit: 'binary', maxLength: 12 }).map((junk) => part((id: number) => `${junk}-${id}`, false)),
);

/** A body built around the ticket id: the small template, the whole context, or neither. */
const bodyShape: fc.Arbitrary<Part<(ticketId: unknown) => unknown>> = fc.oneof(
  fc.constant(part((ticketId: unknown) => ({ ticket_id: ticketId }), true)),
  fc.constant(part((ticketId: unknown) => ({ ticket: { id: ticketId, subject: 'x' } }), true)),
  fc
    .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })
    .filter(
      (extra) =>
        !['ticket_id', 'ticket', 'event', 'message', '__proto__'].some((k) => Object.hasOwn(extra, k)),
    )
    .map((extra) => part((ticketId: unknown) => ({ ...extra, ticket_id: ticketId }), true)),
  fc.constant(part((ticketId: unknown) => [{ ticket_id: ticketId }], false)),
  fc.constant(part((ticketId: unknown) => ({ ticketId }), false)),
  fc.constant(part((ticketId: unknown) => ({ ticket: ticketId }), false)),
);

const eventPart: fc.Arbitrary<Part<string>> = fc.oneof(
  fc.constant(part('', true)),
  fc.constantFrom(...TRIGGERS).map((t) => part(`?event=${t}`, true)),
  printable(20)
    .filter((t) => !TRIGGERS.includes(t))
    .map((t) => part(`?event=${encodeURIComponent(t)}`, false)),
);

const authPart: fc.Arbitrary<Part<string | undefined>> = fc.oneof(
  fc.constant(part<string | undefined>(`Bearer ${TEST_SECRET}`, true)),
  fc.constant(part<string | undefined>(`bearer  ${TEST_SECRET}`, true)),
  fc.constant(part<string | undefined>(undefined, false)),
  printable(40).map((h) => part<string | undefined>(h, false)),
  printable(30).map((t) => part<string | undefined>(`Bearer ${t}`, t === TEST_SECRET)),
);

const contentTypePart: fc.Arbitrary<Part<string | undefined>> = fc.oneof(
  fc.constant(part<string | undefined>('application/json', true)),
  fc.constant(part<string | undefined>('application/json; charset=utf-8', true)),
  fc.constant(part<string | undefined>(undefined, false)),
  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'text/html').map((t) => part(t, false)),
);

/** Either a delivery built from parts with a known verdict, or arbitrary bytes that claim to be JSON. */
const generatedRequest = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('structured' as const),
      ticketId: ticketIdForm,
      shape: bodyShape,
      event: eventPart,
      auth: authPart,
      contentType: contentTypePart,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('arbitrary' as const),
      body: fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ unit: 'binary', maxLength: 200 })),
      auth: authPart,
    }),
  },
);

describe('fuzzing the intake', () => {
  it('2,000 random deliveries: never a 5xx, always a JSON answer, and a workflow only for a valid body', async () => {
    const property = fc.asyncProperty(generatedRequest, async (generated) => {
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
    await fc.assert(property, { numRuns: 2000 });

    const health = await fetch(`${ctx.stack.intakeUrl}/healthz`);
    expect(health.status).toBe(200);
  }, 180_000);
});
