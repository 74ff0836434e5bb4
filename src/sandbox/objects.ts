/**
 * The Gorgias objects (reference §2) in the full shape the sandbox stores and returns. The service parses
 * them with the lenient schemas of `src/gorgias/schemas.ts`; the extra fields are here so that the sandbox
 * answers look like the real ones.
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
  external_id: string | null;
  language: string | null;
  timezone: string | null;
  note: string | null;
  meta: Record<string, unknown>;
  data: Record<string, unknown> | null;
  channels: CustomerChannel[];
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
  receiver: Person | null;
  source: MessageSource;
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
  last_sending_error: Record<string, unknown> | null;
  opened_datetime: string | null;
  deleted_datetime: string | null;
}

export interface Tag {
  id: number;
  name: string;
  uri: string;
  decoration: null;
}

export type ReplyOptions = Record<string, { answerable: boolean }>;

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
  messages: Message[];
  reply_options: ReplyOptions;
  satisfaction_survey: null;
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

/** Gorgias writes datetimes with microseconds and an explicit offset: `2025-03-04T09:12:44.120311+00:00`. */
export function gorgiasDatetime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('Z', '000+00:00');
}

// Channels on which Gorgias can answer by email (reference §2.1 `reply_options`).
const EMAIL_ANSWERABLE_CHANNELS = new Set(['email', 'contact_form', 'help-center']);

/** Which channels an agent can answer on now. The sandbox only sends email, so other channels are not. */
export function replyOptionsFor(channel: string, customerEmail: string | null): ReplyOptions {
  const options: ReplyOptions = {
    email: { answerable: customerEmail !== null && EMAIL_ANSWERABLE_CHANNELS.has(channel) },
  };
  if (channel !== 'email' && channel !== 'internal-note') options[channel] = { answerable: false };
  options['internal-note'] = { answerable: true };
  return options;
}
