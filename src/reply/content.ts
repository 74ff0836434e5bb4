import Mustache from 'mustache';
import type { OrderAnswer, OrderBranch, OrderFacts } from './orders/branch';
import { orderDateText, orderStatusText, safeLink } from './orders/wording';
import { describeOpening, openingAt } from '../policy/business-hours';
import type { Policy, Template, TemplateSet } from '../policy/schema';
import type { TicketFacts } from './decision';

/** A reply as rendered for one ticket: what will be sent (or, in a dry run, what would have been). */
export interface ComposedReply {
  subject: string;
  bodyText: string;
  bodyHtml: string;
  /** Which template was used, for the note: e.g. `acknowledgement/fr/outside-hours`. */
  template: string;
  /** Sent outside the policy's business hours (whatever template that chose). */
  outsideHours?: boolean;
  /** The order the reply speaks of, and the branch of the order rules it took (and why, when it names none). */
  order?: { name: string | null; branch: OrderBranch; detail?: string | null } | null;
  /** Links of the order left out because they were not safe to send (the note says so). */
  droppedLinks?: string[];
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Plain text to HTML: everything escaped, blank lines make paragraphs, single newlines make line breaks. The
 * given links (already checked safe) become anchors where they appear; no other text ever does.
 */
export function toHtml(text: string, links: readonly string[] = []): string {
  const escapedLinks = [...new Set(links)]
    .filter((link) => link !== '')
    .map(escapeHtml)
    .sort((a, b) => b.length - a.length);
  const linkPattern =
    escapedLinks.length > 0
      ? new RegExp(escapedLinks.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
      : null;
  const linked = (escaped: string) =>
    linkPattern ? escaped.replace(linkPattern, (link) => `<a href="${link}">${link}</a>`) : escaped;
  return text
    .trim()
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${linked(escapeHtml(paragraph)).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

/** Template variables: strings, and the `order` object (false when there is none, for `{{^order}}`). */
export type TemplateVariables = Record<string, string | false | Record<string, string>>;

/**
 * Renders a template as plain text: values are inserted verbatim, and HTML escaping happens once, over the
 * whole text, in toHtml. So a customer named `<script>` reads as that text in both bodies.
 */
export function renderText(template: string, variables: TemplateVariables): string {
  return Mustache.render(template, variables, {}, { escape: (value: string) => value }).trim();
}

/**
 * The reply and forward prefixes mail clients put before a subject, in the languages they come in: `Re:`,
 * `RE :` (French spacing), `Re[2]:`, `AW:`/`WG:` (German), `SV:`/`VS:`/`VL:` (Nordic), `Antw:` (Dutch), `RV:`
 * (Spanish), `RES:`/`ENC:` (Portuguese), `R:`/`RIF:` (Italian), `TR:` (French), `Odp:`/`PD:` (Polish), `YNT:`
 * (Turkish), `Fw:`/`Fwd:`, and the Chinese `回复：`/`转发：`. One at a time, so a chain of any length goes.
 */
const REPLY_PREFIX =
  /^\s*(?:(?:re|aw|sv|vs|vl|antw|antwort|wg|fw|fwd|tr|rv|res|enc|r|rif|odp|pd|ynt)\s*(?:\[\d{1,4}\]|\(\d{1,4}\)|\^\d{1,4})?|回复|回覆|答复|转发|轉寄|转寄)\s*[:：]/iu;

/**
 * The subject without the reply and forward prefixes it collected in the thread, so a template's own `Re:`
 * is the only one: "Re: AW: Fwd: Delivery" is "Delivery". Empty when nothing else is left.
 */
export function subjectWithoutPrefixes(subject: string): string {
  let rest = subject.trim();
  for (let match = REPLY_PREFIX.exec(rest); match; match = REPLY_PREFIX.exec(rest)) {
    rest = rest.slice(match[0].length).trim();
  }
  return rest;
}

/** Variables available to the templates. A missing value renders its policy fallback, never `undefined`. */
export function templateVariables(
  ticket: TicketFacts,
  policy: Policy,
  nextOpening: string,
): Record<string, string> {
  const { fallbacks } = policy;
  const firstName = ticket.customer?.firstName?.trim();
  const subject = [ticket.subject, ticket.lastCustomerMessage?.subject]
    .map((s) => subjectWithoutPrefixes(s ?? ''))
    .find((s) => s !== '');
  return {
    ticket_id: String(ticket.ticketId),
    subject: subject ?? fallbacks.subject,
    customer_first_name: firstName || fallbacks.customer_first_name,
    customer_name: ticket.customer?.name?.trim() || firstName || fallbacks.customer_first_name,
    channel: ticket.channel,
    next_opening: nextOpening,
  };
}

/** The `order` variable: the order in the ticket's language, with only safe links; and what was left out. */
export function orderVariables(
  order: OrderFacts,
  language: string | null,
  allowHttp: boolean,
): { variables: Record<string, string>; links: string[]; dropped: string[] } {
  const tracking = safeLink(order.trackingUrl, allowHttp);
  const status = safeLink(order.statusUrl, allowHttp);
  const dropped = [
    tracking.dropped ? `tracking link of ${order.name} (${tracking.dropped})` : null,
    status.dropped ? `order status link of ${order.name} (${status.dropped})` : null,
  ].filter((d): d is string => d !== null);
  return {
    variables: {
      name: order.name,
      created_date: orderDateText(order, language),
      status: orderStatusText(order, language),
      tracking_number: order.trackingNumber ?? '',
      tracking_url: tracking.url ?? '',
      status_url: status.url ?? '',
    },
    links: [tracking.url, status.url].filter((u): u is string => u !== null),
    dropped,
  };
}

export interface ComposeOptions {
  /** The order branch (orderAnswer): its template set replaces the channel's, and `order` is filled. */
  answer?: OrderAnswer;
  /** The store's language, for tickets Gorgias gave none. */
  language?: string | null;
}

/** Picks the template for the ticket's channel (or order branch), language and time of day, and renders it. */
export function composeReply(
  ticket: TicketFacts,
  policy: Policy,
  now: Date,
  options: ComposeOptions = {},
): ComposedReply {
  const answer = options.answer ?? null;
  const setName = answer?.template ?? policy.channels[ticket.channel]?.template;
  const set = setName ? policy.templates[setName] : undefined;
  if (!setName || !set) throw new Error(`No template for channel "${ticket.channel}"`);
  const ticketLanguage = ticket.language ?? options.language ?? null;
  const language = ticketLanguage?.toLowerCase().split(/[-_]/)[0] ?? '';
  const variants = set.languages[language] ?? set;
  const opening = policy.business_hours
    ? openingAt(policy.business_hours, now)
    : { open: true, nextOpening: null };
  const outsideHours = !opening.open && variants.outside_hours !== undefined;
  const template: Template = outsideHours && variants.outside_hours ? variants.outside_hours : variants;
  const nextOpening = opening.nextOpening
    ? describeOpening(opening.nextOpening, ticketLanguage)
    : policy.fallbacks.next_opening;
  const order = answer?.order
    ? orderVariables(answer.order, ticketLanguage, policy.orders.allow_http_links)
    : null;
  const variables: TemplateVariables = {
    ...templateVariables(ticket, policy, nextOpening),
    order: order?.variables ?? false,
  };
  const bodyText = renderText(template.body, variables);
  return {
    subject: renderText(template.subject, variables).replace(/\s+/g, ' '),
    bodyText,
    bodyHtml: toHtml(bodyText, order?.links),
    template: [setName, set.languages[language] ? language : null, outsideHours ? 'outside-hours' : null]
      .filter(Boolean)
      .join('/'),
    outsideHours: !opening.open,
    order: answer?.branch
      ? { name: answer.order?.name ?? null, branch: answer.branch, detail: answer.detail }
      : null,
    droppedLinks: order?.dropped ?? [],
  };
}

/**
 * Renders every template of the policy (each channel's set, each language, with and without business hours)
 * with sample values, so a broken template stops the worker at start-up instead of failing tickets.
 * Throws one error naming every template that does not render.
 */
export function checkTemplates(policy: Policy): void {
  const sample: TemplateVariables = {
    ticket_id: '1001',
    subject: 'Where is my order?',
    customer_first_name: 'Dana',
    customer_name: 'Dana Lee',
    channel: 'email',
    next_opening: 'Monday 09:00',
    order: {
      name: '#1042',
      created_date: '20 January 2026',
      status: 'paid, shipped (in transit)',
      tracking_number: '1Z999AA10000001042',
      tracking_url: 'https://tracking.example.com/1Z999AA10000001042',
      status_url: 'https://shop.example.com/orders/1042',
    },
  };
  const problems: string[] = [];
  const templateSets: [string, TemplateSet][] = [
    ...Object.entries(policy.templates),
    ...Object.entries(policy.stores).flatMap(([key, store]) =>
      Object.entries(store.templates ?? {}).map(([name, set]): [string, TemplateSet] => [
        `stores.${key}.${name}`,
        set,
      ]),
    ),
  ];
  for (const [name, set] of templateSets) {
    const variants: [string, Template | undefined][] = [
      [name, set],
      [`${name}/outside-hours`, set.outside_hours],
      ...Object.entries(set.languages).flatMap(([language, v]): [string, Template | undefined][] => [
        [`${name}/${language}`, v],
        [`${name}/${language}/outside-hours`, v.outside_hours],
      ]),
    ];
    for (const [label, template] of variants) {
      if (!template) continue;
      try {
        renderText(template.subject, sample);
        renderText(template.body, sample);
      } catch (err) {
        problems.push(`${label}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  for (const [channel, { template }] of Object.entries(policy.channels)) {
    if (!policy.templates[template]) problems.push(`channel ${channel}: no template set "${template}"`);
  }
  if (problems.length > 0) throw new Error(`Templates that do not render:\n  - ${problems.join('\n  - ')}`);
}

/** What an internal note reports: at most one note of each kind per ticket. */
export type NoteContent = (
  | { kind: 'replied'; to: string; sentAt: string; replyMessageId: number; reply: ComposedReply }
  | {
      kind: 'unconfirmed';
      to: string;
      replyMessageId: number;
      reply: ComposedReply;
      minutes: number;
      /** Why Gorgias could not be asked whether it sent the reply (else: it had not said within `minutes`). */
      unreadable?: string | null;
    }
  | { kind: 'dry-run'; to: string; reply: ComposedReply }
  | { kind: 'held'; to: string; reply: ComposedReply; reason: string }
  | { kind: 'skipped'; reason: string; detail?: string | null; tag?: string | null }
  | { kind: 'failed'; reason: string; error: string; tag: string }
) & {
  /** The store section the ticket resolved to (`default`: the top level), with how it matched, and its policy's version. */
  store?: { name: string; matchedBy: string | null; policyVersion?: string } | null;
};

const SKIP_EXPLANATIONS: Record<string, string> = {
  spam: 'the ticket is marked as spam',
  trashed: 'the ticket is in the trash',
  closed: 'the ticket is closed',
  'outside-channel': 'its channel does not get auto-replies under the policy',
  'opened-by-agent': 'the ticket was opened by our side',
  'agent-replied-first': 'an agent had already replied',
  'rule-replied-first': 'a Gorgias rule had already replied',
  'other-deployment-replied': 'another deployment of the auto-reply had already replied',
  'skip-tag': 'the ticket carries the skip tag',
  'no-customer-email': 'the customer has no email address',
  'no-reply-sender': 'the customer address is an automatic sender (no-reply, mailer-daemon, ...)',
  'auto-submitted': 'the message was sent automatically (Auto-Submitted / X-Autoreply headers)',
  'mailing-list': 'the message comes from a mailing list or bulk sender',
  bounce: 'the message is a delivery-status bounce',
  'blocked-sender': 'the sender is on the block list',
  'not-answerable-by-email': 'Gorgias cannot answer this ticket by email',
  'no-reply-address':
    'there is no address to reply from (its integration has none, GORGIAS_REPLY_FROM is not set, and it was sent to no support address)',
  cooldown: 'this customer got an auto-reply a few minutes ago',
  stale: 'the ticket was older than the staleness limit when it was looked at',
  gone: 'the ticket no longer exists (deleted or merged)',
  'recipient-domain-limit':
    "the customer's mail domain got as many auto-replies as the policy allows for now",
  'order-delayed': 'the order the customer asks about is late: please look at it',
};

export function renderNote(note: NoteContent, traceUrl: string): { bodyText: string; bodyHtml: string } {
  const lines = [...noteLines(note), ...orderLines(note), ...storeLines(note)];
  const quoted = 'reply' in note ? note.reply.bodyText : null;
  const bodyText = [...lines, ...(quoted ? ['', quoted] : []), '', `Trace: ${traceUrl}`].join('\n');
  const bodyHtml = [
    ...lines.map((line, i) => (i === 0 ? `<p><b>${escapeHtml(line)}</b></p>` : `<p>${escapeHtml(line)}</p>`)),
    quoted ? `<blockquote>${toHtml(quoted)}</blockquote>` : '',
    `<p>Trace: <a href="${escapeHtml(traceUrl)}">${escapeHtml(traceUrl)}</a></p>`,
  ].join('');
  return { bodyText, bodyHtml };
}

function noteLines(note: NoteContent): string[] {
  switch (note.kind) {
    case 'replied':
      return [
        `Auto-reply sent to ${note.to} at ${readableTime(note.sentAt)} (message ${note.replyMessageId}).`,
        `Subject: ${note.reply.subject} (template ${note.reply.template})`,
      ];
    case 'unconfirmed':
      return [
        note.unreadable
          ? `Auto-reply to ${note.to} accepted by Gorgias (message ${note.replyMessageId}); whether it was sent ` +
            `could not be read back (${note.unreadable}): check the message in the ticket before answering.`
          : `Auto-reply to ${note.to} accepted by Gorgias (message ${note.replyMessageId}), but not reported as ` +
            `sent within ${note.minutes} minutes: check the message in the ticket before answering.`,
        `Subject: ${note.reply.subject} (template ${note.reply.template})`,
      ];
    case 'held':
      return [
        `No auto-reply: ${note.reason}. Nothing was sent to ${note.to}; please answer this ticket by hand.`,
        `Subject that would have been sent: ${note.reply.subject} (template ${note.reply.template})`,
      ];
    case 'dry-run':
      return [
        `Dry run: would have replied to ${note.to}; nothing was sent.`,
        `Subject: ${note.reply.subject} (template ${note.reply.template})`,
      ];
    case 'skipped':
      return [
        `No auto-reply: ${SKIP_EXPLANATIONS[note.reason] ?? note.reason} (${note.reason}).`,
        ...(note.detail ? [`Why: ${note.detail}.`] : []),
        ...(note.tag ? [`Tagged "${note.tag}".`] : []),
      ];
    case 'failed':
      return [
        note.reason === 'send-failed'
          ? `Auto-reply NOT delivered (${note.reason}): Gorgias accepted it but could not send it. Please answer this ticket by hand.`
          : `Auto-reply failed (${note.reason}): please answer this ticket by hand.`,
        `Reason: ${note.error}`,
        `Tagged "${note.tag}".`,
      ];
  }
}

/** Which order the reply spoke of, and the links left out of it. */
function orderLines(note: NoteContent): string[] {
  if (!('reply' in note)) return [];
  const { order, droppedLinks = [] } = note.reply;
  return [
    ...(order
      ? [
          `Order: ${order.name ?? 'none'} (branch ${order.branch}` +
            `${order.name === null && order.detail ? `: ${order.detail}` : ''}).`,
        ]
      : []),
    ...droppedLinks.map((link) => `Left out an unsafe link: the ${link}.`),
  ];
}

function storeLines(note: NoteContent): string[] {
  const store = note.store;
  if (!store) return [];
  const version = store.policyVersion ? `, policy version ${store.policyVersion}` : '';
  return [
    `Store: ${store.name}${store.matchedBy ? ` (by ${store.matchedBy})` : ' (top-level policy)'}${version}.`,
  ];
}

/** `2026-11-26 10:42 UTC`: when Gorgias reported the reply sent. */
function readableTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC` : iso;
}
