import type { NewMessage } from '../../gorgias/schemas';
import { parseGorgiasDatetime } from '../../gorgias/datetime';
import { ticketDatetime, type Tag } from './objects';
import type { SendableMessage, Outbox } from './sending';
import type { Listed } from './store';

/**
 * Replay mode: the sandbox answers with real-shaped Gorgias objects given to it (test/fixtures/gorgias) as they
 * are, instead of its own. Any ticket id answers the fixture ticket with its id replaced (in ids, URIs,
 * headers, markers and text) and its datetimes moved to just now; any integration id the fixture
 * integration. A posted message is built on a real created-message answer and sent by the sandbox's outbox;
 * tags added join the fixture's. Auth, rate limit, faults, stats and the controls stay the sandbox's.
 */

export type Json = Record<string, unknown>;

export interface ReplayFixtures {
  /** `GET /api/tickets/{id}` for any id: the fixture's id replaced by the one asked for. */
  ticket: Json;
  /** `GET /api/integrations/{id}` for any id, its id replaced likewise. */
  integration: Json;
  /** A `201` answer of `POST /api/tickets/{id}/messages`: the fields a posted message has besides those sent. */
  createdMessage: Json;
  /**
   * The ticket's datetimes are moved (by whole seconds) so its newest lies this far in the past, and less than a
   * second more, when the sandbox starts (default 30 s: a ticket that has just come in); `null` keeps the fixture's.
   */
  ticketAgeMs?: number | null;
}

type PostedMessage = Json & SendableMessage;

interface Posted {
  message: PostedMessage;
  /** Sent by the outbox (not a note, not an import): gets what Gorgias adds to a sent email. */
  outgoing: boolean;
}

export class ReplayedAccount {
  private readonly ticket: Json;
  private readonly fixtureId: number;
  private readonly fixtureMessages: Json[];
  private readonly customer: Json | null;
  private posted = new Map<number, Posted[]>();
  private tags = new Map<number, string[]>();
  private nextMessageId: number;

  constructor(
    private readonly fixtures: ReplayFixtures,
    private readonly now: () => number,
    private readonly outbox: Outbox,
  ) {
    const ageMs = fixtures.ticketAgeMs === undefined ? 30_000 : fixtures.ticketAgeMs;
    this.ticket =
      ageMs === null ? structuredClone(fixtures.ticket) : movedToAge(fixtures.ticket, ageMs, now());
    this.fixtureId = Number(this.ticket.id);
    this.fixtureMessages = (this.ticket.messages ?? []) as Json[];
    this.customer = (this.ticket.customer ?? null) as Json | null;
    this.nextMessageId = Math.max(0, ...this.fixtureMessages.map((m) => Number(m.id) || 0)) + 1_000;
  }

  /** Forgets what was posted and tagged; pending sends are the outbox's to cancel. */
  reset(): void {
    this.posted.clear();
    this.tags.clear();
  }

  /** The fixture ticket as ticket `ticketId`, with the messages posted and tags added since. */
  getTicket(ticketId: number): Json {
    const ticket = withId(this.ticket, this.fixtureId, ticketId);
    const messages = this.messagesOf(ticketId);
    const last = messages.at(-1);
    return {
      ...ticket,
      messages,
      ...(last ? { last_message: last, last_message_datetime: last.created_datetime } : {}),
      tags: this.tagsOf(ticketId),
    };
  }

  /** The ticket's messages as Gorgias shows them now, oldest first. */
  messagesOf(ticketId: number): Json[] {
    return this.listMessages(ticketId)
      .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1])
      .map((m) => m.value);
  }

  listMessages(ticketId: number): Listed<Json>[] {
    const messages = [
      ...withId(this.fixtureMessages, this.fixtureId, ticketId),
      ...(this.posted.get(ticketId) ?? []).map(current),
    ];
    return messages.map((value) => ({
      key: [parseGorgiasDatetime(value.created_datetime) ?? 0, Number(value.id)],
      value,
    }));
  }

  getMessage(ticketId: number, messageId: number): Json | undefined {
    return this.messagesOf(ticketId).find((m) => m.id === messageId);
  }

  /** Records a message as Gorgias answers its creation; an outgoing email is then sent by the outbox. */
  addMessage(ticketId: number, input: NewMessage): Json {
    const id = this.nextMessageId++;
    const isNote = input.channel === 'internal-note';
    const imported = input.sent_datetime !== undefined;
    const template = this.fixtures.createdMessage;
    const message: PostedMessage = {
      ...structuredClone(template),
      id,
      uri: `/api/tickets/${ticketId}/messages/${id}/`,
      ticket_id: ticketId,
      channel: input.channel,
      via: input.via,
      from_agent: input.from_agent,
      public: input.public ?? !isNote,
      external_id: input.external_id ?? null,
      integration_id: input.integration_id ?? null,
      subject: input.subject ?? (isNote ? null : ''),
      body_text: input.body_text ?? null,
      body_html: input.body_html ?? null,
      stripped_text: null,
      stripped_html: null,
      stripped_signature: null,
      sender: { ...(template.sender as Json), ...input.sender },
      receiver: this.receiverOf(input.receiver),
      source: input.source
        ? {
            cc: [],
            bcc: [],
            ...input.source,
            ...(input.source.type === 'email' ? { extra: { include_thread: false } } : {}),
          }
        : null,
      mention_ids: input.mention_ids ?? [],
      attachments: [],
      headers: null,
      message_id: null,
      created_datetime: ticketDatetime(this.now()),
      sent_datetime: imported ? (input.sent_datetime ?? null) : null,
      failed_datetime: null,
      last_sending_error: null,
    };
    const outgoing = !isNote && !imported;
    // Notes count as sent when created (inferred, as in the sandbox's own messages).
    if (isNote && !imported) message.sent_datetime = message.created_datetime as string;
    this.posted.set(ticketId, [...(this.posted.get(ticketId) ?? []), { message, outgoing }]);
    if (outgoing) this.outbox.send(message, ticketDatetime);
    return current({ message, outgoing });
  }

  /** Adds tags by name to the ticket's (the fixture's stay); returns its tags. */
  addTags(ticketId: number, names: readonly string[]): Tag[] {
    const known = this.tags.get(ticketId) ?? [];
    this.tags.set(ticketId, [...known, ...names.filter((name) => !known.includes(name))]);
    return this.tagsOf(ticketId);
  }

  /** The fixture integration as integration `integrationId`. */
  getIntegration(integrationId: number): Json {
    const integration = this.fixtures.integration;
    return withId(integration, Number(integration.id), integrationId);
  }

  private tagsOf(ticketId: number): Tag[] {
    const added = (this.tags.get(ticketId) ?? []).map((name, i) => ({
      id: 9_000 + i,
      name,
      uri: `/api/tags/${9_000 + i}/`,
      decoration: null,
    }));
    return [...((this.ticket.tags ?? []) as Tag[]), ...added];
  }

  /** The customer as Gorgias shows a receiver, when the message names them; else as given. */
  private receiverOf(receiver: NewMessage['receiver']): Json | null {
    const customer = this.customer;
    if (!receiver) return null;
    if (!customer || receiver.id !== customer.id) return { ...receiver };
    const { id, email, name, firstname, lastname, meta } = customer;
    return { id, email, name, firstname, lastname, meta };
  }
}

/** A posted message as it reads now: once sent, with the carrier's id and headers Gorgias adds. */
function current({ message, outgoing }: Posted): Json {
  const copy = structuredClone(message);
  const sentAt = parseGorgiasDatetime(message.sent_datetime);
  if (!outgoing || sentAt === null) return copy;
  const messageId = `<${sentAt}.${String(message.ticket_id)}-${String(message.id)}@helpdesk-api-worker-sandbox>`;
  return {
    ...copy,
    message_id: messageId,
    headers: { 'Message-Id': messageId, 'X-GORGIAS-TICKET-ID': String(message.ticket_id) },
    stripped_text: copy.body_text,
    stripped_html: copy.body_html,
  };
}

/** The same JSON with every occurrence of one id (in ids, URIs, headers, markers, text) replaced by another. */
function withId<T>(value: T, from: number, to: number): T {
  if (from === to) return structuredClone(value);
  return JSON.parse(
    JSON.stringify(value).replace(new RegExp(`(?<!\\d)${from}(?!\\d)`, 'g'), String(to)),
  ) as T;
}

/** The ticket with every datetime moved by one amount, so that its newest lies `ageMs` (and under 1 s) before `now`. */
function movedToAge(ticket: Json, ageMs: number, now: number): Json {
  const instants: number[] = [];
  mapDatetimes(ticket, (datetime) => {
    const at = parseGorgiasDatetime(datetime);
    if (at !== null) instants.push(at);
    return datetime;
  });
  if (instants.length === 0) return structuredClone(ticket);
  // Whole seconds, so that a datetime written without a fraction moves as much as the others.
  const delta = Math.floor((now - ageMs - Math.max(...instants)) / 1000) * 1000;
  return mapDatetimes(ticket, (datetime) => shiftDatetime(datetime, delta)) as Json;
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

const DATETIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$/;

/** Moves a datetime, keeping how it was written: as many fraction digits, an offset or none. */
function shiftDatetime(value: string, deltaMs: number): string {
  const match = DATETIME.exec(value);
  const at = parseGorgiasDatetime(value);
  if (!match || at === null) return value;
  const [, , fraction, offset] = match;
  const moved = new Date(at + deltaMs).toISOString();
  // Digits past the milliseconds are kept as written.
  const movedFraction = fraction
    ? `.${moved.slice(20, 23)}${fraction.slice(4)}`.slice(0, fraction.length)
    : '';
  const suffix = offset === undefined ? '' : offset === 'Z' ? 'Z' : '+00:00';
  return `${moved.slice(0, 19)}${movedFraction}${suffix}`;
}
