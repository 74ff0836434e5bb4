import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { messageActivities, type SentReply } from '../../src/activities/messages';
import type { ComposedReply } from '../../src/activities/reply-content';
import { ticketFacts } from '../../src/activities/ticket-facts';
import { GorgiasClient } from '../../src/gorgias/client';
import type { Integration } from '../../src/gorgias/schemas';
import { startSandbox, type RunningSandbox } from '../../src/sandbox';
import { sampleTicket } from '../../src/sandbox/sample-ticket';
import { policyWith } from '../support/policy';

/**
 * The reply activity against the sandbox, which refuses (400) an email whose From is not the address of the
 * integration it names, as Gorgias sends through that integration. The customer writes to support@ (the
 * sandbox gives their message that integration's id); help@ is the configured GORGIAS_REPLY_FROM.
 */

const SUPPORT = 'support@shop.example.com';
/** The run MockActivityEnvironment's activities belong to. */
const RUN = '00000000-0000-0000-0000-000000000000';
const CONFIGURED = 'help@shop.example.com';
const credentials = { username: 'autoreply@shop.example.com', apiKey: 'unit-test-api-key' };
const reply: ComposedReply = {
  subject: 'Re: Where is my order #1042?',
  bodyText: 'Thanks, we are on it.',
  bodyHtml: '<p>Thanks, we are on it.</p>',
  template: 'acknowledgement/en',
};
// Temporal as the post sees it: this attempt is still the current one.
const temporal = {
  client: {
    workflowService: { recordActivityTaskHeartbeat: async () => ({}) },
    options: { identity: 'unit-test' },
  } as unknown as Client,
  taskQueue: 'unit-test',
  uiUrl: 'http://localhost:8233',
};

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    ...credentials,
    rateLimit: false,
    port: 0,
    emailIntegrations: [
      { address: SUPPORT, name: 'Shop Support' },
      { address: CONFIGURED, name: 'Shop Help' },
    ],
  });
});
afterAll(() => sandbox?.close());

/** Replies to a new ticket with Gorgias's integration reads answered by `readIntegration`. */
async function replyWhenIntegration(
  readIntegration: (client: GorgiasClient, id: number) => Promise<Integration>,
) {
  const options = { baseUrl: sandbox.url, ...credentials, timeoutMs: 5000 };
  const client = new GorgiasClient(options);
  const gorgias = Object.assign(new GorgiasClient(options), {
    getIntegration: (id: number) => readIntegration(client, id),
  });
  const activities = messageActivities({
    gorgias,
    policy: policyWith(),
    sender: { email: credentials.username },
    sending: { unknownOutcomeWaitMs: 1000, replyFrom: { address: CONFIGURED }, stopped: () => null },
    temporal,
  });
  const ticket = ticketFacts(await client.getTicket((await client.createTicket(sampleTicket())).id));
  // An attempt scheduled now: the mock's default one was scheduled in 1970, and its deadline has passed.
  const attempt = new MockActivityEnvironment({
    scheduledTimestampMs: Date.now(),
    scheduleToCloseTimeoutMs: 60_000,
    startToCloseTimeoutMs: 30_000,
  });
  const sent: SentReply = await attempt.run(activities.sendReply, {
    ticket,
    reply,
    earlierRunsBefore: null,
    scheduledInRun: RUN,
  });
  const received = ticket.lastCustomerMessage?.integrationId ?? null;
  const posted = sent.status === 'posted' ? await client.getMessage(ticket.ticketId, sent.messageId) : null;
  return { sent, received, posted, activities, ticket };
}

describe('the integration a reply is sent through', () => {
  it('an active integration that received the mail sends the reply, from its own address', async () => {
    const { sent, received, posted } = await replyWhenIntegration((client, id) => client.getIntegration(id));
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
      const { sent, received, posted } = await replyWhenIntegration(readIntegration);
      expect(sent).toMatchObject({ status: 'posted', from: CONFIGURED });
      expect(posted?.source?.from?.address).toBe(CONFIGURED);
      expect(received).not.toBeNull();
      expect(posted?.integration_id).not.toBe(received);
    },
  );
});

describe('the last look for our reply before a ticket is handed back', () => {
  it("waits until the send's last POST has had time to land, then finds the reply", async () => {
    const { sent, activities, ticket } = await replyWhenIntegration((client, id) =>
      client.getIntegration(id),
    );
    if (sent.status !== 'posted') throw new Error(`not posted: ${JSON.stringify(sent)}`);
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
