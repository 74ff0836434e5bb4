import { describe, expect, it } from '@jest/globals';
import type { NewMessage, NewTicket } from '../../src/gorgias/schemas';
import type { RunningSandbox } from '../../src/tools/sandbox';
import type { Integration } from '../../src/tools/sandbox/objects';
import { CONTACT_FORM_INTEGRATION_ID } from '../../src/tools/sandbox/integrations';
import { contactFormTicket } from '../../src/tools/sandbox/sample-ticket';
import { SHOPIFY_INTEGRATION_ID } from '../../src/tools/sandbox/shopify';
import {
  emailReply,
  FIRST_EMAIL_INTEGRATION_ID,
  GORGIAS_PROVIDED,
  internalNote,
  type SandboxApi,
  SUPPORT,
  TICKET_DATETIME,
  ticketTo,
  useSandbox,
} from '../support/sandbox-api';

/** The sandbox account's email integrations: which one a message arrives at, and which it may leave from. */

describe('sandbox email integrations', () => {
  let sandbox: RunningSandbox;
  let api: SandboxApi;
  useSandbox(
    {
      rateLimit: false,
      sendDelayMs: 0,
      emailIntegrations: [
        { address: SUPPORT, name: 'Shop Support' },
        { address: 'returns@shop.example.com', name: 'Returns' },
        { address: GORGIAS_PROVIDED, name: 'Shop' },
      ],
    },
    (opened) => ({ sandbox, api } = opened),
  );

  const integration = async (id: number) => api.raw.get<Integration>(`/api/integrations/${id}`);

  it("answers an email integration in Gorgias's shape, a Shopify one, and 404 for an unknown id", async () => {
    const support = await integration(FIRST_EMAIL_INTEGRATION_ID);
    expect(support.status).toBe(200);
    expect(support.data).toEqual({
      id: FIRST_EMAIL_INTEGRATION_ID,
      uri: `/api/integrations/${FIRST_EMAIL_INTEGRATION_ID}/`,
      type: 'email',
      name: 'Shop Support',
      description: null,
      meta: expect.objectContaining({
        address: SUPPORT,
        preferred: true,
        forwarding_email_address: expect.stringMatching(/^[0-9a-f]{16}@email\.gorgias\.com$/),
      }),
      http: null,
      decoration: null,
      mappings: null,
      user: { id: expect.any(Number) },
      created_datetime: expect.stringMatching(TICKET_DATETIME),
      updated_datetime: expect.stringMatching(TICKET_DATETIME),
      deactivated_datetime: null,
      deleted_datetime: null,
      locked_datetime: null,
    });
    expect((await integration(FIRST_EMAIL_INTEGRATION_ID + 1)).data.meta.address).toBe(
      'returns@shop.example.com',
    );
    expect((await integration(SHOPIFY_INTEGRATION_ID)).data).toMatchObject({ type: 'shopify' });
    const missing = await integration(9999);
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual({ error: { msg: expect.any(String) } });
  });

  it('gives an incoming message the integration its to or cc addresses match, in any position and case', async () => {
    const returns = FIRST_EMAIL_INTEGRATION_ID + 1;
    const forwarding = String((await integration(returns)).data.meta.forwarding_email_address);
    const cases: [NewTicket, number][] = [
      [ticketTo(['friend@example.org', 'RETURNS@Shop.Example.com']), returns],
      [ticketTo(['friend@example.org'], ['returns@shop.example.com']), returns],
      [ticketTo([forwarding, 'friend@example.org']), returns],
      [ticketTo([SUPPORT]), FIRST_EMAIL_INTEGRATION_ID],
    ];
    for (const [input, expected] of cases) {
      const ticket = await api.createTicket(input);
      expect(ticket.messages[0]?.integration_id).toBe(expected);
    }
  });

  it('creates an integration for a support address it does not know yet', async () => {
    const ticket = await api.createTicket(ticketTo(['hello@new-shop.example.com']));
    const id = ticket.messages[0]?.integration_id ?? 0;
    expect(id).toBeGreaterThan(FIRST_EMAIL_INTEGRATION_ID + 1);
    expect((await integration(id)).data).toMatchObject({
      type: 'email',
      meta: { address: 'hello@new-shop.example.com', preferred: false },
    });
    // Replies may now leave from it; after a reset it is gone again.
    const reply = await api.createMessage(
      ticket.id,
      emailReply(ticket.customer.id, {
        source: {
          type: 'email',
          from: { address: 'hello@new-shop.example.com' },
          to: [{ address: 'd@x.org' }],
        },
      }),
    );
    expect(reply.integration_id).toBe(id);
    sandbox.reset();
    expect((await integration(id)).status).toBe(404);
  });

  it('takes mail to, and sends from, an integration whose own address Gorgias provided (…@email.gorgias.com)', async () => {
    const ticket = await api.createTicket(ticketTo([GORGIAS_PROVIDED]));
    const gorgiasProvided = FIRST_EMAIL_INTEGRATION_ID + 2;
    expect(ticket.messages[0]?.integration_id).toBe(gorgiasProvided);
    const reply = await api.createMessage(
      ticket.id,
      emailReply(ticket.customer.id, {
        integration_id: gorgiasProvided,
        source: {
          type: 'email',
          from: { address: GORGIAS_PROVIDED },
          to: [{ address: 'dana.lee@example.org' }],
        },
      }),
    );
    expect(reply).toMatchObject({
      integration_id: gorgiasProvided,
      source: { from: { address: GORGIAS_PROVIDED } },
    });
  });

  it("answers the shop's contact form as an integration without an address to send from", async () => {
    const form = await integration(CONTACT_FORM_INTEGRATION_ID);
    expect(form.data).toMatchObject({ type: 'contact_form', deactivated_datetime: null });
    expect(form.data.meta).not.toHaveProperty('address');
    const ticket = await api.createTicket(contactFormTicket());
    expect(ticket).toMatchObject({ channel: 'contact_form', reply_options: { email: { answerable: true } } });
    expect(ticket.messages[0]).toMatchObject({
      channel: 'contact_form',
      integration_id: CONTACT_FORM_INTEGRATION_ID,
      source: { type: 'contact_form', from: { address: 'visitor@example.org' }, to: [] },
    });
  });

  it('sends an outgoing email only from the address of one of the email integrations', async () => {
    const ticket = await api.createTicket();
    const post = (overrides: Partial<NewMessage>) =>
      api.raw.post(`/api/tickets/${ticket.id}/messages`, emailReply(ticket.customer.id, overrides));
    const from = (address: string) => ({
      source: { type: 'email', from: { address }, to: [{ address: 'dana.lee@example.org' }] },
    });

    const stranger = await post(from('someone@elsewhere.example.com'));
    expect(stranger.status).toBe(400);
    expect(stranger.data.error.data).toEqual({
      'source.from.address': ['the from address is not one of your email integrations'],
    });
    const forwarding = String(
      (await integration(FIRST_EMAIL_INTEGRATION_ID)).data.meta.forwarding_email_address,
    );
    expect((await post(from(forwarding))).status).toBe(400);

    expect((await post({ integration_id: 9999 })).data.error.data).toHaveProperty('integration_id');
    expect((await post({ integration_id: SHOPIFY_INTEGRATION_ID })).status).toBe(400);
    expect((await post({ integration_id: FIRST_EMAIL_INTEGRATION_ID + 1 })).status).toBe(400);
    expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);

    const fromReturns = await post({
      ...from('Returns@shop.example.com'),
      integration_id: FIRST_EMAIL_INTEGRATION_ID + 1,
    });
    expect(fromReturns.status).toBe(201);
    expect(fromReturns.data.integration_id).toBe(FIRST_EMAIL_INTEGRATION_ID + 1);
    // Internal notes have no from address to check.
    expect((await api.raw.post(`/api/tickets/${ticket.id}/messages`, internalNote)).status).toBe(201);
  });
});
