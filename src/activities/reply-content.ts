import Mustache from 'mustache';
import type { ReplyConfig } from '../config';
import type { TicketFacts } from '../workflows/decide';

export interface RenderedMessage {
  subject: string;
  bodyText: string;
  bodyHtml: string;
}

/** Variables available to the reply templates. A missing value renders its fallback, never `undefined`. */
export function replyVariables(ticket: TicketFacts, fallbackName: string): Record<string, string> {
  return {
    ticket_id: String(ticket.ticketId),
    subject: ticket.subject?.trim() || ticket.lastCustomerMessage?.subject?.trim() || 'your message',
    customer_first_name: ticket.customer?.firstName?.trim() || fallbackName,
    customer_name: ticket.customer?.name?.trim() || ticket.customer?.firstName?.trim() || fallbackName,
    channel: ticket.channel,
  };
}

/** Renders a template as plain text: values are inserted verbatim, HTML escaping happens once, in toHtml. */
export function renderText(template: string, variables: Record<string, string>): string {
  return Mustache.render(template, variables, {}, { escape: (value: string) => value });
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

/** Plain text to HTML: everything escaped, blank lines make paragraphs, single newlines make line breaks. */
export function toHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

export function renderReply(templates: ReplyConfig, ticket: TicketFacts): RenderedMessage {
  const variables = replyVariables(ticket, templates.REPLY_FALLBACK_NAME);
  const bodyText = renderText(templates.REPLY_BODY_TEMPLATE, variables);
  return {
    subject: renderText(templates.REPLY_SUBJECT_TEMPLATE, variables).replace(/\s+/g, ' ').trim(),
    bodyText,
    bodyHtml: toHtml(bodyText),
  };
}

export interface NoteFacts {
  to: string;
  sentAt: string;
  replyMessageId: number;
  subject: string;
  bodyText: string;
  traceUrl: string;
}

/** The internal note agents see: what was sent, when, to whom, and where to trace it. */
export function renderNote(note: NoteFacts): { bodyText: string; bodyHtml: string } {
  const bodyText = [
    `Auto-reply sent to ${note.to} at ${note.sentAt} (message ${note.replyMessageId}).`,
    `Subject: ${note.subject}`,
    '',
    note.bodyText,
    '',
    `Trace: ${note.traceUrl}`,
  ].join('\n');
  const bodyHtml = [
    `<p><b>Auto-reply sent</b> to ${escapeHtml(note.to)} at ${escapeHtml(note.sentAt)} (message ${note.replyMessageId}).</p>`,
    `<p>Subject: ${escapeHtml(note.subject)}</p>`,
    `<blockquote>${toHtml(note.bodyText)}</blockquote>`,
    `<p>Trace: <a href="${escapeHtml(note.traceUrl)}">${escapeHtml(note.traceUrl)}</a></p>`,
  ].join('');
  return { bodyText, bodyHtml };
}
