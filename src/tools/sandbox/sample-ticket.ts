import type { NewMessage, NewTicket } from '../../gorgias/schemas';
import { CONTACT_FORM_INTEGRATION_ID } from './integrations';

export interface SampleTicketOptions {
  customerEmail?: string;
  customerName?: string;
  subject?: string;
  body?: string;
  channel?: string;
  supportAddress?: string;
}

/** A new email ticket as a customer's first message creates it: what the demo seeds in the sandbox. */
export function sampleTicket(options: SampleTicketOptions = {}): NewTicket {
  const email = options.customerEmail ?? 'dana.lee@example.org';
  const name = options.customerName ?? 'Dana Lee';
  const subject = options.subject ?? 'Where is my order #1042?';
  const channel = options.channel ?? 'email';
  return {
    customer: { email, name, firstname: name.split(' ')[0] ?? name },
    channel,
    via: channel,
    subject,
    messages: [
      {
        channel,
        via: channel,
        from_agent: false,
        sender: { email, name },
        source: {
          type: channel,
          from: { address: email, name },
          to: [{ address: options.supportAddress ?? 'support@shop.example.com', name: 'Shop Support' }],
        },
        subject,
        body_text: options.body ?? 'Hi, my order #1042 has not arrived yet. Can you check?',
      },
    ],
  };
}

export interface ContactFormOptions {
  customerEmail?: string;
  customerName?: string;
  subject?: string;
  body?: string;
  /**
   * The integration the form's messages name: the form's own (no address to send from) by default, an email
   * integration's when the form is tied to one, or none (null).
   */
  integrationId?: number | null;
  /** A recipient the form's message shows (none by default). */
  supportAddress?: string;
}

/**
 * A contact-form ticket: the visitor typed the address, the name, the subject and the text, and nothing checks
 * them. `channel: "contact_form"`, `via: "form"` and a `contact_form` source from the typed address; which
 * integration a form's message names, and whether it shows a recipient, is not documented (inferred: every
 * kind is here), and decides whether a reply can be sent, and from which address.
 */
export function contactFormTicket(options: ContactFormOptions = {}): NewTicket {
  const email = options.customerEmail ?? 'visitor@example.org';
  const name = options.customerName ?? 'Robin Visitor';
  const subject = options.subject ?? 'Question about sizes';
  const integrationId =
    options.integrationId === undefined ? CONTACT_FORM_INTEGRATION_ID : options.integrationId;
  return {
    customer: { email, name, firstname: name.split(' ')[0] ?? name },
    channel: 'contact_form',
    via: 'form',
    subject,
    messages: [
      {
        channel: 'contact_form',
        via: 'form',
        from_agent: false,
        sender: { email, name },
        source: {
          type: 'contact_form',
          from: { address: email, name },
          to: options.supportAddress ? [{ address: options.supportAddress, name: 'Shop Support' }] : [],
        },
        ...(integrationId !== null ? { integration_id: integrationId } : {}),
        subject,
        body_text: options.body ?? 'Hello, do you have the linen shirt in size M?',
      },
    ],
  };
}

/** A reply from our side on a ticket: by an agent in the helpdesk, or by a Gorgias Rule (`via: 'rule'`). */
export function agentReply(
  text: string,
  options: { customerEmail?: string; via?: 'helpdesk' | 'rule' } = {},
): NewMessage {
  const customerEmail = options.customerEmail ?? 'dana.lee@example.org';
  return {
    channel: 'email',
    via: options.via ?? 'helpdesk',
    from_agent: true,
    sender: { email: 'agent@shop.example.com' },
    receiver: { email: customerEmail },
    source: {
      type: 'email',
      from: { address: 'support@shop.example.com' },
      to: [{ address: customerEmail }],
    },
    body_text: text,
  };
}
