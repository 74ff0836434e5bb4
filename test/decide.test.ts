import { describe, expect, it } from '@jest/globals';
import { decideAutoReply, isAutomatedAddress, type TicketFacts } from '../src/workflows/decide';

const newTicket: TicketFacts = {
  ticketId: 1,
  status: 'open',
  channel: 'email',
  spam: false,
  subject: 'Where is my order?',
  language: 'en',
  openedByAgent: false,
  customer: { id: 7, email: 'dana@example.org', firstName: 'Dana', name: 'Dana Lee' },
  emailAnswerable: true,
  agentReplied: false,
  autoReplyPresent: false,
  lastCustomerMessage: {
    id: 3,
    integrationId: 5,
    supportAddress: { address: 'support@shop.example.com', name: null },
    subject: null,
  },
};

describe('the auto-reply decision', () => {
  it('replies to a new ticket from a customer', () => {
    expect(decideAutoReply(newTicket)).toEqual({ reply: true });
  });

  it.each<[string, Partial<TicketFacts>, string]>([
    ['our auto-reply is already there', { autoReplyPresent: true }, 'already-auto-replied'],
    ['the ticket is spam', { spam: true }, 'spam'],
    ['the ticket is closed', { status: 'closed' }, 'closed'],
    ['an agent opened the ticket', { openedByAgent: true }, 'opened-by-agent'],
    ['an agent replied first', { agentReplied: true }, 'agent-replied-first'],
    [
      'the customer has no email',
      { customer: { id: 7, email: null, firstName: null, name: null } },
      'no-customer-email',
    ],
    [
      'the customer is a mailer daemon',
      { customer: { id: 7, email: 'mailer-daemon@mx.example.com', firstName: null, name: null } },
      'no-reply-sender',
    ],
    ['email is not answerable', { emailAnswerable: false }, 'not-answerable-by-email'],
    ['no support address is known', { lastCustomerMessage: null }, 'not-answerable-by-email'],
  ])('skips when %s', (_why, change, reason) => {
    expect(decideAutoReply({ ...newTicket, ...change })).toEqual({ reply: false, reason });
  });

  it.each([
    'noreply@x.com',
    'no-reply@x.com',
    'No_Reply+shop@x.com',
    'donotreply@x.com',
    'do-not-reply@x.com',
    'MAILER-DAEMON@x.com',
    'postmaster@x.com',
    'bounces+123@x.com',
  ])('treats %s as an automatic sender', (address) => expect(isAutomatedAddress(address)).toBe(true));

  it.each(['dana@example.org', 'noreen@x.com', 'replyguy@x.com', 'post@x.com'])(
    'treats %s as a person',
    (address) => expect(isAutomatedAddress(address)).toBe(false),
  );
});
