import type { NewMessage, NewTicket, TicketUpdate } from '../../gorgias/schemas';
import type { AccountIntegrations } from './integrations';
import {
  messageDatetime,
  replyOptionsFor,
  ticketDatetime,
  type Customer,
  type Message,
  type MessageSource,
  type Person,
  type SatisfactionSurvey,
  type Tag,
  type Ticket,
} from './objects';
import type { SortKey } from './pagination';
import type { Outbox } from './sending';
import { SHOPIFY_INTEGRATION_ID, shopifyDataFor, type ShopifyOrder } from './shopify';

/**
 * The sandbox's account data, in memory: customers, tickets, their messages and tags, and the account's
 * integrations. Requests are validated before they get here. Everything handed out is a copy, so an answer
 * cannot change after it was built.
 */

export type TicketSummary = Omit<Ticket, 'messages'>;

export interface Listed<T> {
  key: SortKey;
  value: T;
}

/** Tags named (created when new) or given by id (which must exist). */
export interface TagSelection {
  names?: string[];
  ids?: number[];
}

export interface StoreOptions {
  now: () => number;
  firstTicketId?: number;
  /** Whether a Rule leaves an internal note on each new ticket a customer opens. */
  ruleNote: boolean;
  integrations: AccountIntegrations;
  outbox: Outbox;
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

// The agent who answers seeded tickets (see seedReply).
const AGENT = {
  id: 3,
  email: 'agent@shop.example.com',
  name: 'Alex Agent',
  firstname: 'Alex',
  lastname: 'Agent',
};

// Separate id ranges make a ticket id passed where a message id belongs fail loudly.
const FIRST_IDS = {
  customer: 501,
  customerChannel: 801,
  ticket: 1001,
  message: 100001,
  tag: 1,
  survey: 9001,
};

// The merchant's Rule that notes every new ticket (inferred content; `rule_id`, `via` and the shape are real).
const TRIAGE_RULE = {
  id: 7001,
  note: 'Rule "New ticket triage": order question detected, no tag applied.',
  bot: { id: 2, email: null, name: 'Gorgias Bot', firstname: 'Gorgias', lastname: 'Bot' },
};

export class SandboxStore {
  private customers = new Map<string, Customer>();
  private tickets = new Map<number, StoredTicket>();
  private messages = new Map<number, StoredMessage>();
  private tags = new Map<string, Tag>();
  /** Satisfaction surveys by ticket (one per ticket, as in Gorgias). */
  private surveys = new Map<number, { sentAt: number; survey: SatisfactionSurvey }>();
  /** Customers whose Shopify orders the sandbox leaves out of their tickets (only their customer read has them). */
  private ordersOffTicket = new Set<number>();
  /** Tickets left out of `GET /api/tickets` for now: Gorgias listing a ticket late. */
  private unlisted = new Set<number>();
  private nextIds: typeof FIRST_IDS;
  private readonly now: () => number;
  private readonly integrations: AccountIntegrations;
  private readonly outbox: Outbox;

  constructor(private readonly options: StoreOptions) {
    this.now = options.now;
    this.integrations = options.integrations;
    this.outbox = options.outbox;
    this.nextIds = { ...FIRST_IDS, ticket: options.firstTicketId ?? FIRST_IDS.ticket };
  }

  /** Forgets all data; sends still pending are the outbox's to cancel. */
  reset(): void {
    this.customers.clear();
    this.tickets.clear();
    this.messages.clear();
    this.tags.clear();
    this.surveys.clear();
    this.ordersOffTicket.clear();
    this.unlisted.clear();
    this.integrations.reset();
    // Ids are never reused, as in a real account: a ticket id seen before reset may still name a workflow.
  }

  createTicket(input: NewTicket): Ticket {
    const createdAt = input.created_datetime !== undefined ? Date.parse(input.created_datetime) : this.now();
    const created = ticketDatetime(createdAt);
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
        custom_fields: {},
        reply_options: replyOptionsFor(channel, customer.email),
        satisfaction_survey: null,
        events: [],
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
    const openedByCustomer = first !== undefined && !first.from_agent && first.channel !== 'internal-note';
    if (this.options.ruleNote && openedByCustomer) this.recordRuleNote(stored, createdAt);
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
    return this.changeTicket(ticketId, (ticket) => {
      if (update.tags) ticket.tags = update.tags.map((tag) => this.tagNamed(tag.name));
      if (update.spam !== undefined) ticket.spam = update.spam;
      if (update.status) {
        ticket.status = update.status;
        ticket.closed_datetime = update.status === 'closed' ? ticketDatetime(this.now()) : null;
      }
    });
  }

  /** Moves a ticket to the trash; it stays readable, with `trashed_datetime` set. */
  trashTicket(ticketId: number): Ticket | undefined {
    return this.changeTicket(ticketId, (ticket) => {
      ticket.trashed_datetime ??= ticketDatetime(this.now());
    });
  }

  /** Deletes a ticket and its messages: it then answers 404 and is no longer listed. */
  deleteTicket(ticketId: number): boolean {
    const stored = this.tickets.get(ticketId);
    if (!stored) return false;
    for (const id of stored.messageIds) this.messages.delete(id);
    return this.tickets.delete(ticketId);
  }

  /**
   * Merges a ticket into another, as Gorgias does a customer's open tickets: its messages move to `intoId`, and
   * the merged-away id answers 404 (inferred: Gorgias does not document it). Returns the ticket merged into.
   */
  mergeTicket(fromId: number, intoId: number): Ticket | undefined {
    const from = this.tickets.get(fromId);
    const into = this.tickets.get(intoId);
    if (!from || !into || fromId === intoId) return undefined;
    for (const id of from.messageIds) {
      const stored = this.messages.get(id);
      if (stored) stored.message.ticket_id = intoId;
      into.messageIds.push(id);
    }
    from.messageIds = [];
    this.tickets.delete(fromId);
    return this.changeTicket(intoId, () => undefined);
  }

  /** The ids in `ids` that name no tag. */
  unknownTagIds(ids: readonly number[]): number[] {
    const known = new Set([...this.tags.values()].map((tag) => tag.id));
    return ids.filter((id) => !known.has(id));
  }

  /** Adds tags, keeping the ticket's others; returns the ticket's tags. Tag ids must exist. */
  addTags(ticketId: number, selection: TagSelection): Tag[] | undefined {
    return this.changeTags(ticketId, (current) => {
      const adding = this.tagsSelected(selection).filter((tag) => !current.some((t) => t.id === tag.id));
      return [...current, ...adding];
    });
  }

  /** Replaces the ticket's tags; returns them. */
  replaceTags(ticketId: number, selection: TagSelection): Tag[] | undefined {
    return this.changeTags(ticketId, () => this.tagsSelected(selection));
  }

  /** Removes tags from the ticket (the tags themselves stay in the account); returns the ticket's tags. */
  removeTags(ticketId: number, selection: TagSelection): Tag[] | undefined {
    return this.changeTags(ticketId, (current) => {
      const removing = new Set([
        ...(selection.ids ?? []),
        ...(selection.names ?? []).flatMap((name) => this.tags.get(name)?.id ?? []),
      ]);
      return current.filter((tag) => !removing.has(tag.id));
    });
  }

  /** Adds a message to a ticket; undefined when there is no such ticket. */
  addMessage(ticketId: number, input: NewMessage): Message | undefined {
    const stored = this.tickets.get(ticketId);
    if (!stored) return undefined;
    return structuredClone(this.record(stored, input, this.now()).message);
  }

  /** One message of one ticket; undefined when it is not that ticket's. */
  getMessage(ticketId: number, messageId: number): Message | undefined {
    const stored = this.messages.get(messageId);
    return stored?.message.ticket_id === ticketId ? structuredClone(stored.message) : undefined;
  }

  /** Leaves a ticket out of the listing (`listed: false`) until it is listed again; false for an unknown ticket. */
  setListed(ticketId: number, listed: boolean): boolean {
    if (!this.tickets.has(ticketId)) return false;
    if (listed) this.unlisted.delete(ticketId);
    else this.unlisted.add(ticketId);
    return true;
  }

  /** Tickets, trashed ones included unless `trashed` says otherwise. */
  listTickets(filter: { trashed?: boolean } = {}): Listed<TicketSummary>[] {
    return [...this.tickets.values()]
      .filter(({ ticket }) => !this.unlisted.has(ticket.id))
      .filter(
        ({ ticket }) => filter.trashed === undefined || (ticket.trashed_datetime !== null) === filter.trashed,
      )
      .map((stored) => ({
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

  /** `GET /api/customers/{id}`: the customer with all their integrations' data. */
  getCustomer(customerId: number): Customer | undefined {
    const customer = [...this.customers.values()].find((c) => c.id === customerId);
    return customer && structuredClone(customer);
  }

  /**
   * Sets a customer's Shopify orders (creating the customer if new), their Shopify customer's `orders_count`
   * with them. `null`: Gorgias has no Shopify order data on the customer, only the customer part, without a
   * count either (nothing says whether they have orders). With `onTicket: false` their tickets carry the
   * customer part only (with its count), and only the customer read (`GET /api/customers/{id}`) has the orders.
   */
  setCustomerOrders(email: string, orders: ShopifyOrder[] | null, onTicket = true): Customer {
    const customer = this.customerFor({ email });
    const shopify = customer.integrations[SHOPIFY_INTEGRATION_ID];
    if (shopify) {
      if (orders === null) {
        delete shopify.orders;
        delete shopify.customer.orders_count;
      } else {
        shopify.orders = structuredClone(orders);
        shopify.customer.orders_count = orders.length;
      }
    }
    if (onTicket) this.ordersOffTicket.delete(customer.id);
    else this.ordersOffTicket.add(customer.id);
    return structuredClone(customer);
  }

  /**
   * Gives a customer (created if new) one more email address, as Gorgias does when a customer writes from
   * another address it merged into them (`customer.channels`, not preferred). Mail from that address, and a
   * ticket created for it, then belong to that customer.
   */
  addCustomerAddress(email: string, address: string): Customer {
    const customer = this.customerFor({ email });
    const known = customer.channels.some((c) => c.address.toLowerCase() === address.trim().toLowerCase());
    if (!known) {
      const id = this.nextIds.customerChannel++;
      customer.channels.push({ id, type: 'email', address: address.trim(), preferred: false });
    }
    return structuredClone(customer);
  }

  /**
   * A message from our side at a given time, already sent: an agent's reply or a Gorgias Rule's
   * (`via: "rule"`, `rule_id`), for seeding past tickets (see month.ts).
   */
  seedReply(
    ticketId: number,
    reply: { by: 'agent' | 'rule'; at: number; text: string },
  ): Message | undefined {
    const stored = this.tickets.get(ticketId);
    if (!stored) return undefined;
    const customer = stored.ticket.customer;
    const from = this.supportAddressOf(stored);
    const rule = reply.by === 'rule';
    const message = this.newMessage(ticketId, reply.at, {
      channel: 'email',
      via: rule ? 'rule' : 'helpdesk',
      from_agent: true,
      rule_id: rule ? TRIAGE_RULE.id + 1 : null,
      integration_id: from ? (this.integrations.sendingFrom(from)?.id ?? null) : null,
      sender: rule ? { ...TRIAGE_RULE.bot } : AGENT,
      receiver: {
        id: customer.id,
        email: customer.email,
        name: customer.name,
        firstname: customer.firstname,
        lastname: customer.lastname,
      },
      source: {
        type: 'email',
        from: from ? { address: from, name: null } : null,
        to: customer.email ? [{ address: customer.email, name: customer.name }] : [],
        cc: [],
        bcc: [],
        extra: {},
      },
      subject: stored.ticket.subject ? `Re: ${stored.ticket.subject}` : null,
      body_text: reply.text,
      body_html: `<p>${reply.text}</p>`,
      sent_datetime: messageDatetime(reply.at),
    });
    return structuredClone(this.store(stored, message, reply.at).message);
  }

  /**
   * The customer writing again at a given time ("any update?", or back after an answer), for seeding past
   * tickets: a closed ticket opens again, as Gorgias reopens it.
   */
  seedCustomerMessage(ticketId: number, message: { at: number; text: string }): Message | undefined {
    const stored = this.tickets.get(ticketId);
    if (!stored) return undefined;
    const customer = stored.ticket.customer;
    const to = this.supportAddressOf(stored);
    const subject = stored.ticket.subject ? `Re: ${stored.ticket.subject}` : null;
    const record = this.record(
      stored,
      {
        channel: 'email',
        via: 'email',
        from_agent: false,
        sender: { email: customer.email ?? undefined },
        source: {
          type: 'email',
          from: { address: customer.email ?? '' },
          to: to ? [{ address: to }] : [],
        },
        subject: subject ?? undefined,
        body_text: message.text,
      },
      message.at,
    );
    stored.ticket.status = 'open';
    stored.ticket.closed_datetime = null;
    return structuredClone(record.message);
  }

  /**
   * A satisfaction survey on a ticket, sent at `sentAt` and answered with `score` at `scoredAt` (null: not
   * answered), for seeding past tickets. One per ticket: a second replaces the first.
   */
  seedSurvey(
    ticketId: number,
    survey: { sentAt: number; score: number | null; scoredAt: number | null },
  ): SatisfactionSurvey | undefined {
    const stored = this.tickets.get(ticketId);
    if (!stored) return undefined;
    const id = this.surveys.get(ticketId)?.survey.id ?? this.nextIds.survey++;
    const created = {
      id,
      uri: `/api/satisfaction-surveys/${id}/`,
      ticket_id: ticketId,
      customer_id: stored.ticket.customer.id,
      body_text: null,
      meta: null,
      score: survey.score,
      created_datetime: messageDatetime(survey.sentAt),
      sent_datetime: messageDatetime(survey.sentAt),
      scored_datetime: survey.scoredAt === null ? null : messageDatetime(survey.scoredAt),
      should_send_datetime: messageDatetime(survey.sentAt),
    };
    this.surveys.set(ticketId, { sentAt: survey.sentAt, survey: created });
    return structuredClone(created);
  }

  /** Satisfaction surveys, or those of one ticket. */
  listSurveys(ticketId?: number): Listed<SatisfactionSurvey>[] {
    return [...this.surveys.values()]
      .filter(({ survey }) => ticketId === undefined || survey.ticket_id === ticketId)
      .map(({ sentAt, survey }) => ({ key: [sentAt, survey.id], value: structuredClone(survey) }));
  }

  /** Closes a ticket at a given time (an agent's answer settled it). */
  closeTicketAt(ticketId: number, at: number): void {
    const stored = this.tickets.get(ticketId);
    if (!stored) return;
    stored.ticket.status = 'closed';
    stored.ticket.closed_datetime = ticketDatetime(at);
    stored.ticket.updated_datetime = ticketDatetime(at);
  }

  /** The support address the customer's first message went to. */
  private supportAddressOf(stored: StoredTicket): string | null {
    const first = stored.messageIds
      .map((id) => this.messages.get(id)?.message)
      .find((m) => m && !m.from_agent);
    return first?.source?.to[0]?.address ?? null;
  }

  /** A ticket's messages oldest first; empty for an unknown ticket. */
  messagesOf(ticketId: number): Message[] {
    return this.storedMessagesOf(this.tickets.get(ticketId)).map(({ message }) => structuredClone(message));
  }

  private changeTicket(ticketId: number, change: (ticket: TicketSummary) => void): Ticket | undefined {
    const stored = this.tickets.get(ticketId);
    if (!stored) return undefined;
    change(stored.ticket);
    stored.ticket.updated_datetime = ticketDatetime(this.now());
    return this.render(stored);
  }

  private changeTags(ticketId: number, change: (current: Tag[]) => Tag[]): Tag[] | undefined {
    const ticket = this.changeTicket(ticketId, (t) => {
      t.tags = change(t.tags);
    });
    return ticket?.tags;
  }

  private tagsSelected(selection: TagSelection): Tag[] {
    const byId = new Map([...this.tags.values()].map((tag) => [tag.id, tag]));
    const tags = [
      ...(selection.names ?? []).map((name) => this.tagNamed(name)),
      ...(selection.ids ?? []).flatMap((id) => byId.get(id) ?? []),
    ];
    return tags.filter((tag, index) => tags.findIndex((t) => t.id === tag.id) === index);
  }

  private render(stored: StoredTicket): Ticket {
    const ticket = structuredClone({
      ...stored.ticket,
      messages: this.storedMessagesOf(stored).map((m) => m.message),
    });
    if (this.ordersOffTicket.has(ticket.customer.id)) {
      for (const data of Object.values(ticket.customer.integrations)) delete data.orders;
    }
    return ticket;
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
    const isNote = input.channel === 'internal-note';
    const outgoing = input.from_agent && !isNote;
    // An incoming message without a sender comes from the ticket's customer.
    const sender = input.sender
      ? this.person(input.sender, ticket.customer)
      : input.from_agent
        ? null
        : this.person({ id: ticket.customer.id }, ticket.customer);
    const receiver = input.receiver ? this.person(input.receiver, ticket.customer) : null;
    const source = sourceOf(input, sender, receiver);
    const incomingEmail = !input.from_agent && input.channel === 'email';
    const message = this.newMessage(ticket.id, createdAt, {
      external_id: input.external_id ?? null,
      channel: input.channel,
      via: input.via,
      from_agent: input.from_agent,
      // As posted, and public unless said: Gorgias's own helpdesk sends `public: false` on a note; what it makes
      // of a note posted without the field is not documented (docs/gorgias.md, "Writing messages").
      public: input.public ?? true,
      integration_id: input.integration_id ?? (isNote ? null : this.integrationIdOf(source, outgoing)),
      sender,
      receiver,
      source,
      subject: input.subject ?? null,
      body_text: input.body_text ?? null,
      body_html: input.body_html ?? null,
      // Gorgias strips quoted history from what it receives (inferred: null on what it sends).
      stripped_text: incomingEmail ? (input.body_text ?? null) : null,
      stripped_html: incomingEmail ? (input.body_html ?? null) : null,
      headers: input.headers ?? null,
      mention_ids: input.mention_ids ?? null,
      // Given: an import, recorded as sent then (docs/gorgias.md). Outgoing: sent later, below. Notes and
      // received messages count as sent when created (inferred).
      sent_datetime:
        input.sent_datetime !== undefined
          ? messageDatetime(Date.parse(input.sent_datetime))
          : outgoing
            ? null
            : messageDatetime(createdAt),
    });
    // The carrier's id of a received email (made up); null on the others, as often in captures.
    if (incomingEmail) message.message_id = `<${message.id}.sandbox@${domainOf(sender?.email)}>`;
    const record = this.store(stored, message, createdAt);
    if (message.sent_datetime === null) this.outbox.send(message);
    return record;
  }

  /** The internal note a merchant's Rule leaves right after a customer opens a ticket (docs/gorgias.md). */
  private recordRuleNote(stored: StoredTicket, createdAt: number): void {
    const note = this.newMessage(stored.ticket.id, createdAt, {
      channel: 'internal-note',
      via: 'rule',
      from_agent: true,
      public: false,
      rule_id: TRIAGE_RULE.id,
      sender: { ...TRIAGE_RULE.bot },
      source: null,
      body_text: TRIAGE_RULE.note,
      body_html: `<p>${TRIAGE_RULE.note}</p>`,
      sent_datetime: messageDatetime(createdAt),
    });
    // A Rule's note has no receiver at all, not even a null one.
    delete note.receiver;
    this.store(stored, note, createdAt);
  }

  /** A message with every field Gorgias sends, null or empty unless given. */
  private newMessage(ticketId: number, createdAt: number, fields: Partial<Message>): Message {
    const id = this.nextIds.message++;
    return {
      id,
      uri: `/api/tickets/${ticketId}/messages/${id}/`,
      ticket_id: ticketId,
      message_id: null,
      external_id: null,
      channel: 'api',
      via: 'api',
      from_agent: false,
      public: true,
      integration_id: null,
      rule_id: null,
      sender: null,
      receiver: null,
      source: null,
      subject: null,
      body_text: null,
      body_html: null,
      stripped_text: null,
      stripped_html: null,
      stripped_signature: null,
      attachments: [],
      headers: null,
      meta: null,
      mention_ids: null,
      intents: [],
      sentiments: [],
      macros: [],
      actions: null,
      created_datetime: messageDatetime(createdAt),
      sent_datetime: null,
      failed_datetime: null,
      last_sending_error: null,
      opened_datetime: null,
      deleted_datetime: null,
      ...fields,
    };
  }

  private store(stored: StoredTicket, message: Message, createdAt: number): StoredMessage {
    const record: StoredMessage = { createdAt, message };
    this.messages.set(message.id, record);
    stored.messageIds.push(message.id);
    const ticket = stored.ticket;
    const at = ticketDatetime(createdAt);
    ticket.updated_datetime = at;
    ticket.last_message_datetime = at;
    if (!message.from_agent) ticket.last_received_message_datetime = at;
    return record;
  }

  /** The email integration a message left from or arrived at; see AccountIntegrations. */
  private integrationIdOf(source: MessageSource | null, outgoing: boolean): number | null {
    if (source?.type !== 'email') return null;
    if (outgoing)
      return source.from ? (this.integrations.sendingFrom(source.from.address)?.id ?? null) : null;
    const sender = source.from?.address.toLowerCase();
    const recipients = [...source.to, ...source.cc]
      .map((a) => a.address)
      .filter((a) => a.toLowerCase() !== sender);
    return this.integrations.receiving(recipients)?.id ?? null;
  }

  private customerFor(
    input: Pick<NewTicket['customer'], 'email'> & Partial<NewTicket['customer']>,
  ): Customer {
    const email = input.email.trim();
    const key = email.toLowerCase();
    const existing = this.customers.get(key) ?? this.customerWithAddress(key);
    if (existing) return existing;
    const id = this.nextIds.customer++;
    // Gorgias stores missing name parts as "", and the name as null when there is none (docs/gorgias.md).
    const firstname = input.firstname ?? '';
    const lastname = input.lastname ?? '';
    const joined = [firstname, lastname].filter(Boolean).join(' ');
    const created = ticketDatetime(this.now());
    const customer: Customer = {
      id,
      email,
      name: input.name ?? (joined || null),
      firstname,
      lastname,
      external_id: null,
      language: null,
      timezone: null,
      note: null,
      meta: {},
      data: null,
      channels: [{ id: this.nextIds.customerChannel++, type: 'email', address: email, preferred: true }],
      integrations: {
        [SHOPIFY_INTEGRATION_ID]: shopifyDataFor({ id, email, firstname, lastname }, this.now()),
      },
      created_datetime: created,
      updated_datetime: created,
    };
    this.customers.set(key, customer);
    return customer;
  }

  /** The customer one of whose email channels is this (lower-cased) address. */
  private customerWithAddress(address: string): Customer | undefined {
    return [...this.customers.values()].find((c) =>
      c.channels.some((channel) => channel.type === 'email' && channel.address.toLowerCase() === address),
    );
  }

  /**
   * A sender or receiver reference, completed from the customer when it names them (by id, or by any of their
   * email addresses: the person is then the customer, with their main address, as Gorgias shows a sender).
   */
  private person(ref: { id?: number; email?: string; name?: string }, customer: Customer): Person {
    const isCustomer =
      (ref.id !== undefined && ref.id === customer.id) ||
      (ref.email !== undefined &&
        customer.channels.some((c) => c.address.toLowerCase() === ref.email?.trim().toLowerCase()));
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

function domainOf(email: string | null | undefined): string {
  return email?.split('@')[1] ?? 'mail.example.org';
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
