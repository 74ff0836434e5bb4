import type { NewMessage, NewTicket } from '../gorgias/schemas';

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
