import { describe, expect, it } from '@jest/globals';
import type { AxiosInstance } from 'axios';
import { startSandbox, type RunningSandbox } from '../../src/tools/sandbox';
import { shopifyOrder } from '../../src/tools/sandbox/month';
import type { Ticket } from '../../src/tools/sandbox/objects';
import { SHOPIFY_INTEGRATION_ID } from '../../src/tools/sandbox/shopify';
import {
  apiFor,
  clientFor,
  credentials,
  emailReply,
  FIRST_EMAIL_INTEGRATION_ID,
  internalNote,
  MESSAGE_DATETIME,
  newTicket,
  type SandboxApi,
  SUPPORT,
  TICKET_DATETIME,
  useSandbox,
  withSandbox,
} from '../support/sandbox-api';

/** Tickets and customers as the sandbox creates and answers them, in Gorgias's untidy shapes. */

describe('sandbox tickets and customers', () => {
  let sandbox: RunningSandbox;
  let api: SandboxApi;
  let raw: AxiosInstance;
  useSandbox({ rateLimit: false, sendDelayMs: 20 }, (opened) => ({ sandbox, api, raw } = opened));

  it('creates a ticket and returns it, with its messages, in the full Gorgias shape', async () => {
    const created = await api.createTicket(newTicket({ tags: [{ name: 'vip' }] }));
    const fetched = await api.ticket(created.id);

    expect(fetched).toEqual(created);
    expect(fetched).toMatchObject({
      id: created.id,
      uri: `/api/tickets/${created.id}/`,
      status: 'open',
      priority: 'normal',
      channel: 'email',
      via: 'email',
      from_agent: false,
      subject: 'Where is my order #1042?',
      customer: {
        email: 'dana.lee@example.org',
        name: 'Dana Lee',
        firstname: 'Dana',
        lastname: 'Lee',
        channels: [{ type: 'email', address: 'dana.lee@example.org', preferred: true }],
      },
      reply_options: { email: { answerable: true } },
      tags: [{ name: 'vip' }],
      last_message_datetime: expect.any(String),
      // Fields the service does not know, but real Gorgias sends.
      custom_fields: {},
      events: [],
      satisfaction_survey: null,
    });
    const [message] = fetched.messages;
    expect(message).toMatchObject({
      ticket_id: created.id,
      from_agent: false,
      public: true,
      uri: expect.stringMatching(/^\/api\/tickets\/\d+\/messages\/\d+\/$/),
      sender: { email: 'dana.lee@example.org' },
      source: { from: { address: 'dana.lee@example.org' }, to: [{ address: SUPPORT }], extra: {} },
      integration_id: FIRST_EMAIL_INTEGRATION_ID,
      rule_id: null,
      meta: null,
      headers: null,
      failed_datetime: null,
      last_sending_error: null,
    });
  });

  it('writes ticket datetimes with +00:00 and message datetimes without an offset, both in UTC', async () => {
    const clock = { now: Date.UTC(2025, 2, 4, 9, 12, 44, 120) };
    await withSandbox({ rateLimit: false, now: () => clock.now }, async (other) => {
      const ticket = await apiFor(other).createTicket();
      expect(ticket.created_datetime).toBe('2025-03-04T09:12:44.120000+00:00');
      expect(ticket.customer.created_datetime).toMatch(TICKET_DATETIME);
      for (const message of ticket.messages) {
        expect(message.created_datetime).toBe('2025-03-04T09:12:44.120000');
        expect(message.sent_datetime).toMatch(MESSAGE_DATETIME);
        expect(Date.parse(`${message.created_datetime}Z`)).toBe(clock.now);
      }
    });
  });

  it('creates a customer without a name with empty first and last names and a null name', async () => {
    const ticket = await api.createTicket(newTicket({ customer: { email: 'nameless@example.org' } }));
    expect(ticket.customer).toMatchObject({ firstname: '', lastname: '', name: null });
    const half = await api.createTicket(
      newTicket({ customer: { email: 'kim@example.org', firstname: 'Kim' } }),
    );
    expect(half.customer).toMatchObject({ firstname: 'Kim', lastname: '', name: 'Kim' });
  });

  it('gives customers Shopify data keyed by integration id, with orders for odd customer ids only', async () => {
    // A fresh sandbox, so that the customer ids are known: 501, 502, 503.
    const fresh = await startSandbox({ ...credentials, port: 0, rateLimit: false });
    const freshApi = apiFor(fresh);
    const first = await freshApi.createTicket();
    const second = await freshApi.createTicket(newTicket({ customer: { email: 'sam@example.org' } }));
    const third = await freshApi.createTicket(newTicket({ customer: { email: 'lou@example.org' } }));
    await fresh.close();
    expect([first.customer.id, second.customer.id, third.customer.id]).toEqual([501, 502, 503]);

    const shopify = first.customer.integrations[String(SHOPIFY_INTEGRATION_ID)];
    expect(shopify).toMatchObject({
      __integration_type__: 'shopify',
      customer: { email: 'dana.lee@example.org', first_name: 'Dana', last_name: 'Lee', orders_count: 2 },
    });
    expect(shopify?.orders?.[0]).toMatchObject({
      name: expect.stringMatching(/^#\d+$/),
      created_at: expect.any(String),
      financial_status: 'paid',
      fulfillment_status: 'fulfilled',
      order_status_url: expect.stringMatching(/^https:\/\//),
      fulfillments: [
        {
          tracking_number: expect.any(String),
          tracking_numbers: [expect.any(String)],
          tracking_url: expect.stringMatching(/^https:\/\//),
          tracking_urls: [expect.any(String)],
          shipment_status: 'in_transit',
        },
      ],
    });
    expect(shopify?.orders?.[1]?.fulfillments[0]?.shipment_status).toBe('delivered');
    // 4n+3: one order, paid and not yet shipped.
    expect(third.customer.integrations[String(SHOPIFY_INTEGRATION_ID)]?.orders).toEqual([
      expect.objectContaining({ fulfillment_status: null, fulfillments: [] }),
    ]);
    // Even ids: the customer part only, whose count says they have none.
    expect(second.customer.integrations[String(SHOPIFY_INTEGRATION_ID)]).not.toHaveProperty('orders');
    expect(second.customer.integrations[String(SHOPIFY_INTEGRATION_ID)]?.customer.orders_count).toBe(0);
    expect(third.customer.integrations[String(SHOPIFY_INTEGRATION_ID)]?.customer.orders_count).toBe(1);

    // The same customer id gets the same data in another sandbox.
    await withSandbox({ rateLimit: false }, async (other) => {
      const again = await apiFor(other).createTicket();
      expect(again.customer.id).toBe(first.customer.id);
      expect(again.customer.integrations).toEqual(first.customer.integrations);
    });
  });

  it("keeps the Shopify customer's orders_count with the orders it holds, on the ticket or only on the customer", async () => {
    const shopifyOf = (customer: { integrations: Ticket['customer']['integrations'] }) =>
      customer.integrations[String(SHOPIFY_INTEGRATION_ID)];
    const customerRead = async (id: number) =>
      (await raw.get<Ticket['customer']>(`/api/customers/${id}`)).data;
    const order = shopifyOrder(1077, Date.now() - 86_400_000, null, null);
    const cases = [
      // On the ticket; only on the customer read (the ticket's part still counts them); none; nothing known.
      { email: 'on.ticket@example.org', orders: [order], onTicket: true, count: 1, onTicketOrders: [order] },
      {
        email: 'off.ticket@example.org',
        orders: [order],
        onTicket: false,
        count: 1,
        onTicketOrders: undefined,
      },
      { email: 'no.orders@example.org', orders: [], onTicket: false, count: 0, onTicketOrders: undefined },
      {
        email: 'no.data@example.org',
        orders: null,
        onTicket: true,
        count: undefined,
        onTicketOrders: undefined,
      },
    ];
    for (const { email, orders, onTicket, count, onTicketOrders } of cases) {
      sandbox.setCustomerOrders(email, orders, { onTicket });
      const ticket = await api.createTicket(newTicket({ customer: { email } }));
      const onTheTicket = shopifyOf((await api.ticket(ticket.id)).customer);
      const read = shopifyOf(await customerRead(ticket.customer.id));
      expect([email, onTheTicket?.customer.orders_count, read?.customer.orders_count]).toEqual([
        email,
        count,
        count,
      ]);
      expect([email, onTheTicket?.orders]).toEqual([email, onTicketOrders]);
      expect([email, read?.orders]).toEqual([email, orders ?? undefined]);
    }
    expect(sandbox.stats().customerReads).toBeGreaterThanOrEqual(cases.length);
  });

  it('leaves a Rule internal note right after the customer message of a new ticket', async () => {
    const ticket = await api.createTicket();
    expect(ticket.messages).toHaveLength(2);
    const [first, note] = ticket.messages;
    expect(note).toMatchObject({
      channel: 'internal-note',
      via: 'rule',
      from_agent: true,
      public: false,
      rule_id: expect.any(Number),
      source: null,
      integration_id: null,
      sent_datetime: note?.created_datetime,
    });
    expect(note).not.toHaveProperty('receiver');
    expect(note?.id).toBeGreaterThan(first?.id ?? Infinity);
    expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);

    // No note when our side opened the ticket.
    const opening = emailReply(0, { receiver: { email: 'dana.lee@example.org' } });
    const byAgent = await api.createTicket(newTicket({ messages: [opening] }));
    expect(byAgent.messages).toHaveLength(1);
  });

  it('leaves no Rule note when ruleNote is off', async () => {
    await withSandbox({ rateLimit: false, ruleNote: false }, async (other) => {
      const ticket = await apiFor(other).createTicket();
      expect(ticket.messages.map((m) => m.channel)).toEqual(['email']);
    });
  });

  it('reuses a customer by email and numbers new customers upwards', async () => {
    const first = await api.createTicket();
    const again = await api.createTicket(newTicket({ customer: { email: 'DANA.LEE@example.org' } }));
    const other = await api.createTicket(newTicket({ customer: { email: 'sam@example.org' } }));
    expect(again.customer.id).toBe(first.customer.id);
    expect(other.customer.id).toBe(first.customer.id + 1);
    expect(again.id).toBe(first.id + 1);
  });

  it('marks email not answerable on a chat ticket, with reasons, and has an empty reply option', async () => {
    const ticket = await api.createTicket(
      newTicket({
        messages: [{ channel: 'chat', via: 'gorgias_chat', from_agent: false, body_text: 'hello?' }],
      }),
    );
    expect(ticket.channel).toBe('chat');
    expect(ticket.reply_options).toEqual({
      email: { answerable: false, reasons: [expect.any(String)] },
      chat: { answerable: false, reasons: [expect.any(String)] },
      'internal-note': { answerable: true },
      phone: {},
    });
    expect(ticket.messages[0]?.integration_id).toBeNull();
  });

  it('answers 404 with an error body for an unknown ticket', async () => {
    const missing = await raw.get('/api/tickets/999999');
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual({ error: { msg: expect.any(String) } });
    await expect(clientFor(sandbox).getTicket(999999)).rejects.toMatchObject({
      kind: 'permanent',
      status: 404,
    });
    expect((await raw.post('/api/tickets/999999/messages', internalNote)).status).toBe(404);
  });
});
