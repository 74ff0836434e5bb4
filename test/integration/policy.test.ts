import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_POLICY_FILE, forcedDryRun, loadPolicy } from '../../src/policy/load';
import { shopifyOrder } from '../../src/tools/sandbox/month';
import { agentReply } from '../../src/tools/sandbox/sample-ticket';
import { CATCH_UP_SCHEDULE_ID, syncCatchUpSchedule } from '../../src/temporal/catch-up-schedule';
import { stateQuery, workflowIdForTicket, type CatchUpWorkflow } from '../../src/temporal/definitions';
import { policyWith } from '../../harness/policy';
import { useTestStack, type TestStack } from '../support/stack';
import { waitUntil } from '../../harness/waiting';

/**
 * What the policy does that needs Temporal: the per-customer cooldown (it reads Temporal's visibility), the
 * delay before a reply (a durable timer) with the kill switch that stops it, and the catch-up Schedule. What the
 * policy decides and renders for one ticket is test/unit (decide, reply-content, business-hours, policy-tools).
 */

const ctx = useTestStack();

const phaseOf = async (ticketId: number) =>
  (await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).query(stateQuery)).phase;

async function runTicket(stack: TestStack, ticketId: number) {
  expect((await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
  return stack.result(ticketId);
}

describe('the per-customer cooldown', () => {
  it('a customer who got an auto-reply minutes ago is not answered again on a new ticket', async () => {
    const customerEmail = 'repeat.writer@example.org';
    const first = await ctx.stack.seedTicket({ customerEmail });
    expect(await runTicket(ctx.stack, first)).toMatchObject({ outcome: 'replied' });
    // The same customer, with the address spelt in other capitals (as another channel may): still the same.
    const second = await ctx.stack.seedTicket({
      customerEmail: 'Repeat.Writer@Example.ORG',
      subject: 'One more thing',
    });
    expect(await runTicket(ctx.stack, second)).toMatchObject({ outcome: 'skipped', reason: 'cooldown' });
    const described = await ctx.env.client.workflow.getHandle(workflowIdForTicket(second)).describe();
    expect(described.searchAttributes).toMatchObject({
      AutoReplyOutcome: ['skipped'],
      AutoReplyReason: ['cooldown'],
      CustomerEmail: [customerEmail],
      GorgiasTicketId: [second],
    });
  });
});

describe('a delay before the reply, and the kill switch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autoreply-kill-'));
  const killSwitch = join(dir, 'stop-sending');
  let delayed: TestStack;
  beforeAll(async () => {
    // The tests act while the workflow waits out its delay, after a query saw it waiting: on a loaded machine a
    // query can take seconds (a 3 s window of wall time in a catch-up test failed CI), so the delay leaves room.
    delayed = await ctx.start({ policy: { timing: { delay_seconds: 6 } }, killSwitchFile: killSwitch });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('waits the configured delay, absorbing deliveries, and does not reply when an agent answered meanwhile', async () => {
    const answered = await delayed.seedTicket();
    const untouched = await delayed.seedTicket();
    await delayed.deliver({ ticket_id: answered }, { event: 'ticket-created' });
    await delayed.deliver({ ticket_id: untouched }, { event: 'ticket-created' });
    await waitUntil(async () => (await phaseOf(answered)) === 'waiting', 20_000);
    await delayed.deliver({ ticket_id: answered }, { event: 'ticket-updated' });
    await delayed.gorgias.createMessage(answered, agentReply('Hi, an agent here.'));

    expect(await delayed.result(answered)).toMatchObject({
      outcome: 'skipped',
      reason: 'agent-replied-first',
    });
    expect(await delayed.result(untouched)).toMatchObject({ outcome: 'replied' });
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(answered));
    const state = await handle.query(stateQuery);
    expect(state.deliveries.map((d) => d.trigger)).toEqual(['ticket-created', 'ticket-updated']);
  });

  it('the kill switch stops a send already waiting in its delay: a note, no reply', async () => {
    const ticketId = await delayed.seedTicket();
    await delayed.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    await waitUntil(async () => (await phaseOf(ticketId)) === 'waiting', 20_000);
    writeFileSync(killSwitch, '');
    try {
      expect(await delayed.result(ticketId)).toMatchObject({ outcome: 'dry-run' });
      expect(delayed.posted(ticketId).replies).toEqual([]);
      expect(delayed.posted(ticketId).notes[0]?.body_text).toContain('sending is switched off (kill switch)');
    } finally {
      rmSync(killSwitch, { force: true });
    }
  });
});

describe('dry run and the kill switch are apart', () => {
  // A store with channels of its own: their dry_run (unset) and the store's (false) would make it send.
  const STORE = {
    'support@shop.example.com': {
      name: 'Shop',
      dry_run: false,
      channels: { email: { template: 'acknowledgement' } },
    },
  };

  it("the policy's dry run is the policy's: a store section set not to run dry sends its replies", async () => {
    const stack = await ctx.start({ policy: { dry_run: true, stores: STORE } });
    const ticketId = await stack.seedTicket();
    expect(await runTicket(stack, ticketId)).toMatchObject({ outcome: 'replied' });
    expect(stack.posted(ticketId).replies).toHaveLength(1);
  });

  it('DRY_RUN runs every store dry: a dry-run note, never a "held" one', async () => {
    const policy = forcedDryRun(policyWith({ stores: STORE }));
    const stack = await ctx.start({
      policy: policy as unknown as Record<string, unknown>,
      dryRunForced: true,
    });
    const ticketId = await stack.seedTicket();
    expect(await runTicket(stack, ticketId)).toMatchObject({ outcome: 'dry-run' });
    expect(stack.posted(ticketId).replies).toEqual([]);
    expect(stack.posted(ticketId).notes[0]?.body_text).toMatch(/^Dry run: would have replied to /);
  });
});

describe('one policy per run', () => {
  it('a ticket waiting out its delay across a policy change is decided and written under the policy it started with', async () => {
    const shipped = loadPolicy(DEFAULT_POLICY_FILE).templates;
    const first = {
      templates: {
        ...shipped,
        order_shipped: { subject: 'First: {{subject}}', body: 'First policy: your order {{order.name}}.' },
      },
      timing: { delay_seconds: 3 },
      orders: { enabled: true },
    };
    const second = {
      templates: { ...shipped, acknowledgement: { subject: 'Second: {{subject}}', body: 'Second policy.' } },
      orders: { enabled: false },
    };
    const stack = await ctx.start({ policy: first });
    const customerEmail = 'one.policy@example.org';
    const now = Date.now();
    stack.sandbox.setCustomerOrders(customerEmail, [
      shopifyOrder(1042, now - 4 * 86_400_000, now - 2 * 86_400_000, 'in_transit'),
    ]);
    const ticketId = await stack.seedTicket({ customerEmail, subject: 'Where is my order #1042?' });
    await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    await waitUntil(async () => (await phaseOf(ticketId)) === 'waiting', 20_000);
    // Redeployed mid-delay: another acknowledgement, and order-aware replies off.
    await stack.restartWorker(second);

    expect(await stack.result(ticketId)).toMatchObject({ outcome: 'replied' });
    const [reply] = stack.posted(ticketId).replies;
    // Read again after the delay with the first policy's order keywords, and written with its template.
    expect(reply?.subject).toBe('First: Where is my order #1042?');
    expect(reply?.body_text).toBe('First policy: your order #1042.');
  });
});

describe('catching up on lost webhooks', () => {
  it('starts the workflow of every recent ticket that has none, once; never a trashed one; lists failed ones', async () => {
    const stack = await ctx.start({});
    const answered = await stack.seedTicket();
    await runTicket(stack, answered);
    const unreachable = 'unreachable.reader@example.org';
    stack.sandbox.setSending({ failAddresses: [unreachable] });
    const handedBack = await stack.seedTicket({ customerEmail: unreachable });
    await runTicket(stack, handedBack).catch(() => undefined);
    const trashed = await stack.seedTicket();
    stack.sandbox.trashTicket(trashed);
    const lost = [await stack.seedTicket(), await stack.seedTicket()];

    const run = () =>
      ctx.env.client.workflow.execute<CatchUpWorkflow>('catchUpWorkflow', {
        taskQueue: stack.config.temporal.TEMPORAL_TASK_QUEUE,
        workflowId: `catch-up-test-${Math.random()}`,
        args: [{ lookbackMinutes: 30, graceSeconds: 0 }],
      });
    const first = await run();
    expect(first.started.sort()).toEqual([...lost].sort());
    expect(first.handedBack).toEqual([handedBack]);
    expect(await stack.hasWorkflow(trashed)).toBe(false);
    for (const ticketId of lost) expect(await stack.result(ticketId)).toMatchObject({ outcome: 'replied' });
    expect((await run()).started).toEqual([]);
    expect(stack.posted(answered).replies).toHaveLength(1);
  });

  it('runs from a Temporal Schedule that follows the policy', async () => {
    const stack = await ctx.start({});
    const taskQueue = stack.config.temporal.TEMPORAL_TASK_QUEUE;
    expect(await syncCatchUpSchedule(ctx.env.client, taskQueue, stack.policy)).toBe('created');
    const slower = { ...stack.policy, catch_up: { enabled: true, every_minutes: 15 } };
    expect(await syncCatchUpSchedule(ctx.env.client, taskQueue, slower)).toBe('updated');
    const described = await ctx.env.client.schedule.getHandle(CATCH_UP_SCHEDULE_ID).describe();
    expect(described.spec.intervals?.[0]?.every).toBe(15 * 60_000);

    // Older than the minute a webhook is given before the catch-up starts a ticket.
    const lost = await stack.seedTicket(
      {},
      { created_datetime: new Date(Date.now() - 120_000).toISOString() },
    );
    await ctx.env.client.schedule.getHandle(CATCH_UP_SCHEDULE_ID).trigger();
    await waitUntil(async () => {
      try {
        await ctx.env.client.workflow.getHandle(workflowIdForTicket(lost)).describe();
        return true;
      } catch {
        return false;
      }
    }, 20_000);
    expect(await stack.result(lost)).toMatchObject({ outcome: 'replied' });
    const off = { ...stack.policy, catch_up: { enabled: false, every_minutes: 5 } };
    expect(await syncCatchUpSchedule(ctx.env.client, taskQueue, off)).toBe('removed');
  });
});
