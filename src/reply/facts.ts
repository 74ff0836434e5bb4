import { isAnswerable, type Address, type Customer, type Message, type Ticket } from '../gorgias/schemas';
import { showsStatusLink, type OrderQuestion } from './orders/branch';
import { ECHO_LIMITS, echoable, isVerifiedChannel } from './customer-echo';
import { customerOrderMatch, readOrderQuestion, SCANNED_TEXT_CHARS } from './orders/facts';
import { boundedAddress, clippedText, FIELD_LIMITS, withinOrNull } from '../gorgias/field-limits';
import type { OrderPolicy, Policy } from '../policy/schema';
import type { AutomatedMailSign, ReplyRecipient, ReplySender, TicketFacts } from './decision';
import { markerOn, type MarkerOnTicket } from './markers';

/**
 * An address on one of Gorgias's own domains (`…@email.gorgias.com`, `….gorgias.io`). Gorgias gives an email
 * integration such an address (accounts without their own domain send from it; real agent replies do), and
 * also a forwarding address on the same domain that customers' mail may show in To or Cc. So such an address
 * is a valid From when an email integration names it as its own, and never guessed from a message's
 * recipients, where it may be a forwarding address (docs/gorgias.md, "Who is answered, and from where").
 */
export function isGorgiasDomainAddress(address: string): boolean {
  const domain = address.trim().toLowerCase().split('@')[1] ?? '';
  return domain === 'gorgias.com' || domain.endsWith('.gorgias.com') || domain.endsWith('.gorgias.io');
}

const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Every email address Gorgias knows the customer by: their main one and their email channels. */
function customerAddresses(customer: Customer | null): string[] {
  const channels = (customer?.channels ?? []).filter((c) => (c.type ?? 'email') === 'email');
  return [customer?.email, ...channels.map((c) => c.address)]
    .map(boundedAddress)
    .filter((a): a is string => a !== null);
}

/**
 * The support address a customer's message was sent to, when its email integration is not known: the first
 * of its To, then Cc, addresses that is neither on a Gorgias domain nor one of the customer's own.
 */
function supportAddressOf(message: Message, customer: Customer | null): Address | null {
  const candidates = [...(message.source?.to ?? []), ...(message.source?.cc ?? [])];
  const receiver = message.receiver?.email
    ? [{ address: message.receiver.email, name: message.receiver.name }]
    : [];
  const own = customerAddresses(customer);
  const found = [...candidates, ...receiver].find(
    (a) =>
      boundedAddress(a.address) !== null &&
      !isGorgiasDomainAddress(a.address) &&
      !own.some((o) => sameAddress(o, a.address)),
  );
  return found
    ? { address: found.address.trim(), name: clippedText(found.name, FIELD_LIMITS.nameChars) }
    : null;
}

/**
 * Who the reply goes to, as Gorgias's own reply box picks it: the address the customer's latest message came
 * from, when it is one of the customer's email addresses (a customer with several is answered where they
 * wrote); else the customer's email; else their preferred email channel. Null: no address to answer.
 */
function replyRecipient(
  customer: Customer | null,
  last: Message | undefined,
  name: string | null,
): ReplyRecipient | null {
  const main =
    boundedAddress(customer?.email) ??
    ([...(customer?.channels ?? [])]
      .filter((c) => (c.type ?? 'email') === 'email' && boundedAddress(c.address) !== null)
      .sort((a, b) => Number(b.preferred === true) - Number(a.preferred === true))[0]
      ?.address.trim() ||
      null);
  const wrote = last?.source?.from?.address ?? last?.sender?.email ?? null;
  const known = wrote ? customerAddresses(customer).find((a) => sameAddress(a, wrote)) : undefined;
  if (known && (!main || !sameAddress(known, main))) return { address: known, name, lastMessage: true };
  return main ? { address: main, name, lastMessage: false } : null;
}

/**
 * Where the reply comes from: the email integration that received the customer's message, from its own
 * address (whatever its domain: `…@email.gorgias.com` included), naming the integration; else the configured
 * address (GORGIAS_REPLY_FROM); else the support address the customer wrote to (never a Gorgias-domain one).
 * Null: the ticket cannot be answered by email from any address we know (the decision skips it).
 */
export function replySender(
  received: Pick<NonNullable<TicketFacts['lastCustomerMessage']>, 'integrationId' | 'supportAddress'> | null,
  integration: { address: string; name: string | null } | null,
  configured: { address: string; name: string | null } | null,
): ReplySender | null {
  if (integration && received?.integrationId)
    return { ...integration, integrationId: received.integrationId };
  const fallback = configured ?? received?.supportAddress ?? null;
  return fallback ? { address: fallback.address, name: fallback.name, integrationId: null } : null;
}

// An internal note has channel `internal-note` and `public: false` (DEV-MESSAGE); either sign is enough, so a
// Rule's note is never read as the customer's side or the agent's.
export const isInternalNote = (m: Message) => m.channel === 'internal-note' || m.public === false;
export const isFromRule = (m: Message) => (m.rule_id ?? null) !== null || m.via === 'rule';

/** Reads the signs of machine-sent mail in a message's headers (when Gorgias exposes them). */
export function automatedMailSign(headers: Message['headers'] | undefined): AutomatedMailSign | null {
  if (!headers) return null;
  const get = (name: string) => {
    const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
    return entry === undefined ? undefined : String(entry[1]).trim().toLowerCase();
  };
  const contentType = get('content-type') ?? '';
  if (contentType.includes('multipart/report') && contentType.includes('delivery-status')) return 'bounce';
  const autoSubmitted = get('auto-submitted');
  if (
    (autoSubmitted !== undefined && autoSubmitted !== 'no') ||
    get('x-autoreply') !== undefined ||
    get('x-autorespond') !== undefined
  ) {
    return 'auto-submitted';
  }
  if (['bulk', 'list', 'junk'].includes(get('precedence') ?? '') || get('list-unsubscribe') !== undefined)
    return 'mailing-list';
  return null;
}

const ORDERS_OFF = { enabled: false } as OrderPolicy;

const isReply = (marker: MarkerOnTicket | null, ours: boolean) =>
  marker?.kind === 'reply' && marker.ours === ours;

/**
 * The ticket's messages oldest first: Gorgias does not document the order of the messages `GET /tickets/{id}`
 * embeds (only the deprecated messages list says "oldest first"). By creation time (normalised to UTC by the
 * schema; a message without one after the others), then by id.
 */
function oldestFirst(messages: readonly Message[]): Message[] {
  return [...messages].sort((a, b) => {
    const [at, bt] = [a.created_datetime, b.created_datetime];
    if (at !== bt) return at === null ? 1 : bt === null ? -1 : at < bt ? -1 : 1;
    return a.id - b.id;
  });
}

/** What `ticketFacts` keeps beyond the decision's needs, and whose markers it reads. */
export interface TicketReadingOptions {
  /** A template may show an order's status page link (showsStatusLink). */
  keepStatusLink: boolean;
  /** The deployment whose markers count as ours (see markerOn). */
  deployment?: string;
  /** The policy's skip tag, kept among the tags however many there are. */
  skipTag?: string | null;
}

/** How `ticketFacts` reads a ticket under `policy`, as the workflow's read does: for the backtest and the preview. */
export function readingUnder(policy: Policy): TicketReadingOptions {
  return { keepStatusLink: showsStatusLink(policy), skipTag: policy.loop_guard.skip_tag };
}

/**
 * Reduces Gorgias's ticket to the facts the decision needs: small, and free of message bodies (what the
 * customer wrote is read here for the order question and the order numbers it names, and left here). Our
 * markers are read as `deployment`'s (see markerOn); a tool that is no deployment reads only legacy ones so.
 */
export function ticketFacts(
  ticket: Ticket,
  orders: OrderPolicy = ORDERS_OFF,
  reading: TicketReadingOptions = { keepStatusLink: false },
): TicketFacts {
  const messages = oldestFirst(ticket.messages);
  const marker = (m: Message) => markerOn(m, ticket.id, reading.deployment ?? null);
  const outgoing = messages.filter((m) => m.from_agent && !isInternalNote(m));
  const fromCustomer = messages.filter((m) => !m.from_agent && !isInternalNote(m));
  const last = fromCustomer.at(-1);
  const first = messages.find((m) => !isInternalNote(m));
  const customer = ticket.customer;
  // What of the customer's words a reply may repeat (customer-echo.ts): none of it verbatim.
  const verified = isVerifiedChannel(ticket.channel, last?.channel ?? ticket.channel);
  const echo = (text: string | null | undefined, limit: 'subject' | 'name') =>
    echoable(text ?? '', verified, ECHO_LIMITS[verified ? 'verified' : 'unverified'][limit]) || null;
  const name = echo(customer?.name, 'name');
  const supportAddress = last ? supportAddressOf(last, customer) : null;
  const received = last
    ? {
        id: last.id,
        integrationId: last.integration_id ?? null,
        supportAddress: supportAddress
          ? { address: supportAddress.address, name: supportAddress.name ?? null }
          : null,
        subject: echo(last.subject, 'subject'),
      }
    : null;
  return {
    ticketId: ticket.id,
    status: clippedText(ticket.status, FIELD_LIMITS.tokenChars) ?? 'open',
    channel: clippedText(ticket.channel, FIELD_LIMITS.tokenChars) ?? 'unknown',
    spam: ticket.spam === true,
    trashed: ticket.trashed_datetime !== null,
    subject: echo(ticket.subject, 'subject'),
    language: clippedText(ticket.language, FIELD_LIMITS.tokenChars),
    createdAt: ticket.created_datetime ?? null,
    tags: tagsOf(ticket, reading.skipTag ?? null),
    openedByAgent: ticket.from_agent ?? first?.from_agent ?? false,
    customer: customer
      ? {
          id: customer.id,
          email: boundedAddress(customer.email),
          firstName: echo(customer.firstname?.trim() || customer.name?.trim().split(/\s+/)[0], 'name'),
          name,
        }
      : null,
    emailAnswerable: isAnswerable(ticket, 'email'),
    agentReplied: outgoing.some((m) => marker(m)?.kind !== 'reply' && !isFromRule(m)),
    ruleReplied: outgoing.some(isFromRule),
    // A reply Gorgias failed to send is not an answer: a reset run goes on to find it and report it failed.
    autoReplyPresent: outgoing.some((m) => isReply(marker(m), true) && !m.failed_datetime),
    otherDeploymentReplied: outgoing.some((m) => isReply(marker(m), false) && !m.failed_datetime),
    notedBefore: messages.some((m) => marker(m)?.kind === 'note' && marker(m)?.ours === true),
    automatedMail: automatedMailSign(last?.headers),
    orderQuestion: orderQuestionOf(ticket, last, orders, reading.keepStatusLink),
    lastCustomerMessage: received,
    replyTo: replyRecipient(customer, last, name),
    // As far as the ticket tells: fetchTicket reads the integration, and the configured address, in.
    replyFrom: replySender(received, null, null),
  };
}

/**
 * The ticket's tags as the decision reads them (no longer than a tag read): distinct, the first FIELD_LIMITS.tags
 * of them, and the policy's skip tag wherever it stands among the rest (automations can tag a ticket heavily).
 */
function tagsOf(ticket: Ticket, skipTag: string | null): string[] {
  const names = ticket.tags.map((t) => withinOrNull(t.name, FIELD_LIMITS.tagChars));
  const distinct = [...new Set(names.filter((n): n is string => n !== null))];
  const kept = distinct.slice(0, FIELD_LIMITS.tags);
  return skipTag !== null && !kept.includes(skipTag) && distinct.includes(skipTag)
    ? [...kept, skipTag]
    : kept;
}

/**
 * Whether the customer's latest message asks about an order, and if so which of their orders it is about, as
 * far as the ticket tells: the one order (or why none), or, when the ticket does not carry the customer's
 * orders and the policy reads them (`orders.read_customer`), what to look for among them once the workflow has
 * read the customer.
 */
function orderQuestionOf(
  ticket: Ticket,
  last: Message | undefined,
  orders: OrderPolicy,
  keepStatusLink: boolean,
): OrderQuestion | null {
  if (!last || !orders.enabled) return null;
  const subject = last.subject ?? ticket.subject;
  const question = readOrderQuestion({ subject, text: customerText(last), intents: last.intents }, orders);
  if (!question.asks) return null;
  const customer = ticket.customer;
  // Each Shopify store carries its orders on the ticket, or its Shopify customer says it has none
  // (`orders_count: 0`): the customer read would find no more (docs/gorgias.md, "Reading answers").
  if (customer?.shopifyOrders && !customer.shopifyOrdersElsewhere) {
    return { match: customerOrderMatch(customer.shopifyOrders, question.mention, keepStatusLink) };
  }
  // The ticket shows the customer's integrations, and none is Shopify's: reading the customer adds nothing.
  if (customer?.hasShopify === false) return { match: customerOrderMatch(null, question.mention, false) };
  // The orders are elsewhere: read the customer for them only where the policy spends that call.
  if (!orders.read_customer) return { match: { found: 'not-on-ticket' } };
  return { lookFor: question.mention };
}

/**
 * What the customer wrote, as plain text: the first of `stripped_text`, `body_text`, `stripped_html` and
 * `body_html` that says something. Real messages carry `"stripped_text": ""` as well as null, and a message
 * may have its text only in HTML.
 */
function customerText(message: Message): string | null {
  for (const text of [message.stripped_text, message.body_text]) {
    const read = text?.slice(0, SCANNED_TEXT_CHARS);
    if (read?.trim()) return read;
  }
  for (const html of [message.stripped_html, message.body_html]) {
    const text = html ? htmlText(html.slice(0, SCANNED_HTML_CHARS), SCANNED_TEXT_CHARS) : '';
    if (text.trim()) return text;
  }
  return null;
}

/** How much of an HTML body is turned into text: enough markup around the first SCANNED_TEXT_CHARS of text. */
const SCANNED_HTML_CHARS = 8 * SCANNED_TEXT_CHARS;

// Tags that end a line of text, and elements whose content is not text the customer wrote.
const LINE_TAGS = new Set(['br', 'p', 'div', 'li', 'tr', 'td', 'th', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const HIDDEN_ELEMENTS = new Set(['head', 'style', 'script', 'title']);
const ENTITIES = new Map(Object.entries({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }));

/**
 * The text of an HTML body, for reading (never for showing): tags and comments dropped, line tags as line
 * breaks, style and script contents skipped, the basic entities decoded; at most about `maxChars` of it.
 * Every search starts where the last one ended, so a megabyte body or an unclosed tag costs one pass.
 */
function htmlText(html: string, maxChars: number): string {
  // Lower-cased for the searches, ASCII only, so that its indexes are the body's.
  const lower = html.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
  let text = '';
  let at = 0;
  while (at < html.length && text.length < maxChars) {
    const open = lower.indexOf('<', at);
    text += html.slice(at, open === -1 ? html.length : open);
    if (open === -1) break;
    const tag = /^<(\/?)([a-z][a-z0-9]*|!--|!|\?)/.exec(lower.slice(open, open + 12));
    if (!tag) {
      text += '<'; // not markup ("<3", "a < b")
      at = open + 1;
      continue;
    }
    const [, closing, name] = tag;
    const close = name === '!--' ? lower.indexOf('-->', open + 4) : lower.indexOf('>', open);
    if (close === -1) break; // an unclosed tag or comment: the rest is markup
    at = close + (name === '!--' ? 3 : 1);
    if (LINE_TAGS.has(name ?? '')) text += '\n';
    else if (!closing && HIDDEN_ELEMENTS.has(name ?? '')) {
      const end = lower.indexOf(`</${name}`, at);
      at = end === -1 ? html.length : end;
    }
  }
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,5});/gi, (entity, code: string) => {
    const name = code.toLowerCase();
    if (!name.startsWith('#')) return ENTITIES.get(name) ?? entity;
    const point = name.startsWith('#x') ? parseInt(name.slice(2), 16) : Number(name.slice(1));
    return point > 0 && point <= 0x10ffff ? String.fromCodePoint(point) : entity;
  });
}
