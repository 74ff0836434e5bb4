import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ticketFacts } from '../../src/reply/facts';
import {
  integrationSchema,
  messageListSchema,
  messageSchema,
  ticketListSchema,
  ticketSchema,
} from '../../src/gorgias/schemas';
import { loadPolicy } from '../../src/policy/load';
import { parseDelivery } from '../../src/server/delivery';
import { decideAutoReply } from '../../src/reply/decision';
import { REPO_ROOT, sourceModuleInChild } from '../../harness/repo';
import { GORGIAS_FIXTURE_DIR, loadGorgiasFixture } from '../support/gorgias-fixtures';

/**
 * The service's readers against payloads shaped like the ones Gorgias really sends (see
 * test/fixtures/gorgias/README.md). The folder is read, so a new fixture is covered by its name's prefix.
 */

const FIXTURE_DIR = GORGIAS_FIXTURE_DIR;

type Kind = 'ticket' | 'message' | 'message-list' | 'ticket-list' | 'integration' | 'delivery';
const PREFIXES: [string, Kind][] = [
  ['ticket-', 'ticket'],
  ['message-', 'message'],
  ['messages-list', 'message-list'],
  ['tickets-list', 'ticket-list'],
  ['integration-', 'integration'],
  ['context-', 'delivery'],
  ['template-', 'delivery'],
];
const kindOf = (file: string): Kind | undefined => PREFIXES.find(([prefix]) => file.startsWith(prefix))?.[1];

const fixtureFiles = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const filesOf = (kind: Kind) => fixtureFiles.filter((f) => kindOf(f) === kind);

/** The few raw fields the assertions compare with (the fixture as Gorgias sent it, before any reader). */
interface RawMessage {
  id: number;
  channel: string;
  from_agent: boolean;
  public?: boolean;
  integration_id: number | null;
  sent_datetime: string | null;
  failed_datetime: string | null;
  external_id?: string | null;
}
interface RawTicket {
  id: number;
  customer: { email: string | null } | null;
  messages?: RawMessage[];
  created_datetime: string;
  trashed_datetime: string | null;
}
interface RawList<T> {
  data: T[];
  meta: { next_cursor: string | null; prev_cursor: string | null };
}
interface RawDelivery {
  ticket_id?: string;
  ticket?: RawTicket & { subject: string | null };
  message?: RawMessage;
}

const load = <T>(file: string): T => loadGorgiasFixture<T>(file);

/** Parses a fixture, failing with zod's own account of what it could not read. */
function read<S extends z.ZodType>(schema: S, file: string): z.infer<S> {
  const result = schema.safeParse(load<unknown>(file));
  if (!result.success) throw new Error(`${file} is not readable:\n${z.prettifyError(result.error)}`);
  return result.data;
}

const factsOf = (file: string) => ticketFacts(read(ticketSchema, file));

/** A Gorgias datetime as an instant: without an offset it is UTC (docs/gorgias.md, "Reading answers"). */
const utc = (datetime: string) =>
  Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(datetime) ? datetime : `${datetime}Z`);

const isInternalNote = (m: RawMessage) => m.channel === 'internal-note' || m.public === false;
const lastCustomerMessage = (ticket: RawTicket) =>
  (ticket.messages ?? []).filter((m) => !m.from_agent && !isInternalNote(m)).at(-1);

describe('the Gorgias fixtures folder', () => {
  it('names every fixture by what it is, so a test reads it', () => {
    expect(fixtureFiles.filter((f) => kindOf(f) === undefined)).toEqual([]);
    expect(fixtureFiles.length).toBeGreaterThan(0);
  });

  it('says in its README where each fixture comes from', () => {
    const readme = readFileSync(join(FIXTURE_DIR, 'README.md'), 'utf8');
    expect(fixtureFiles.filter((f) => !readme.includes(`\`${f}\``))).toEqual([]);
  });
});

describe('tickets as GET /api/tickets/{id} answers them', () => {
  const files = filesOf('ticket');
  const policy = loadPolicy();

  it.each(files)('%s is readable with ticketSchema', (file) => {
    const ticket = read(ticketSchema, file);
    const raw = load<RawTicket>(file);
    expect(ticket.id).toBe(raw.id);
    expect(ticket.messages.map((m) => m.id)).toEqual((raw.messages ?? []).map((m) => m.id));
  });

  it.each(files)('%s: the facts name the customer and their latest message', (file) => {
    const raw = load<RawTicket>(file);
    const facts = factsOf(file);
    expect(facts.ticketId).toBe(raw.id);
    expect(facts.customer?.email).toBe(raw.customer?.email);
    const last = lastCustomerMessage(raw);
    expect(facts.lastCustomerMessage?.id).toBe(last?.id);
    expect(facts.lastCustomerMessage?.integrationId ?? null).toBe(last?.integration_id ?? null);
  });

  // The decision reads the time with Date.parse, which takes an offset-less datetime as local time: the facts
  // must carry an explicit offset, or a worker outside UTC would misjudge the ticket's age.
  it.each(files)('%s: the creation time is read as UTC, with or without an offset', (file) => {
    const raw = load<RawTicket>(file);
    const facts = factsOf(file);
    expect(facts.createdAt).toMatch(/(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(facts.createdAt ?? '')).toBe(utc(raw.created_datetime));
  });

  it('a plain new email from a customer gets a reply', () => {
    const facts = factsOf('ticket-new-email.json');
    expect(facts).toMatchObject({
      channel: 'email',
      spam: false,
      openedByAgent: false,
      emailAnswerable: true,
      agentReplied: false,
      ruleReplied: false,
      autoReplyPresent: false,
      automatedMail: null,
      customer: { email: 'dana.lee@example.org', firstName: 'Dana', name: 'Dana Lee' },
      lastCustomerMessage: {
        id: 31337001,
        integrationId: 66001,
        supportAddress: { address: 'support@shop.example.com', name: 'Shop Support' },
      },
    });
    const now = Date.parse(facts.createdAt ?? '') + 60_000;
    expect(decideAutoReply(facts, policy, now)).toEqual({ reply: true });
  });

  describe('the untidy ticket (offset-less datetimes, "" ids, a Rule note without source, Shopify data)', () => {
    it("does not take the Rule's internal note for a reply", () => {
      const facts = factsOf('ticket-untidy.json');
      expect(facts.ruleReplied).toBe(false);
      expect(facts.agentReplied).toBe(false);
      expect(facts.autoReplyPresent).toBe(false);
      expect(facts.lastCustomerMessage?.id).toBe(31337101);
    });

    it('knows the customer by email when Gorgias has no name for them (firstname "", name null)', () => {
      const facts = factsOf('ticket-untidy.json');
      expect(facts.customer).toEqual({
        id: 9002,
        email: 'm.okafor@example.org',
        firstName: null,
        name: null,
      });
    });

    it('still sees that email can answer it, next to an odd reply_options entry', () => {
      expect(factsOf('ticket-untidy.json').emailAnswerable).toBe(true);
    });

    it('is answered like any other new ticket', () => {
      const facts = factsOf('ticket-untidy.json');
      const now = utc('2020-01-27T10:43:21.468912');
      expect(decideAutoReply(facts, policy, now)).toEqual({ reply: true });
    });

    it("is still answered when the Rule's note comes first and the ticket does not say who opened it", () => {
      const raw = load<RawTicket & { messages: RawMessage[] }>('ticket-untidy.json');
      const [customerMessage, ruleNote] = raw.messages;
      // The note stamped a second before the customer's message (a Rule on ticket creation), and listed first.
      const noteFirst = { ...ruleNote, created_datetime: '2020-01-27T10:42:20.468912' };
      const ticket = ticketSchema.parse({ ...raw, from_agent: null, messages: [noteFirst, customerMessage] });
      const facts = ticketFacts(ticket);
      expect(facts.openedByAgent).toBe(false);
      expect(decideAutoReply(facts, policy, utc('2020-01-27T10:43:21.468912'))).toEqual({ reply: true });
    });
  });

  it("keeps the integration of the customer's message when they wrote to several addresses", () => {
    const facts = factsOf('ticket-several-addresses.json');
    expect(facts.customer?.email).toBe('priya.raman@example.org');
    expect(facts.lastCustomerMessage?.id).toBe(31337201);
    expect(facts.lastCustomerMessage?.integrationId).toBe(66001);
    const now = Date.parse(facts.createdAt ?? '') + 60_000;
    expect(decideAutoReply(facts, policy, now)).toEqual({ reply: true });
  });

  it("answers the customer's address they wrote from: theirs, else their main one; the support guess skips Gorgias and them", () => {
    const facts = factsOf('ticket-several-addresses.json');
    expect(facts.replyTo).toEqual({
      address: 'priya.raman@example.org',
      name: 'Priya Raman',
      lastMessage: false,
    });
    // The forwarding address (…@email.gorgias.com) is listed first: the guess is the support address after it.
    expect(facts.lastCustomerMessage?.supportAddress?.address).toBe('support@shop.example.com');

    // The same customer, with a second address, writing from it (and cc'ing the first).
    type WithSource = RawMessage & { source: object };
    const raw = load<
      Omit<RawTicket, 'customer' | 'messages'> & { customer: { channels: object[] }; messages: WithSource[] }
    >('ticket-several-addresses.json');
    const work = 'P.Raman@work.example';
    const channels = [
      ...raw.customer.channels,
      { id: 90038, type: 'email', address: work, preferred: false },
    ];
    const messages = raw.messages.map((m) =>
      m.from_agent
        ? m
        : {
            ...m,
            source: {
              ...m.source,
              from: { address: work.toLowerCase(), name: 'Priya Raman' },
              cc: [{ address: 'priya.raman@example.org', name: 'Priya Raman' }],
            },
          },
    );
    const fromWork = ticketFacts(
      ticketSchema.parse({ ...raw, customer: { ...raw.customer, channels }, messages }),
    );
    expect(fromWork.replyTo).toEqual({ address: work, name: 'Priya Raman', lastMessage: true });
    expect(fromWork.lastCustomerMessage?.supportAddress?.address).toBe('support@shop.example.com');

    // Writing from an address that is not one of theirs (a colleague's): their main one.
    const stranger = messages.map((m) =>
      m.from_agent ? m : { ...m, source: { ...m.source, from: { address: 'colleague@work.example' } } },
    );
    expect(ticketFacts(ticketSchema.parse({ ...raw, messages: stranger })).replyTo?.address).toBe(
      'priya.raman@example.org',
    );
  });

  it('reads a trashed ticket as trashed, and the others as not', () => {
    for (const file of files) {
      const raw = load<RawTicket>(file);
      expect({ file, trashed: factsOf(file).trashed }).toEqual({ file, trashed: !!raw.trashed_datetime });
    }
    expect(factsOf('ticket-trashed.json').trashed).toBe(true);
  });

  // Gorgias does not document the order of the messages a ticket embeds: the facts must not depend on it. The
  // ticket's own from_agent is left out, so that who opened it is read from the messages too.
  it.each(files)(
    '%s: the same facts whether its messages are listed oldest first, newest first or shuffled',
    (file) => {
      const raw = load<RawTicket>(file);
      const messages = raw.messages ?? [];
      const factsWith = (listed: RawMessage[]) =>
        ticketFacts(ticketSchema.parse({ ...raw, from_agent: null, messages: listed }), policy.orders);
      const oldestFirst = factsWith(messages);
      expect(factsWith([...messages].reverse())).toEqual(oldestFirst);
      expect(
        factsWith([...messages.filter((_, i) => i % 2), ...messages.filter((_, i) => i % 2 === 0)]),
      ).toEqual(oldestFirst);
    },
  );

  it('reads the long thread listed newest first as oldest first: our reply found, the last customer message the latest', () => {
    const raw = load<RawTicket>('ticket-long-thread.json');
    const facts = ticketFacts(
      ticketSchema.parse({ ...raw, from_agent: null, messages: [...(raw.messages ?? [])].reverse() }),
    );
    expect(facts).toMatchObject({ openedByAgent: false, autoReplyPresent: true, agentReplied: true });
    expect(facts.lastCustomerMessage?.id).toBe(31337408);
  });

  it('finds our earlier auto-reply in a long thread, and counts an agent reply with rule_id "" as an agent\'s', () => {
    const facts = factsOf('ticket-long-thread.json');
    expect(facts.autoReplyPresent).toBe(true);
    expect(facts.agentReplied).toBe(true);
    expect(facts.ruleReplied).toBe(false);
    expect(facts.lastCustomerMessage?.id).toBe(31337408);
    const now = Date.parse(facts.createdAt ?? '') + 60_000;
    expect(decideAutoReply(facts, policy, now)).toEqual({ reply: false, reason: 'already-auto-replied' });
  });

  it('does not count our reply as an answer when Gorgias failed to send it', () => {
    const raw = load<RawTicket>('ticket-long-thread.json');
    const failed = (raw.messages ?? []).map((m) =>
      String(m.external_id ?? '').startsWith('gorgias-autoreply:reply:')
        ? {
            ...m,
            sent_datetime: null,
            failed_datetime: '2025-03-04T09:13:10.000000',
            last_sending_error: 'bounced',
          }
        : m,
    );
    expect(failed).not.toEqual(raw.messages);
    expect(ticketFacts(ticketSchema.parse({ ...raw, messages: failed })).autoReplyPresent).toBe(false);
  });

  it('says whether a note of ours is on the ticket (a workflow of it ran before), and only of ours', () => {
    const raw = load<RawTicket>('ticket-long-thread.json');
    const note = (externalId: string) => ({
      ...(raw.messages ?? [])[0],
      id: 99_000_001,
      channel: 'internal-note',
      public: false,
      from_agent: true,
      external_id: externalId,
    });
    const withNote = (externalId: string | null) =>
      ticketFacts(
        ticketSchema.parse({ ...raw, messages: [...(raw.messages ?? []), note(externalId ?? '')] }),
      );
    expect(withNote(`gorgias-autoreply:note:${raw.id}:skipped:run-1`).notedBefore).toBe(true);
    expect(withNote(`gorgias-autoreply:note:${Number(raw.id) + 1}:skipped:run-1`).notedBefore).toBe(false);
    expect(withNote(null).notedBefore).toBe(false);
  });
});

describe('messages as POST and GET /api/tickets/{id}/messages answer them', () => {
  it.each(filesOf('message'))('%s is readable with messageSchema', (file) => {
    const raw = load<RawMessage>(file);
    const message = read(messageSchema, file);
    expect(message).toMatchObject({ id: raw.id, channel: raw.channel, from_agent: raw.from_agent });
  });

  it('the create answer says the message is not sent yet', () => {
    const created = read(messageSchema, 'message-created-answer.json');
    expect(created.sent_datetime ?? null).toBeNull();
    expect(created.failed_datetime ?? null).toBeNull();
  });

  it('the message read later says when it was sent', () => {
    const sent = read(messageSchema, 'message-sent.json');
    expect(sent.sent_datetime).toBe('2025-03-05T16:20:12.637Z');
    expect(sent.failed_datetime ?? null).toBeNull();
  });

  it('a message that could not be sent says when it failed', () => {
    const failed = read(messageSchema, 'message-failed.json');
    expect(failed.failed_datetime).toBe('2025-03-05T16:20:14.090Z');
    expect(failed.sent_datetime ?? null).toBeNull();
  });
});

describe('lists', () => {
  it.each(filesOf('message-list'))('%s is readable with messageListSchema, cursor included', (file) => {
    const raw = load<RawList<RawMessage>>(file);
    const list = read(messageListSchema, file);
    expect(list.data.map((m) => m.id)).toEqual(raw.data.map((m) => m.id));
    expect(list.meta?.next_cursor ?? null).toBe(raw.meta.next_cursor);
  });

  it.each(filesOf('ticket-list'))('%s is readable with ticketListSchema, cursor included', (file) => {
    const raw = load<RawList<RawTicket>>(file);
    const list = read(ticketListSchema, file);
    expect(list.data.map((t) => t.id)).toEqual(raw.data.map((t) => t.id));
    expect(list.meta?.next_cursor ?? null).toBe(raw.meta.next_cursor);
  });
});

describe('integrations as GET /api/integrations/{id} answers them', () => {
  it.each(filesOf('integration'))('%s is readable with integrationSchema, with its address', (file) => {
    const raw = load<{ id: number; type: string; meta: { address: string } }>(file);
    const integration = read(integrationSchema, file);
    expect(integration.id).toBe(raw.id);
    expect(integration.type).toBe(raw.type);
    expect(integration.meta?.address).toBe(raw.meta.address);
  });
});

describe('webhook bodies as an HTTP integration sends them', () => {
  it.each(filesOf('delivery'))('%s is accepted, for the right ticket', (file) => {
    const raw = load<RawDelivery>(file);
    const parsed = parseDelivery(raw, {});
    expect(parsed).toMatchObject({
      ok: true,
      delivery: { ticketId: Number(raw.ticket?.id ?? raw.ticket_id) },
    });
  });

  it.each(filesOf('delivery'))('%s: an internal note or our own side is not answered', (file) => {
    const raw = load<RawDelivery>(file);
    const parsed = parseDelivery(raw, {});
    if (!parsed.ok) throw new Error(`${file} was refused: ${JSON.stringify(parsed.problems)}`);
    if (raw.message && isInternalNote(raw.message))
      expect(parsed.delivery.ignoreReason).toBe('internal-note');
    else if (raw.message?.from_agent) expect(parsed.delivery.ignoreReason).not.toBeNull();
    else expect(parsed.delivery.ignoreReason).toBeNull();
  });

  it('the whole context of a new ticket gives the customer and subject for display', () => {
    const parsed = parseDelivery(load('context-ticket-created.json'), {});
    expect(parsed).toEqual({
      ok: true,
      delivery: {
        ticketId: 4815180,
        trigger: null,
        ignoreReason: null,
        customerEmail: 'priya.raman@example.org',
        subject: 'Damaged parcel - order #1187',
      },
    });
  });

  it("a Rule's internal note is ignored", () => {
    const parsed = parseDelivery(load('context-internal-note-created.json'), {});
    expect(parsed).toMatchObject({
      ok: true,
      delivery: { ticketId: 4815170, ignoreReason: 'internal-note' },
    });
  });

  it('a failed outgoing message is not answered', () => {
    const parsed = parseDelivery(load('context-ticket-message-failed.json'), {});
    expect(parsed).toMatchObject({ ok: true, delivery: { ticketId: 4815180 } });
    expect(parsed.ok && parsed.delivery.ignoreReason).not.toBeNull();
  });

  it('the default template sends the id as a string', () => {
    expect(parseDelivery(load('template-ticket-id.json'), {})).toMatchObject({
      ok: true,
      delivery: { ticketId: 4815162, ignoreReason: null },
    });
  });
});

describe('Gorgias datetimes', () => {
  it('an offset-less datetime is read as UTC, whatever the machine time zone', () => {
    // Jest gives each file its own copy of process.env, so the reader runs in a child process in New York.
    const script = `
      ${sourceModuleInChild('src/gorgias/datetime.ts', 'datetime')}
      const offset = new Date(2020, 0, 27, 10).getTimezoneOffset();
      const read = datetime.parseGorgiasDatetime('2020-01-27T10:42:21.468912');
      const normalised = datetime.normalizeGorgiasDatetime('2020-01-27T10:42:21.468912');
      const withOffset = datetime.parseGorgiasDatetime('2020-01-27T10:42:21+02:00');
      process.stdout.write(JSON.stringify({ offset, read, normalised, withOffset }));`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, TZ: 'America/New_York' },
      cwd: REPO_ROOT,
    });
    expect(JSON.parse(out.toString())).toEqual({
      offset: 300, // the child really runs in New York
      read: Date.UTC(2020, 0, 27, 10, 42, 21, 468),
      normalised: '2020-01-27T10:42:21.468Z',
      withOffset: Date.UTC(2020, 0, 27, 8, 42, 21),
    });
    expect(
      ticketSchema.parse({ id: 1, created_datetime: '2020-01-27T10:42:21.468912' }).created_datetime,
    ).toBe('2020-01-27T10:42:21.468Z');
  });
});
