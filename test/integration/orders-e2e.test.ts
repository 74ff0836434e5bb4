import { describe, expect, it } from '@jest/globals';
import { shopifyOrder } from '../../src/tools/sandbox/month';
import type { SampleTicketOptions } from '../../src/tools/sandbox/sample-ticket';
import type { ShopifyOrder } from '../../src/tools/sandbox/shopify';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { useTestStack } from '../support/stack';

/**
 * Order-aware replies and per-store policies end to end: the real worker on a real Temporal dev server, the
 * Gorgias sandbox holding the customers' Shopify orders, the shipped default policy plus two store sections.
 */

const ctx = useTestStack({
  sandbox: {
    emailIntegrations: [
      { address: 'support@shop.example.com', name: 'Shop Support' },
      { address: 'bonjour@maison-lune.example', name: 'Maison Lune' },
      { address: 'hello@brand-two.example', name: 'Brand Two' },
    ],
  },
  policy: {
    // Reading the customer where the ticket lacks the orders (off as shipped: test/integration/first-day.test.ts).
    orders: { enabled: true, read_customer: true },
    stores: {
      '6602': { name: 'Maison Lune', language: 'fr' },
      'hello@brand-two.example': {
        name: 'Brand Two',
        templates: {
          acknowledgement: {
            subject: 'Brand Two: {{subject}}',
            body: 'Hey {{customer_first_name}}, got it!',
          },
        },
      },
    },
  },
});

const DAY = 86_400_000;
/** An order question that names no order number (the sample ticket's subject names #1042). */
const ASKING = { subject: 'My order', body: 'Hi, where is my order?' };

async function answer(ticketId: number) {
  expect((await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
  return ctx.stack.result(ticketId);
}

/** A customer with these Shopify orders (null: the customer part only) asks a question: the ticket, answered. */
async function askAbout(customerEmail: string, orders: ShopifyOrder[] | null, question: SampleTicketOptions) {
  ctx.stack.sandbox.setCustomerOrders(customerEmail, orders);
  const ticketId = await ctx.stack.seedTicket({ customerEmail, ...question });
  return { ticketId, result: await answer(ticketId) };
}

/** How many times the workflow read the customer from Gorgias. */
async function customerReads(ticketId: number): Promise<number> {
  const history = await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'readCustomerOrders',
  ).length;
}

/** The ticket's workflow history as text, every payload decoded (what Temporal keeps about the customer). */
async function historyText(ticketId: number): Promise<string> {
  const history = await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).fetchHistory();
  return JSON.stringify(history, (key, value: unknown) =>
    key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value,
  );
}

async function searchAttributes(ticketId: number) {
  return (await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).describe()).searchAttributes;
}

describe('order-aware acknowledgements', () => {
  it('a customer asking where their shipped order is gets its name and tracking link, with no extra Gorgias call', async () => {
    const customerEmail = 'shipped.order@example.org';
    const now = Date.now();
    ctx.stack.sandbox.setCustomerOrders(customerEmail, [
      shopifyOrder(1042, now - 4 * DAY, now - 2 * DAY, 'in_transit'),
    ]);
    const ticketId = await ctx.stack.seedTicket({ customerEmail, customerName: 'Dana Lee' });
    expect(await answer(ticketId)).toMatchObject({ outcome: 'replied' });
    const [reply] = ctx.stack.posted(ticketId).replies;
    const tracking = 'https://www.ups.com/track?tracknum=1Z999AA10000001042';
    expect(reply?.body_text).toContain('Good news: your order #1042 of');
    expect(reply?.body_text).toContain(`Follow it here: ${tracking}`);
    expect(reply?.body_html).toContain(`<a href="${tracking.replace('&', '&amp;')}">`);
    expect(ctx.stack.posted(ticketId).notes[0]?.body_text).toContain('Order: #1042 (branch shipped).');
    expect(await customerReads(ticketId)).toBe(0);
    expect((await searchAttributes(ticketId)).GorgiasStore).toEqual(['default']);
  });

  it('a ticket that lacks the orders has its customer read from Gorgias once', async () => {
    const customerEmail = 'orders.elsewhere@example.org';
    const now = Date.now();
    ctx.stack.sandbox.setCustomerOrders(customerEmail, [shopifyOrder(1077, now - DAY, null, null)], {
      onTicket: false,
    });
    const ticketId = await ctx.stack.seedTicket({ customerEmail, body: 'Hi, where is my order #1077?' });
    expect(await answer(ticketId)).toMatchObject({ outcome: 'replied' });
    expect(ctx.stack.posted(ticketId).replies[0]?.body_text).toContain('Your order #1077 of');
    expect(ctx.stack.posted(ticketId).replies[0]?.body_text).toContain('is being prepared');
    expect(await customerReads(ticketId)).toBe(1);
  });

  it("the workflow's history keeps only the order the reply speaks of, without its status page link", async () => {
    const now = Date.now();
    const orders = [
      shopifyOrder(2301, now - 3 * DAY, now - 2 * DAY, 'in_transit'),
      shopifyOrder(2302, now - 9 * DAY, now - 8 * DAY, 'in_transit'),
      shopifyOrder(2303, now - 60 * DAY, now - 58 * DAY, 'delivered'),
    ];
    const { ticketId, result } = await askAbout('three.orders@example.org', orders, {
      subject: 'Order 2302',
      body: 'Hi, where is my order #2302?',
    });
    expect(result).toMatchObject({ outcome: 'replied' });
    expect(ctx.stack.posted(ticketId).replies[0]?.body_text).toContain('your order #2302');
    const history = await historyText(ticketId);
    const kept = (text: string) => [text, history.includes(text)];
    expect(kept('1Z999AA10000002302')).toEqual(['1Z999AA10000002302', true]);
    for (const other of ['#2301', '#2303', '1Z999AA10000002301', '1Z999AA10000002303', 'authenticate?key']) {
      expect(kept(other)).toEqual([other, false]);
    }
  });

  it('an order still not shipped after the preparing window is handed to a human: tag and note, no reply', async () => {
    const customerEmail = 'late.order@example.org';
    ctx.stack.sandbox.setCustomerOrders(customerEmail, [
      shopifyOrder(1099, Date.now() - 9 * DAY, null, null),
    ]);
    const ticketId = await ctx.stack.seedTicket({
      customerEmail,
      body: 'My order #1099 still has not shipped?',
    });
    expect(await answer(ticketId)).toMatchObject({ outcome: 'skipped', reason: 'order-delayed' });
    const { replies, notes } = ctx.stack.posted(ticketId);
    expect(replies).toEqual([]);
    expect(notes[0]?.body_text).toContain('(order-delayed)');
    expect(notes[0]?.body_text).toContain('Tagged "order-delayed".');
    expect((await ctx.stack.gorgias.getTicket(ticketId)).tags.map((t) => t.name)).toContain('order-delayed');
    expect(await searchAttributes(ticketId)).toMatchObject({
      AutoReplyOutcome: ['skipped'],
      AutoReplyReason: ['order-delayed'],
    });
  });

  it('an order question from a customer Shopify lists no orders for asks for the order number', async () => {
    const { ticketId, result } = await askAbout('no.orders@example.org', [], ASKING);
    expect(result).toMatchObject({ outcome: 'replied' });
    expect(ctx.stack.posted(ticketId).replies[0]?.body_text).toContain(
      'could you reply with your order number',
    );
  });

  it('a customer whose Shopify data on the ticket says orders_count 0 is asked for the number, with no customer read', async () => {
    const customerEmail = 'count.zero@example.org';
    // The ticket carries the Shopify customer part only, `orders_count: 0`; the customer read would list none.
    ctx.stack.sandbox.setCustomerOrders(customerEmail, [], { onTicket: false });
    const ticketId = await ctx.stack.seedTicket({ customerEmail, ...ASKING });
    const readsBefore = ctx.stack.sandbox.stats().customerReads;
    expect(await answer(ticketId)).toMatchObject({ outcome: 'replied' });
    const { replies, notes } = ctx.stack.posted(ticketId);
    expect(replies[0]?.body_text).toContain('could you reply with your order number');
    expect(notes[0]?.body_text).toContain('(branch no-order: no order found for this customer)');
    expect(ctx.stack.sandbox.stats().customerReads - readsBefore).toBe(0);
    expect(await customerReads(ticketId)).toBe(0);
  });

  it('a customer naming an order number they do not have hears nothing of their other orders', async () => {
    const now = Date.now();
    const orders = [shopifyOrder(2201, now - 4 * DAY, now - 2 * DAY, 'in_transit')];
    const { ticketId, result } = await askAbout('other.orders@example.org', orders, {
      subject: 'My order',
      body: 'Where is my order #9999?',
    });
    expect(result).toMatchObject({ outcome: 'replied' });
    const { replies, notes } = ctx.stack.posted(ticketId);
    expect(replies[0]?.body_text).toContain('a member of our team will get back to you shortly');
    expect(replies[0]?.body_text).not.toMatch(/2201|tracking|on its way|could not find/i);
    expect(notes[0]?.body_text).toContain(
      'Order: none (branch not-theirs: the customer names #9999, not one of their orders).',
    );
  });

  it('a customer Gorgias has no Shopify orders for gets the plain acknowledgement, after one customer read', async () => {
    const readsBefore = ctx.stack.sandbox.stats().customerReads;
    // The Shopify customer part without orders or a count: nothing on the ticket says whether there are any.
    const { ticketId, result } = await askAbout('no.shopify.orders@example.org', null, ASKING);
    expect(result).toMatchObject({ outcome: 'replied' });
    const { replies, notes } = ctx.stack.posted(ticketId);
    expect(replies[0]?.body_text).toContain('a member of our team will get back to you shortly');
    expect(replies[0]?.body_text).not.toMatch(/could not find|your order/i);
    expect(notes[0]?.body_text).toContain(
      '(branch no-data: Gorgias has no Shopify orders for this customer).',
    );
    expect(ctx.stack.sandbox.stats().customerReads - readsBefore).toBe(1);
    expect(await customerReads(ticketId)).toBe(1);
  });
});

describe('one policy per store', () => {
  it.each([
    [
      'by integration id: its language, its name in the note and in GorgiasStore',
      {
        supportAddress: 'bonjour@maison-lune.example',
        subject: 'Une question',
        body: 'Avez-vous la chemise en lin en taille M ?',
        customerName: 'Élodie Martin',
      },
      { body_text: expect.stringContaining('Bonjour Élodie,') },
      'Store: Maison Lune (by email integration 6602), policy version ',
      'Maison Lune',
    ],
    [
      'by address: its own templates',
      {
        supportAddress: 'hello@brand-two.example',
        subject: 'Sizes',
        body: 'Do you have it in size M?',
        customerName: 'Sam Rivera',
      },
      { subject: 'Brand Two: Sizes', body_text: 'Hey Sam, got it!' },
      'Store: Brand Two (by address hello@brand-two.example), policy version ',
      'Brand Two',
    ],
  ])('resolves the store %s', async (_how, ticket, reply, note, store) => {
    const ticketId = await ctx.stack.seedTicket(ticket);
    expect(await answer(ticketId)).toMatchObject({ outcome: 'replied' });
    expect(ctx.stack.posted(ticketId).replies[0]).toMatchObject(reply);
    expect(ctx.stack.posted(ticketId).notes[0]?.body_text).toContain(note);
    expect((await searchAttributes(ticketId)).GorgiasStore).toEqual([store]);
  });
});
