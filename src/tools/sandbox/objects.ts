import type { ShopifyCustomerData } from './shopify';

/**
 * The Gorgias objects in the full, untidy shape the sandbox stores and returns, as real answers showed them
 * (docs/gorgias.md, "Reading answers"): many nullable fields are null, customers created without a name have
 * `firstname: ""`, `lastname: ""` and `name: null`, internal notes left by Rules have `source: null` and no
 * `receiver` key, and objects carry fields a client does not know (`custom_fields`, `events`,
 * `satisfaction_survey`, `meta` objects, `source.extra`, `customer.integrations`). The service has to read
 * them with tolerant schemas.
 *
 * Datetimes come in two forms, always the same per object: tickets, customers and integrations carry an
 * offset (`2025-03-04T09:12:44.120311+00:00`, as in captures); messages carry none
 * (`2020-01-27T10:42:21.468912`, as in Gorgias's API documentation), which means UTC. Both have
 * microseconds: the milliseconds followed by `000`.
 */

export interface Person {
  id: number | null;
  email: string | null;
  name: string | null;
  firstname: string | null;
  lastname: string | null;
}

export interface CustomerChannel {
  id: number;
  type: string;
  address: string;
  preferred: boolean;
}

export interface Customer extends Person {
  id: number;
  /** `""` when the customer was created without one (never null), while `name` is then null. */
  firstname: string;
  lastname: string;
  external_id: string | null;
  language: string | null;
  timezone: string | null;
  note: string | null;
  meta: Record<string, unknown>;
  data: Record<string, unknown> | null;
  channels: CustomerChannel[];
  /** Per-integration data keyed by integration id, e.g. the Shopify customer and orders. */
  integrations: Record<string, ShopifyCustomerData>;
  created_datetime: string;
  updated_datetime: string;
}

export interface SourceAddress {
  address: string;
  name: string | null;
}

export interface MessageSource {
  type: string;
  from: SourceAddress | null;
  to: SourceAddress[];
  cc: SourceAddress[];
  bcc: SourceAddress[];
  extra: Record<string, unknown>;
}

export interface Message {
  id: number;
  uri: string;
  ticket_id: number;
  message_id: string | null;
  external_id: string | null;
  channel: string;
  via: string;
  from_agent: boolean;
  public: boolean;
  integration_id: number | null;
  rule_id: number | null;
  sender: Person | null;
  /** Absent (not null) on internal notes left by Rules. */
  receiver?: Person | null;
  /** Null on internal notes left by Rules. */
  source: MessageSource | null;
  subject: string | null;
  body_text: string | null;
  body_html: string | null;
  stripped_text: string | null;
  stripped_html: string | null;
  stripped_signature: string | null;
  attachments: unknown[];
  headers: Record<string, string> | null;
  meta: Record<string, unknown> | null;
  mention_ids: number[] | null;
  intents: unknown[];
  sentiments: unknown[];
  macros: unknown[];
  actions: unknown[] | null;
  created_datetime: string;
  sent_datetime: string | null;
  failed_datetime: string | null;
  /**
   * `{"error": "<text>"}` once sending failed (observed: the helpdesk front-end reads
   * `last_sending_error.error`).
   */
  last_sending_error: { error: string } | null;
  opened_datetime: string | null;
  deleted_datetime: string | null;
}

export interface Tag {
  id: number;
  name: string;
  uri: string;
  decoration: null;
}

/** Not always `{answerable: boolean}`: entries may carry more keys, or none. */
export type ReplyOptions = Record<string, { answerable?: boolean; reasons?: string[] }>;

export interface Ticket {
  id: number;
  uri: string;
  external_id: string | null;
  status: 'open' | 'closed';
  priority: string;
  channel: string;
  via: string;
  from_agent: boolean;
  spam: boolean;
  subject: string | null;
  language: string | null;
  customer: Customer;
  assignee_user: null;
  assignee_team: null;
  tags: Tag[];
  meta: Record<string, unknown> | null;
  custom_fields: Record<string, unknown>;
  messages: Message[];
  reply_options: ReplyOptions;
  satisfaction_survey: null;
  /** Deprecated in favour of `/api/events`; the sandbox keeps none. */
  events: unknown[];
  is_unread: boolean;
  created_datetime: string;
  opened_datetime: string | null;
  updated_datetime: string;
  last_message_datetime: string | null;
  last_received_message_datetime: string | null;
  closed_datetime: string | null;
  snooze_datetime: string | null;
  trashed_datetime: string | null;
}

/**
 * `GET /api/integrations/{id}`: the fields of Gorgias's integration object (observed in the helpdesk
 * front-end's types).
 */
/** A satisfaction survey (docs/gorgias.md, "Satisfaction surveys"): the documented fields, datetimes without offset. */
export interface SatisfactionSurvey {
  id: number;
  uri: string;
  ticket_id: number;
  customer_id: number;
  body_text: string | null;
  meta: Record<string, unknown> | null;
  score: number | null;
  created_datetime: string;
  sent_datetime: string | null;
  scored_datetime: string | null;
  should_send_datetime: string | null;
}

export interface Integration {
  id: number;
  uri: string;
  type: 'email' | 'shopify' | 'contact_form';
  name: string;
  description: string | null;
  meta: Record<string, unknown>;
  http: null;
  decoration: null;
  mappings: null;
  user: { id: number };
  created_datetime: string;
  updated_datetime: string;
  deactivated_datetime: string | null;
  deleted_datetime: string | null;
  locked_datetime: string | null;
}

/** Ticket, customer and integration datetimes: `2025-03-04T09:12:44.120311+00:00`. */
export function ticketDatetime(epochMs: number): string {
  return `${messageDatetime(epochMs)}+00:00`;
}

/** Message datetimes: `2025-03-04T09:12:44.120311`, without an offset; always UTC. */
export function messageDatetime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '000');
}

// Channels whose tickets the sandbox lets answer by email (`reply_options.email.answerable`).
const EMAIL_ANSWERABLE_CHANNELS = new Set(['email', 'contact_form', 'help-center']);

/**
 * Which channels an agent can answer on now. The sandbox only sends email, so other channels are not. A
 * channel that cannot be answered carries `reasons`, and `phone` an empty entry: the shapes are inferred,
 * the point is that entries are not all `{answerable: boolean}`.
 */
export function replyOptionsFor(channel: string, customerEmail: string | null): ReplyOptions {
  const notAnswerable = (reason: string) => ({ answerable: false, reasons: [reason] });
  const options: ReplyOptions = {
    email:
      customerEmail === null
        ? notAnswerable('The customer has no email address.')
        : EMAIL_ANSWERABLE_CHANNELS.has(channel)
          ? { answerable: true }
          : notAnswerable(`The ticket came in on ${channel}.`),
  };
  if (channel !== 'email' && channel !== 'internal-note') {
    options[channel] = notAnswerable('The sandbox cannot send on this channel.');
  }
  options['internal-note'] = { answerable: true };
  options.phone ??= {};
  return options;
}
