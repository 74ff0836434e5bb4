import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { isServiceReply } from '../../src/reply/markers';
import { createActivities, type SentReply } from '../../src/activities';
import type { ComposedReply } from '../../src/reply/content';
import { GorgiasClient } from '../../src/gorgias/client';
import type { Integration, NewTicket } from '../../src/gorgias/schemas';
import { startSandbox, type RunningSandbox } from '../../src/tools/sandbox';
import { CONTACT_FORM_INTEGRATION_ID } from '../../src/tools/sandbox/integrations';
import { contactFormTicket, sampleTicket } from '../../src/tools/sandbox/sample-ticket';
import { decideAutoReply, outgoingReply, type TicketFacts } from '../../src/reply/decision';
import { unitTestTemporal } from '../support/activity-temporal';
import { policyWith } from '../../harness/policy';

/**
 * The reply's addresses, decided when the ticket is read (fetchTicket) and posted by the reply activity, against
 * the sandbox, which refuses (400) an email whose From is not the address of the integration it names, as
 * Gorgias sends through that integration. The customer writes to support@ (the sandbox gives their message that
 * integration's id); help@ is the configured GORGIAS_REPLY_FROM; an account without its own domain answers
 * from the address Gorgias gave it, on email.gorgias.com.
 */

const SUPPORT = 'support@shop.example.com';
/** The run MockActivityEnvironment's activities belong to. */
const RUN = '00000000-0000-0000-0000-000000000000';
const CONFIGURED = 'help@shop.example.com';
const GORGIAS_PROVIDED = 'k7q2x9m4shop@email.gorgias.com';
const credentials = { username: 'autoreply@shop.example.com', apiKey: 'unit-test-api-key' };
const reply: ComposedReply = {
  subject: 'Re: Where is my order #1042?',
  bodyText: 'Thanks, we are on it.',
  bodyHtml: '<p>Thanks, we are on it.</p>',
  template: 'acknowledgement/en',
};
const temporal = unitTestTemporal;

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    ...credentials,
    rateLimit: false,
    port: 0,
    emailIntegrations: [
      { address: SUPPORT, name: 'Shop Support' },
      { address: CONFIGURED, name: 'Shop Help' },
      { address: GORGIAS_PROVIDED, name: 'Shop' },
    ],
  });
});
afterAll(() => sandbox?.close());

/** Ticket reads as the workflow's fetchTicket makes them, under the test policy. */
const READING = { orders: policyWith().orders, addressKeyedStores: false, statusLinks: false };
const asGorgiasAnswers = (client: GorgiasClient, id: number) => client.getIntegration(id);

const gorgiasClient = () => new GorgiasClient({ baseUrl: sandbox.url, ...credentials, timeoutMs: 5000 });

/** The message activities of one deployment on the account (GORGIAS_REPLY_FROM `configured`). */
function activitiesOf(
  deployment: string,
  gorgias = gorgiasClient(),
  configured: string | null = CONFIGURED,
): ReturnType<typeof createActivities> {
  return createActivities({
    gorgias,
    policy: policyWith(),
    deployment,
    sender: { email: credentials.username },
    sending: {
      unknownOutcomeWaitMs: 1000,
      ...(configured ? { replyFrom: { address: configured } } : {}),
      stopped: () => null,
    },
    temporal,
  });
}

/**
 * Seeds `seeded` and replies to it as the workflow does: the ticket read (its integration read through
 * `readIntegration`, GORGIAS_REPLY_FROM `configured`), the decision, and, when it says reply, the POST.
 */
async function replyTo(
  seeded: NewTicket,
  {
    readIntegration = asGorgiasAnswers,
    configured = CONFIGURED as string | null,
  }: {
    readIntegration?: (client: GorgiasClient, id: number) => Promise<Integration>;
    configured?: string | null;
  } = {},
) {
  const client = gorgiasClient();
  const gorgias = Object.assign(gorgiasClient(), {
    getIntegration: (id: number) => readIntegration(client, id),
  });
  const activities = activitiesOf('production', gorgias, configured);
  const ticketId = (await client.createTicket(seeded)).id;
  // An attempt scheduled now: the mock's default one was scheduled in 1970, and its deadline has passed.
  const attempt = () =>
    new MockActivityEnvironment({
      scheduledTimestampMs: Date.now(),
      scheduleToCloseTimeoutMs: 60_000,
      startToCloseTimeoutMs: 30_000,
    });
  const ticket: TicketFacts = await attempt().run(activities.fetchTicket, { ticketId, policy: READING });
  const decision = decideAutoReply(ticket, policyWith(), Date.now());
  const sent: SentReply | null = decision.reply
    ? await attempt().run(activities.sendReply, {
        ...outgoingReply(ticket, reply),
        earlierRunsBefore: null,
        scheduledInRun: RUN,
      })
    : null;
  const received = ticket.lastCustomerMessage?.integrationId ?? null;
  const posted = sent?.status === 'posted' ? await client.getMessage(ticket.ticketId, sent.messageId) : null;
  return { sent, received, posted, activities, ticket, decision };
}

describe('the integration a reply is sent through', () => {
  it('an active integration that received the mail sends the reply, from its own address', async () => {
    const { sent, received, posted } = await replyTo(sampleTicket());
    expect(sent).toMatchObject({ status: 'posted', from: SUPPORT });
    expect(posted?.source?.from?.address).toBe(SUPPORT);
    expect(posted?.integration_id).toBe(received);
  });

  it.each<[string, (client: GorgiasClient, id: number) => Promise<Integration>]>([
    [
      'deactivated',
      async (client, id) => ({
        ...(await client.getIntegration(id)),
        deactivated_datetime: '2025-01-06T09:00:00.000Z',
      }),
    ],
    ['deleted (404)', (client) => client.getIntegration(999_999)],
    [
      'without an address',
      async (client, id) => ({ ...(await client.getIntegration(id)), meta: { address: null } }),
    ],
  ])(
    'when the integration that received the mail is %s, the reply goes from the configured address without naming it',
    async (_state, readIntegration) => {
      const { sent, received, posted } = await replyTo(sampleTicket(), { readIntegration });
      expect(sent).toMatchObject({ status: 'posted', from: CONFIGURED });
      expect(posted?.source?.from?.address).toBe(CONFIGURED);
      expect(received).not.toBeNull();
      expect(posted?.integration_id).not.toBe(received);
    },
  );

  it('an integration whose own address Gorgias provided (…@email.gorgias.com) sends from it, naming it', async () => {
    const { sent, received, posted } = await replyTo(sampleTicket({ supportAddress: GORGIAS_PROVIDED }), {
      configured: null,
    });
    expect(sent).toMatchObject({ status: 'posted', from: GORGIAS_PROVIDED });
    expect(posted?.source?.from?.address).toBe(GORGIAS_PROVIDED);
    expect(posted?.integration_id).toBe(received);
  });

  it('a Gorgias address among the recipients is never guessed as the From when the integration is unknown', async () => {
    const { ticket, decision, sent } = await replyTo(sampleTicket({ supportAddress: GORGIAS_PROVIDED }), {
      readIntegration: (client) => client.getIntegration(999_999),
      configured: null,
    });
    expect(ticket.replyFrom).toBeNull();
    expect(decision).toEqual({ reply: false, reason: 'no-reply-address' });
    expect(sent).toBeNull();
  });
});

describe('contact forms: whether they can be answered, and from where, is known before the decision', () => {
  it('a form whose message names the email integration is answered from that integration', async () => {
    const { sent, posted, ticket } = await replyTo(contactFormTicket({ integrationId: 6601 }), {
      configured: null,
    });
    expect(ticket.replyFrom).toEqual({ address: SUPPORT, name: 'Shop Support', integrationId: 6601 });
    expect(sent).toMatchObject({ status: 'posted', from: SUPPORT, to: 'visitor@example.org' });
    expect(posted?.integration_id).toBe(6601);
  });

  it('a form showing the support address as its recipient is answered from it', async () => {
    const { sent } = await replyTo(contactFormTicket({ supportAddress: SUPPORT }), { configured: null });
    expect(sent).toMatchObject({ status: 'posted', from: SUPPORT });
  });

  it.each<[string, number | null]>([
    ["names the form's own integration (no address)", CONTACT_FORM_INTEGRATION_ID],
    ['names no integration', null],
  ])(
    'a form that %s and shows no recipient is answered from GORGIAS_REPLY_FROM; without it, skipped before anything is posted',
    async (_which, integrationId) => {
      const configured = await replyTo(contactFormTicket({ integrationId }));
      expect(configured.sent).toMatchObject({ status: 'posted', from: CONFIGURED });
      expect(configured.posted?.integration_id).not.toBe(CONTACT_FORM_INTEGRATION_ID);

      const unanswerable = await replyTo(contactFormTicket({ integrationId }), { configured: null });
      expect(unanswerable.ticket.replyFrom).toBeNull();
      expect(unanswerable.decision).toEqual({ reply: false, reason: 'no-reply-address' });
      expect(unanswerable.sent).toBeNull();
    },
  );
});

describe('who the reply goes to', () => {
  it('a customer with several addresses is answered at the one their latest message came from', async () => {
    const main = 'amara.osei@example.org';
    const work = 'a.osei@work.example';
    sandbox.addCustomerAddress(main, work);
    const { ticket, sent, posted } = await replyTo(
      sampleTicket({ customerEmail: work, customerName: 'Amara Osei' }),
    );
    expect(ticket.customer?.email).toBe(main);
    // The customer was created by the address alone: no name.
    expect(ticket.replyTo).toEqual({ address: work, name: null, lastMessage: true });
    expect(sent).toMatchObject({ status: 'posted', to: work });
    expect(posted?.source?.to.map((a) => a.address)).toEqual([work]);
    expect(posted?.receiver?.email).toBe(main);
  });

  it("a message from an address that is not one of the customer's is answered at the customer's email", async () => {
    const main = 'kofi.mensah@example.org';
    const seeded = sampleTicket({ customerEmail: main, customerName: 'Kofi Mensah' });
    const [message] = seeded.messages;
    if (!message?.source) throw new Error('the sample ticket has a message with a source');
    message.sender = { email: 'assistant@office.example' };
    message.source.from = { address: 'assistant@office.example' };
    const { ticket, sent } = await replyTo(seeded);
    expect(ticket.replyTo).toEqual({ address: main, name: 'Kofi Mensah', lastMessage: false });
    expect(sent).toMatchObject({ status: 'posted', to: main });
  });
});

describe('the last look for our reply before a ticket is handed back', () => {
  it("waits until the send's last POST has had time to land, then finds the reply", async () => {
    const { sent, activities, ticket } = await replyTo(sampleTicket());
    if (sent?.status !== 'posted') throw new Error(`not posted: ${JSON.stringify(sent)}`);
    const look = (postsBefore: number | null) =>
      new MockActivityEnvironment({ attempt: 1 })
        .run(activities.findReply, ticket.ticketId, postsBefore)
        .catch((e: unknown) => e);

    // The send failed 200 ms ago: its POST may still be landing (unknown-outcome wait 1 s here).
    const early = await look(Date.now() - 200);
    expect(early).toBeInstanceOf(ApplicationFailure);
    expect(Number((early as ApplicationFailure).nextRetryDelay)).toBeGreaterThan(700);
    expect(Number((early as ApplicationFailure).nextRetryDelay)).toBeLessThanOrEqual(800);

    expect(await look(Date.now() - 1500)).toEqual({ messageId: sent.messageId });
    expect(await look(null)).toEqual({ messageId: sent.messageId });
  });
});

describe('our reply, among the deployments on the account', () => {
  const inResetRun = () =>
    new MockActivityEnvironment({
      attempt: 1,
      scheduledTimestampMs: Date.now(),
      startToCloseTimeoutMs: 30_000,
    });
  const servicesReplies = (ticketId: number) =>
    (sandbox.messagesOf(ticketId) as { external_id?: string | null }[]).filter((m) =>
      isServiceReply(m, ticketId),
    );

  it("is found by its own deployment's look-up, never by another's", async () => {
    const { sent, ticket } = await replyTo(sampleTicket());
    if (sent?.status !== 'posted') throw new Error(`not posted: ${JSON.stringify(sent)}`);
    const find = (deployment: string) =>
      inResetRun().run(activitiesOf(deployment).findReply, ticket.ticketId, null);
    expect(await find('production')).toEqual({ messageId: sent.messageId });
    expect(await find('staging')).toBeNull();
  });

  it('written before deployments (no deployment in its marker), is found by a reset run, not sent again', async () => {
    const client = gorgiasClient();
    const ticketId = (await client.createTicket(sampleTicket())).id;
    const production = activitiesOf('production');
    const ticket: TicketFacts = await inResetRun().run(production.fetchTicket, {
      ticketId,
      policy: READING,
    });
    const { to, from } = outgoingReply(ticket, reply);
    // As the version before deployments posted it.
    const earlier = await client.createMessage(ticketId, {
      channel: 'email',
      via: 'api',
      from_agent: true,
      sender: { email: credentials.username },
      receiver: { email: to.address },
      source: { type: 'email', from: { address: from.address }, to: [{ address: to.address }] },
      body_text: reply.bodyText,
      external_id: `gorgias-autoreply:reply:${ticketId}`,
      ...(from.integrationId ? { integration_id: from.integrationId } : {}),
    });
    // The reset run's send: an earlier run may have posted until it was scheduled.
    const sent = await inResetRun().run(production.sendReply, {
      ...outgoingReply(ticket, reply),
      earlierRunsBefore: Date.now() - 1500,
      scheduledInRun: RUN,
    });
    expect(sent).toMatchObject({ status: 'posted', messageId: earlier.id });
    expect(servicesReplies(ticketId)).toHaveLength(1);
  });
});
