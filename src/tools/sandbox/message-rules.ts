import type { NewMessage } from '../../gorgias/schemas';
import { addFieldError, type FieldErrors } from './api-error';

/**
 * What Gorgias rejects in a new message beyond the schema (docs/gorgias.md, "Writing messages"): an outgoing
 * reply must say who sends it and to whom, an email must have an envelope, and every message needs a body.
 */
export function messageRuleViolations(message: NewMessage, prefix = ''): FieldErrors {
  const errors: FieldErrors = {};
  const at = (field: string) => `${prefix}${field}`;

  if (!hasText(message.body_text) && !hasText(message.body_html)) {
    addFieldError(errors, at('body_text'), 'body_text or body_html is required.');
  }
  if (message.sent_datetime !== undefined && Number.isNaN(Date.parse(message.sent_datetime))) {
    addFieldError(errors, at('sent_datetime'), 'Not a valid datetime.');
  }

  const outgoing = message.from_agent && message.channel !== 'internal-note';
  if (!outgoing) return errors;

  if (!message.receiver || (message.receiver.id === undefined && !hasText(message.receiver.email))) {
    addFieldError(errors, at('receiver'), 'An outgoing message needs a receiver with an id or an email.');
  }
  if (!message.sender || (message.sender.id === undefined && !hasText(message.sender.email))) {
    addFieldError(errors, at('sender'), 'An outgoing message needs a sender with an id or an email.');
  }
  if (message.channel === 'email') {
    if (!message.source) {
      addFieldError(errors, at('source'), 'An outgoing email needs a source with from and to addresses.');
    } else {
      if (!message.source.from)
        addFieldError(errors, at('source.from.address'), 'Missing data for required field.');
      if (!message.source.to || message.source.to.length === 0) {
        addFieldError(errors, at('source.to'), 'An outgoing email needs at least one recipient.');
      }
    }
  }
  return errors;
}

function hasText(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
