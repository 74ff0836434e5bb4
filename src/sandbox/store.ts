import type { NewMessage, NewTicket, TicketUpdate } from '../gorgias/schemas';
import {
  gorgiasDatetime,
  replyOptionsFor,
  type Customer,
  type Message,
  type MessageSource,
  type Person,
  type Tag,
  type Ticket,
} from './objects';
import type { SortKey } from './pagination';

/**
 * The sandbox's account data, in memory: customers, tickets and their messages. Requests are validated
 * before they get here. Everything handed out is a copy, so an answer cannot change after it was built.
 */

export type TicketSummary = Omit<Ticket, 'messages'>;

export interface Listed<T> {
  key: SortKey;
  value: T;
}

interface StoredTicket {
  createdAt: number;
  ticket: TicketSummary;
  messageIds: number[];
}

interface StoredMessage {
  createdAt: number;
  message: Message;
}

// Separate id ranges make a ticket id passed where a message id belongs fail loudly.
const FIRST_IDS = { customer: 501, customerChannel: 801, ticket: 1001, message: 100001, tag: 1 };

export class SandboxStore {
  private customers = new Map<string, Customer>();
  private tickets = new Map<number, StoredTicket>();
  private messages = new Map<number, StoredMessage>();
  private tags = new Map<string, Tag>();
  private nextIds: typeof FIRST_IDS;
  // Bumped by reset, so a send scheduled before it cannot touch a message created after it.
  private generation = 0;

  constructor(
    private readonly now: () => number,
    firstTicketId: number = FIRST_IDS.ticket,
  ) {
    this.nextIds = { ...FIRST_IDS, ticket: firstTicketId };
  }

  reset(): void {
    this.customers.clear();
    this.tickets.clear();
    this.messages.clear();
    this.tags.clear();
    // Ids are never reused, as in a real account: a ticket id seen before reset may still name a workflow.
    this.generation += 1;
  }

  createTicket(input: NewTicket): Ticket {
    const createdAt = input.created_datetime !== undefined ? Date.parse(input.created_datetime) : this.now();
    const created = gorgiasDatetime(createdAt);
    const customer = this.customerFor(input.customer);
    const [first] = input.messages;
    const channel = input.channel ?? first?.channel ?? 'api';
    const status = input.status ?? 'open';
    const id = this.nextIds.ticket++;
    const stored: StoredTicket = {
      createdAt,
      messageIds: [],
      ticket: {
        id,
        uri: `/api/tickets/${id}/`,
        external_id: input.external_id ?? null,
        status,
        priority: 'normal',
        channel,
        via: input.via ?? first?.via ?? 'api',
        from_agent: input.from_agent ?? first?.from_agent ?? false,
        spam: input.spam ?? false,
        subject: input.subject ?? first?.subject ?? null,
        language: input.language ?? null,
        customer,
        assignee_user: null,
        assignee_team: null,
        tags: (input.tags ?? []).map((tag) => this.tagNamed(tag.name)),
        meta: null,
        reply_options: replyOptionsFor(channel, customer.email),
        satisfaction_survey: null,
        is_unread: true,
        created_datetime: created,
        opened_datetime: null,
        updated_datetime: created,
        last_message_datetime: null,
        last_received_message_datetime: null,
        closed_datetime: status === 'closed' ? created : null,
        snooze_datetime: null,
        trashed_datetime: null,
      },
    };
    this.tickets.set(id, stored);
    for (const message of input.messages) this.record(stored, message, createdAt);
    return this.render(stored);
  }

  hasTicket(ticketId: number): boolean {
    return this.tickets.has(ticketId);
  }

  getTicket(ticketId: number): Ticket | undefined {
    const stored = this.tickets.get(ticketId);
    return stored && this.render(stored);
  }

  /** Applies a ticket update (tags replace the list); the ticket must exist. */
  updateTicket(ticketId: number, update: TicketUpdate): Ticket | undefined {
    const stored = this.tickets.get(ticketId);
    if (!stored) return undefined;
    const ticket = stored.ticket;
    if (update.tags) ticket.tags = update.tags.map((tag) => this.tagNamed(tag.name));
    if (update.spam !== undefined) ticket.spam = update.spam;
    if (update.status) {
      ticket.status = update.status;
      ticket.closed_datetime = update.status === 'closed' ? gorgiasDatetime(this.now()) : null;
    }
    ticket.updated_datetime = gorgiasDatetime(this.now());
    return this.render(stored);
  }

  /** Adds a message to a ticket; undefined when there is no such ticket. */
  addMessage(ticketId: number, input: NewMessage): Message | undefined {
    const stored = this.tickets.get(ticketId);
    if (!stored) return undefined;
    return structuredClone(this.record(stored, input, this.now()).message);
  }

  listTickets(): Listed<TicketSummary>[] {
    return [...this.tickets.values()].map((stored) => ({
      key: [stored.createdAt, stored.ticket.id],
      value: structuredClone(stored.ticket),
    }));
  }

  /** All messages, or those of one ticket. */
  listMessages(ticketId?: number): Listed<Message>[] {
    const stored =
      ticketId === undefined
        ? [...this.messages.values()]
        : this.storedMessagesOf(this.tickets.get(ticketId));
    return stored.map(({ createdAt, message }) => ({
      key: [createdAt, message.id],
      value: structuredClone(message),
    }));
  }

  /** A ticket's messages oldest first; empty for an unknown ticket. */
  messagesOf(ticketId: number): Message[] {
    return this.storedMessagesOf(this.tickets.get(ticketId)).map(({ message }) => structuredClone(message));
  }

  private render(stored: StoredTicket): Ticket {
    return structuredClone({
      ...stored.ticket,
      messages: this.storedMessagesOf(stored).map((m) => m.message),
    });
  }

  private storedMessagesOf(stored: StoredTicket | undefined): StoredMessage[] {
    if (!stored) return [];
    return stored.messageIds
      .map((id) => this.messages.get(id))
      .filter((m): m is StoredMessage => m !== undefined)
      .sort((a, b) => a.createdAt - b.createdAt || a.message.id - b.message.id);
  }

  private record(stored: StoredTicket, input: NewMessage, createdAt: number): StoredMessage {
    const ticket = stored.ticket;
    const id = this.nextIds.message++;
    const created = gorgiasDatetime(createdAt);
    const isNote = input.channel === 'internal-note';
    // An incoming message without a sender comes from the ticket's customer.
    const sender = input.sender
      ? this.person(input.sender, ticket.customer)
      : input.from_agent
        ? null
        : this.person({ id: ticket.customer.id }, ticket.customer);
    const receiver = input.receiver ? this.person(input.receiver, ticket.customer) : null;
    const message: Message = {
      id,
      uri: `/api/tickets/${ticket.id}/messages/${id}/`,
      ticket_id: ticket.id,
      message_id: null,
      external_id: input.external_id ?? null,
      channel: input.channel,
      via: input.via,
      from_agent: input.from_agent,
      public: isNote ? false : (input.public ?? true),
      integration_id: input.integration_id ?? null,
      rule_id: null,
      sender,
      receiver,
      source: sourceOf(input, sender, receiver),
      subject: input.subject ?? null,
      body_text: input.body_text ?? null,
      body_html: input.body_html ?? null,
      stripped_text: input.body_text ?? null,
      stripped_html: input.body_html ?? null,
      stripped_signature: null,
      attachments: [],
      headers: input.headers ?? null,
      meta: null,
      mention_ids: input.mention_ids ?? null,
      intents: [],
      sentiments: [],
      macros: [],
      actions: null,
      created_datetime: created,
      // Given: an import, recorded as sent then. Absent: Gorgias sends it after answering (reference §3.3).
      sent_datetime:
        input.sent_datetime !== undefined ? gorgiasDatetime(Date.parse(input.sent_datetime)) : null,
      failed_datetime: null,
      last_sending_error: null,
      opened_datetime: null,
      deleted_datetime: null,
    };
    const record: StoredMessage = { createdAt, message };
    this.messages.set(id, record);
    stored.messageIds.push(id);

    ticket.updated_datetime = created;
    ticket.last_message_datetime = created;
    if (!input.from_agent) ticket.last_received_message_datetime = created;

    if (message.sent_datetime === null) this.sendLater(id);
    return record;
  }

  private sendLater(messageId: number): void {
    const generation = this.generation;
    setImmediate(() => {
      if (generation !== this.generation) return;
      const stored = this.messages.get(messageId);
      if (stored && stored.message.sent_datetime === null) {
        stored.message.sent_datetime = gorgiasDatetime(this.now());
      }
    });
  }

  private customerFor(input: NewTicket['customer']): Customer {
    const email = input.email.trim();
    const key = email.toLowerCase();
    const existing = this.customers.get(key);
    if (existing) return existing;
    const joined = [input.firstname, input.lastname].filter(Boolean).join(' ');
    const customer: Customer = {
      id: this.nextIds.customer++,
      email,
      name: input.name ?? (joined || null),
      firstname: input.firstname ?? null,
      lastname: input.lastname ?? null,
      external_id: null,
      language: null,
      timezone: null,
      note: null,
      meta: {},
      data: null,
      channels: [{ id: this.nextIds.customerChannel++, type: 'email', address: email, preferred: true }],
    };
    this.customers.set(key, customer);
    return customer;
  }

  /** A sender or receiver reference, completed from the customer when it names them. */
  private person(ref: { id?: number; email?: string; name?: string }, customer: Customer): Person {
    const isCustomer =
      (ref.id !== undefined && ref.id === customer.id) ||
      (ref.email !== undefined &&
        customer.email !== null &&
        ref.email.toLowerCase() === customer.email.toLowerCase());
    if (isCustomer) {
      const { id, email, name, firstname, lastname } = customer;
      return { id, email, name, firstname, lastname };
    }
    return {
      id: ref.id ?? null,
      email: ref.email ?? null,
      name: ref.name ?? null,
      firstname: null,
      lastname: null,
    };
  }

  private tagNamed(name: string): Tag {
    let tag = this.tags.get(name);
    if (!tag) {
      const id = this.nextIds.tag++;
      tag = { id, name, uri: `/api/tags/${id}/`, decoration: null };
      this.tags.set(name, tag);
    }
    return tag;
  }
}

/** The routing part of a message: as given, or derived from sender and receiver. */
function sourceOf(input: NewMessage, sender: Person | null, receiver: Person | null): MessageSource {
  const given = input.source;
  const address = (person: Person | null) =>
    person?.email ? [{ address: person.email, name: person.name ?? null }] : [];
  if (!given) {
    return {
      type: input.channel,
      from: address(sender)[0] ?? null,
      to: address(receiver),
      cc: [],
      bcc: [],
      extra: {},
    };
  }
  const withName = (a: { address: string; name?: string }) => ({ address: a.address, name: a.name ?? null });
  return {
    type: given.type,
    from: given.from ? withName(given.from) : null,
    to: (given.to ?? []).map(withName),
    cc: (given.cc ?? []).map(withName),
    bcc: (given.bcc ?? []).map(withName),
    extra: {},
  };
}
