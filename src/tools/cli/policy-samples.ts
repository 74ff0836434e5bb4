import type { OrderFacts, OrderMatch } from '../../reply/orders/branch';
import type { Policy } from '../../policy/schema';
import { storeKeyKindOf } from '../../policy/store-keys';
import type { TicketFacts } from '../../reply/decision';

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
    replyTo: { address: customer.email, name: customer.name, lastMessage: false },
    replyFrom: { address: 'support@shop.example.com', name: 'Shop Support', integrationId: 6612 },
    orderQuestion: null,
  };
}

/** Sample tickets `npm run policy:check` runs a policy against. */
export function sampleTickets(now: Date): { label: string; ticket: TicketFacts }[] {
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();
  const base = newEmailTicket(now);
  const from = (email: string): Pick<TicketFacts, 'customer' | 'replyTo'> => ({
    customer: { ...customer, email, firstName: null, name: null },
    replyTo: { address: email, name: null, lastMessage: false },
  });
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
    {
      label: 'contact form with no address to reply from',
      ticket: { ...base, channel: 'contact_form', replyFrom: null },
    },
    { label: 'chat conversation', ticket: { ...base, channel: 'chat' } },
    {
      label: 'from noreply@shop-notifications.com',
      ticket: { ...base, ...from('noreply@shop-notifications.com') },
    },
    { label: 'out-of-office auto-reply', ticket: { ...base, automatedMail: 'auto-submitted' } },
    { label: 'in the trash', ticket: { ...base, trashed: true } },
    { label: 'an agent already answered', ticket: { ...base, agentReplied: true } },
    { label: 'tagged no-auto-reply', ticket: { ...base, tags: ['no-auto-reply'] } },
    { label: 'created 2 hours ago (webhook lost)', ticket: { ...base, createdAt: minutesAgo(120) } },
  ];
}

/** An order placed `days` ago, shipped `shippedDaysAgo` ago (with tracking) or not shipped (null). */
export function sampleOrder(
  now: Date,
  days: number,
  shippedDaysAgo: number | null,
  number = 1042,
): OrderFacts {
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
  const tracking = `1Z999AA1${String(number).padStart(10, '0')}`;
  return {
    name: `#${number}`,
    number: String(number),
    createdAt: daysAgo(days),
    cancelled: false,
    financialStatus: 'paid',
    fulfillmentStatus: shippedDaysAgo === null ? null : 'fulfilled',
    shippedAt: shippedDaysAgo === null ? null : daysAgo(shippedDaysAgo),
    trackingNumber: shippedDaysAgo === null ? null : tracking,
    trackingUrl: shippedDaysAgo === null ? null : `https://tracking.example.com/${tracking}`,
    shipmentStatus: shippedDaysAgo === null ? null : 'in_transit',
    statusUrl: `https://shop.example.com/orders/${number}`,
  };
}

/** Order questions, one per branch of the policy's order rules (`npm run policy:check`). */
export function orderSampleTickets(now: Date): { label: string; ticket: TicketFacts }[] {
  const asking = (match: OrderMatch): TicketFacts => ({ ...newEmailTicket(now), orderQuestion: { match } });
  const about = (order: OrderFacts) => asking({ found: 'order', order });
  const unsafe = { ...sampleOrder(now, 4, 2), trackingUrl: 'javascript:alert(1)' };
  return [
    { label: 'order shipped 2 days ago, tracked', ticket: about(sampleOrder(now, 4, 2)) },
    { label: 'order placed yesterday, not shipped', ticket: about(sampleOrder(now, 1, null)) },
    { label: 'order placed 10 days ago, not shipped', ticket: about(sampleOrder(now, 10, null)) },
    { label: 'order question, no order found', ticket: asking({ found: 'no-orders' }) },
    {
      label: 'order question naming an order the customer does not have',
      ticket: asking({ found: 'not-theirs', named: ['1042'] }),
    },
    { label: 'order question, no Shopify data on the customer', ticket: asking({ found: 'no-data' }) },
    {
      label: 'order question, the orders not on the ticket (not read)',
      ticket: asking({ found: 'not-on-ticket' }),
    },
    { label: 'tracking link is not https', ticket: about(unsafe) },
  ];
}

/** A new email to each store section of the policy, as it would arrive (`npm run policy:check`). */
export function storeSampleTickets(now: Date, policy: Policy): { label: string; ticket: TicketFacts }[] {
  const base = newEmailTicket(now);
  return Object.keys(policy.stores).map((key) => {
    const byId = storeKeyKindOf(key) === 'integration';
    const received = {
      id: 31337002,
      integrationId: byId ? Number(key) : null,
      supportAddress: byId ? null : { address: key, name: null },
      subject: base.subject,
    };
    // No language from Gorgias: the store's own language (if it has one) shows.
    return {
      label: `new email to store ${key}`,
      ticket: { ...base, language: null, lastCustomerMessage: received },
    };
  });
}
