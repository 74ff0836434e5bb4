import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';

/**
 * A stand-in for a real Gorgias account, serving the real-shaped fixtures of test/fixtures/gorgias the way
 * Gorgias would: HTTP Basic auth, the rate-limit headers on every answer, answers full of fields the client
 * does not ask for, and asynchronous sending (a posted email gets `sent_datetime` a little later). Unlike the
 * sandbox it models no behaviour of its own beyond that: one ticket (any id), one email integration.
 */

export const GORGIAS_FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'gorgias');

type Json = Record<string, unknown>;

export function loadGorgiasFixture<T = Json>(name: string): T {
  return JSON.parse(readFileSync(join(GORGIAS_FIXTURE_DIR, name), 'utf8')) as T;
}

export interface StandInOptions {
  username: string;
  apiKey: string;
  /** What `GET /api/tickets/:id` answers, with its id replaced by the one asked for: a fixture file or the object. */
  ticketFixture: string | Json;
  /** What `GET /api/integrations/:id` answers (default `integration-email.json`), its id replaced likewise. */
  integrationFixture?: string | Json;
  /** How long after a post Gorgias has sent the email and filled `sent_datetime` (default 300 ms). */
  sendDelayMs?: number;
  /** Posted emails fail instead: `failed_datetime` and `last_sending_error` get filled. */
  failSending?: boolean;
  /**
   * The ticket's datetimes are moved so its newest one lies this far in the past when the stand-in starts
   * (default 30 s: a ticket that has just come in). `null` keeps the fixture's datetimes.
   */
  ticketAgeMs?: number | null;
}

/** One message the service posted, as received and as Gorgias shows it now. */
export interface PostedMessage {
  ticketId: number;
  /** The request body, as the service sent it. */
  request: Json;
  receivedAt: Date;
  /** When Gorgias fills `sent_datetime` (or `failed_datetime`); notes and imports are settled at once. */
  settlesAt: Date;
  /** The message as `GET /api/tickets/:id/messages/:mid` answers it now. */
  current(): Json;
}

export interface RunningStandIn {
  /** The account URL, without `/api`, as GORGIAS_BASE_URL takes it. */
  url: string;
  /** Messages posted on a ticket, oldest first. */
  posted(ticketId: number): PostedMessage[];
  /** Tags added to a ticket (on top of the fixture's). */
  tagsAdded(ticketId: number): string[];
  /** Every call answered: method, path and status. */
  calls(): { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/** The fields `POST /api/tickets/:id/messages` accepts; Gorgias answers 400 to others (docs/gorgias.md). */
const MESSAGE_FIELDS = new Set([
  'actions',
  'attachments',
  'body_html',
  'body_text',
  'channel',
  'created_datetime',
  'external_id',
  'failed_datetime',
  'from_agent',
  'headers',
  'integration_id',
  'macros',
  'mention_ids',
  'message_id',
  'meta',
  'public',
  'receiver',
  'sender',
  'sent_datetime',
  'source',
  'subject',
  'via',
]);

/** API-key accounts: 40 calls, draining 2 per second (docs/gorgias.md, "Rate limits"). */
const BUCKET = { capacity: 40, drainPerSecond: 2 };

const DATETIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$/;

/** Gorgias's own format: microseconds and `+00:00`. */
export function gorgiasDatetime(at: Date | number): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

/** An instant from a Gorgias datetime; one without an offset is UTC. */
function instantOf(value: string): number {
  const match = DATETIME.exec(value);
  if (!match) return NaN;
  return Date.parse(`${match[1]}${(match[2] ?? '').slice(0, 4)}${match[3] ?? 'Z'}`);
}

/** Moves a datetime, keeping how it was written (fraction digits; offset or none). */
function shiftDatetime(value: string, deltaMs: number): string {
  const match = DATETIME.exec(value);
  const at = instantOf(value);
  if (!match || Number.isNaN(at)) return value;
  const subMs = (match[2] ?? '').slice(4);
  const moved = new Date(at + deltaMs).toISOString();
  const seconds = moved.slice(0, 19);
  const fraction = match[2] ? `.${moved.slice(20, 23)}${subMs}`.slice(0, match[2].length) : '';
  const suffix = match[3] === undefined ? '' : match[3] === 'Z' ? 'Z' : '+00:00';
  return `${seconds}${fraction}${suffix}`;
}

/** Visits every `*_datetime` string of a JSON value. */
function mapDatetimes(value: unknown, fn: (datetime: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => mapDatetimes(v, fn));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        key.endsWith('_datetime') && typeof v === 'string' ? fn(v) : mapDatetimes(v, fn),
      ]),
    );
  }
  return value;
}

/** The same JSON with every occurrence of one id (in ids, URIs, headers, markers, text) replaced by another. */
function withId<T>(value: T, from: number, to: number): T {
  if (from === to) return structuredClone(value);
  return JSON.parse(
    JSON.stringify(value).replace(new RegExp(`(?<!\\d)${from}(?!\\d)`, 'g'), String(to)),
  ) as T;
}

function errorBody(msg: string, data?: Json): Json {
  return { error: data ? { msg, data } : { msg } };
}

export async function startStandIn(options: StandInOptions): Promise<RunningStandIn> {
  const sendDelayMs = options.sendDelayMs ?? 300;
  const rawTicket =
    typeof options.ticketFixture === 'string'
      ? loadGorgiasFixture(options.ticketFixture)
      : options.ticketFixture;
  const integration =
    typeof options.integrationFixture === 'object'
      ? options.integrationFixture
      : loadGorgiasFixture(options.integrationFixture ?? 'integration-email.json');
  const createdTemplate = loadGorgiasFixture('message-created-answer.json');
  const failedTemplate = loadGorgiasFixture('message-failed.json');

  const ticketAgeMs = options.ticketAgeMs === undefined ? 30_000 : options.ticketAgeMs;
  let fixtureTicket = rawTicket;
  if (ticketAgeMs !== null) {
    const instants: number[] = [];
    mapDatetimes(rawTicket, (d) => {
      instants.push(instantOf(d));
      return d;
    });
    const newest = Math.max(...instants.filter((at) => !Number.isNaN(at)));
    const delta = Number.isFinite(newest) ? Date.now() - ticketAgeMs - newest : 0;
    fixtureTicket = mapDatetimes(rawTicket, (d) => shiftDatetime(d, delta)) as Json;
  }
  const fixtureId = fixtureTicket.id as number;
  const fixtureMessages = (fixtureTicket.messages ?? []) as Json[];
  const customer = (fixtureTicket.customer ?? null) as Json | null;

  const posted = new Map<number, PostedMessage[]>();
  const tags = new Map<number, string[]>();
  const calls: { method: string; path: string; status: number }[] = [];
  let nextMessageId = Math.max(0, ...fixtureMessages.map((m) => m.id as number)) + 1_000;
  let bucket = { level: 0, at: Date.now() };

  const messagesOf = (ticketId: number): Json[] =>
    [
      ...withId(fixtureMessages, fixtureId, ticketId),
      ...(posted.get(ticketId) ?? []).map((p) => p.current()),
    ].sort((a, b) => instantOf(String(a.created_datetime)) - instantOf(String(b.created_datetime)));

  const ticketOf = (ticketId: number): Json => {
    const ticket = withId(fixtureTicket, fixtureId, ticketId);
    const messages = messagesOf(ticketId);
    const extraTags = (tags.get(ticketId) ?? []).map((name, i) => ({
      id: 9_000 + i,
      name,
      uri: `/api/tags/${9_000 + i}/`,
      decoration: null,
    }));
    const last = messages.at(-1);
    return {
      ...ticket,
      messages,
      ...(last ? { last_message: last, last_message_datetime: last.created_datetime } : {}),
      tags: [...((ticket.tags ?? []) as Json[]), ...extraTags],
    };
  };

  const createMessage = (ticketId: number, body: Json): PostedMessage => {
    const id = nextMessageId++;
    const receivedAt = new Date();
    const isNote = body.channel === 'internal-note';
    const imported = typeof body.sent_datetime === 'string';
    const settlesAt = new Date(receivedAt.getTime() + (isNote || imported ? 0 : sendDelayMs));
    const source = (body.source ?? null) as Json | null;
    const sender = (body.sender ?? {}) as Json;
    const receiver = (body.receiver ?? null) as Json | null;
    const answer: Json = {
      ...createdTemplate,
      id,
      uri: `/api/tickets/${ticketId}/messages/${id}/`,
      ticket_id: ticketId,
      channel: body.channel,
      via: body.via,
      from_agent: body.from_agent,
      public: body.public ?? !isNote,
      external_id: body.external_id ?? null,
      integration_id: body.integration_id ?? null,
      subject: body.subject ?? (isNote ? null : ''),
      body_text: body.body_text ?? null,
      body_html: body.body_html ?? null,
      stripped_text: null,
      stripped_html: null,
      stripped_signature: null,
      sender: { ...(createdTemplate.sender as Json), ...sender },
      receiver:
        receiver && customer && receiver.id === customer.id
          ? {
              id: customer.id,
              email: customer.email,
              name: customer.name,
              firstname: customer.firstname,
              lastname: customer.lastname,
              meta: customer.meta,
            }
          : receiver,
      source: source
        ? {
            cc: [],
            bcc: [],
            ...source,
            ...(source.type === 'email' ? { extra: { include_thread: false } } : {}),
          }
        : null,
      mention_ids: body.mention_ids ?? [],
      attachments: body.attachments ?? [],
      headers: null,
      message_id: null,
      created_datetime: gorgiasDatetime(receivedAt),
      sent_datetime: imported ? body.sent_datetime : null,
      failed_datetime: null,
      last_sending_error: null,
    };
    const record: PostedMessage = {
      ticketId,
      request: body,
      receivedAt,
      settlesAt,
      current: () => {
        if (imported || Date.now() < settlesAt.getTime()) return structuredClone(answer);
        if (options.failSending && !isNote) {
          return {
            ...structuredClone(answer),
            failed_datetime: gorgiasDatetime(settlesAt),
            last_sending_error: failedTemplate.last_sending_error,
          };
        }
        const messageId = `<${settlesAt.getTime()}.${ticketId}-${id}@helpdesk-api-worker-stand-in>`;
        return {
          ...structuredClone(answer),
          sent_datetime: gorgiasDatetime(settlesAt),
          ...(isNote
            ? {}
            : {
                message_id: messageId,
                headers: { 'Message-Id': messageId, 'X-GORGIAS-TICKET-ID': String(ticketId) },
                stripped_text: answer.body_text,
                stripped_html: answer.body_html,
              }),
        };
      },
    };
    posted.set(ticketId, [...(posted.get(ticketId) ?? []), record]);
    return record;
  };

  const app = express();
  app.disable('x-powered-by');

  // The leaky bucket, and the headers Gorgias puts on every answer (docs/gorgias.md, "Rate limits").
  const rateLimit: RequestHandler = (req, res, next) => {
    const now = Date.now();
    bucket = {
      level: Math.max(0, bucket.level - ((now - bucket.at) / 1000) * BUCKET.drainPerSecond),
      at: now,
    };
    const full = bucket.level + 1 > BUCKET.capacity;
    if (!full) bucket.level += 1;
    const waitSeconds = full ? Math.ceil((bucket.level + 1 - BUCKET.capacity) / BUCKET.drainPerSecond) : 0;
    res.set('X-Gorgias-Account-Api-Call-Limit', `${Math.ceil(bucket.level)}/${BUCKET.capacity}`);
    res.set('Retry-After', String(waitSeconds));
    res.on('finish', () => calls.push({ method: req.method, path: req.path, status: res.statusCode }));
    if (full) {
      res.status(429).json(errorBody('Too many requests, retry later.'));
      return;
    }
    next();
  };

  const basicAuth: RequestHandler = (req, res, next) => {
    const match = /^Basic\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    const given = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : null;
    if (given !== `${options.username}:${options.apiKey}`) {
      res.status(401).json(errorBody('Unauthorized'));
      return;
    }
    next();
  };

  app.use(rateLimit, basicAuth, express.json({ limit: '1mb' }));

  const idParam = (value: unknown): number | null => {
    const text = String(value);
    return /^\d+$/.test(text) ? Number(text) : null;
  };
  const notFound = (res: Response) => res.status(404).json(errorBody('Not found'));

  app.get('/api/tickets/:id', (req, res) => {
    const ticketId = idParam(req.params.id);
    if (ticketId === null) return notFound(res);
    res.json(ticketOf(ticketId));
  });

  app.get('/api/tickets/:id/messages/:mid', (req, res) => {
    const ticketId = idParam(req.params.id);
    const messageId = idParam(req.params.mid);
    const message = ticketId === null ? undefined : messagesOf(ticketId).find((m) => m.id === messageId);
    if (!message) return notFound(res);
    res.json(message);
  });

  app.get('/api/messages', (req, res) => {
    const ticketId = idParam(req.query.ticket_id);
    if (ticketId === null)
      return res.status(400).json(errorBody('Invalid ticket_id', { ticket_id: ['Not a valid integer.'] }));
    const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 30) || 30));
    const ascending = req.query.order_by === 'created_datetime:asc';
    const all = messagesOf(ticketId);
    if (!ascending) all.reverse();
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : null;
    const start = cursor ? Number(JSON.parse(Buffer.from(cursor, 'base64').toString('utf8'))[1]) : 0;
    const page = all.slice(start, start + limit);
    const cursorTo = (offset: number) => Buffer.from(JSON.stringify(['next', offset])).toString('base64');
    res.json({
      object: 'list',
      uri: req.originalUrl,
      data: page,
      meta: {
        prev_cursor: start > 0 ? cursorTo(Math.max(0, start - limit)) : null,
        next_cursor: start + limit < all.length ? cursorTo(start + limit) : null,
      },
    });
  });

  app.post('/api/tickets/:id/messages', (req, res) => {
    const ticketId = idParam(req.params.id);
    if (ticketId === null) return notFound(res);
    const body = (req.body ?? {}) as Json;
    const unknown = Object.keys(body).filter((key) => !MESSAGE_FIELDS.has(key));
    const problems: Record<string, string[]> = Object.fromEntries(
      unknown.map((key) => [key, ['Unknown field.']]),
    );
    if (typeof body.channel !== 'string') problems.channel = ['Missing data for required field.'];
    if (typeof body.via !== 'string') problems.via = ['Missing data for required field.'];
    if (typeof body.from_agent !== 'boolean') problems.from_agent = ['Missing data for required field.'];
    if (Object.keys(problems).length > 0) return res.status(400).json(errorBody('Invalid request', problems));
    res.status(201).json(createMessage(ticketId, body).current());
  });

  app.post('/api/tickets/:id/tags', (req, res) => {
    const ticketId = idParam(req.params.id);
    if (ticketId === null) return notFound(res);
    const names = (req.body as Json | undefined)?.names;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
      return res.status(400).json(errorBody('Invalid request', { names: ['Not a valid list.'] }));
    const known = tags.get(ticketId) ?? [];
    tags.set(ticketId, [...known, ...names.filter((n: string) => !known.includes(n))]);
    res.status(201).json({});
  });

  // The older way to tag (read the tags, then replace them all), still what the client may use.
  app.put('/api/tickets/:id', (req, res) => {
    const ticketId = idParam(req.params.id);
    if (ticketId === null) return notFound(res);
    const given = (req.body as Json | undefined)?.tags;
    if (Array.isArray(given)) {
      const fixtureTags = ((fixtureTicket.tags ?? []) as Json[]).map((t) => t.name);
      const names = given.map((t: Json) => String(t.name)).filter((n) => !fixtureTags.includes(n));
      tags.set(ticketId, names);
    }
    res.json(ticketOf(ticketId));
  });

  app.get('/api/integrations/:id', (req, res) => {
    const integrationId = idParam(req.params.id);
    if (integrationId === null) return notFound(res);
    res.json(withId(integration, integration.id as number, integrationId));
  });

  app.use((_req, res) => notFound(res));
  const onError: ErrorRequestHandler = (err: { status?: number }, _req, res, _next) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    res.status(status).json(errorBody(status === 500 ? 'Internal server error' : 'Invalid request'));
  };
  app.use(onError);

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    posted: (ticketId) => [...(posted.get(ticketId) ?? [])],
    tagsAdded: (ticketId) => [...(tags.get(ticketId) ?? [])],
    calls: () => [...calls],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
