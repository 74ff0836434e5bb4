import type { TicketFacts } from '../workflows/decision';

const customer = { id: 9001, email: 'dana.lee@example.org', firstName: 'Dana', name: 'Dana Lee' };

/** A customer's new email ticket, a minute old, as `fetchTicket` describes it: the case that gets a reply. */
export function newEmailTicket(now: Date): TicketFacts {
  return {
    ticketId: 1001,
    status: 'open',
    channel: 'email',
    spam: false,
    trashed: false,
    subject: 'Where is my order #1042?',
    language: 'en',
    createdAt: new Date(now.getTime() - 60_000).toISOString(),
    tags: [],
    openedByAgent: false,
    customer,
    emailAnswerable: true,
    agentReplied: false,
    ruleReplied: false,
    autoReplyPresent: false,
    automatedMail: null,
    lastCustomerMessage: {
      id: 31337001,
      integrationId: 6612,
      supportAddress: { address: 'support@shop.example.com', name: 'Shop Support' },
      subject: 'Where is my order #1042?',
    },
  };
}

/** Sample tickets `npm run policy:check` runs a policy against. */
export function sampleTickets(now: Date): { label: string; ticket: TicketFacts }[] {
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
  const base = newEmailTicket(now);
  const from = (email: string) => ({ ...customer, email, firstName: null, name: null });
  return [
    { label: 'new email from a customer', ticket: base },
    {
      label: 'contact form, in French',
      ticket: {
        ...base,
        channel: 'contact_form',
        language: 'fr',
        customer: { ...customer, firstName: 'Élodie' },
      },
    },
    { label: 'chat conversation', ticket: { ...base, channel: 'chat' } },
    {
      label: 'from noreply@shop-notifications.com',
      ticket: { ...base, customer: from('noreply@shop-notifications.com') },
    },
    { label: 'out-of-office auto-reply', ticket: { ...base, automatedMail: 'auto-submitted' } },
    { label: 'in the trash', ticket: { ...base, trashed: true } },
    { label: 'an agent already answered', ticket: { ...base, agentReplied: true } },
    { label: 'tagged no-auto-reply', ticket: { ...base, tags: ['no-auto-reply'] } },
    { label: 'created 2 hours ago (webhook lost)', ticket: { ...base, createdAt: minutesAgo(120) } },
  ];
}
