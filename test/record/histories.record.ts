import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { shopifyOrder } from '../../src/tools/sandbox/month';
import { agentReply, contactFormTicket } from '../../src/tools/sandbox/sample-ticket';
import { stateQuery, workflowIdForTicket } from '../../src/temporal/definitions';
import type { TestStack } from '../support/stack';
import { useTestStack } from '../support/stack';
import { waitUntil } from '../../harness/waiting';

/**
 * Records one ticket workflow history per outcome into test/fixtures/histories/ (each file replaced; the recipient
 * workflow's histories, recorded apart, are left as they are): what replay.test.ts replays through today's
 * workflow code. Each scenario seeds a ticket, delivers it as Gorgias does, waits for the
 * workflow to close, and writes its history as `temporal workflow show --output json` does.
 */

const DIR = join(__dirname, '..', 'fixtures', 'histories');
const DAY = 86_400_000;
const ctx = useTestStack({ policy: { notes: { on_skip: true } } });

interface Scenario {
  name: string;
  /** How the workflow must end: `outcome` or `outcome/reason`, as printed. */
  ends: string;
  /** Seeds the ticket (and whatever it needs) on `stack`; returns its id. */
  seed: (stack: TestStack) => Promise<number>;
  policy?: Record<string, unknown>;
  /** Runs once the delivery was made (e.g. what happens while the workflow waits). */
  meanwhile?: (stack: TestStack, ticketId: number) => Promise<void>;
}

const SCENARIOS: Scenario[] = [
  { name: 'replied', ends: 'replied', seed: (s) => s.seedTicket() },
  {
    name: 'replied-order-customer-read',
    ends: 'replied',
    policy: { orders: { enabled: true, read_customer: true } },
    seed: async (s) => {
      const customerEmail = 'orders.elsewhere@example.org';
      const now = Date.now();
      s.sandbox.setCustomerOrders(
        customerEmail,
        [shopifyOrder(1042, now - 4 * DAY, now - 2 * DAY, 'in_transit')],
        {
          onTicket: false,
        },
      );
      return s.seedTicket({ customerEmail });
    },
  },
  {
    name: 'skipped-order-delayed',
    ends: 'skipped/order-delayed',
    policy: { orders: { enabled: true } },
    seed: async (s) => {
      const customerEmail = 'late.order@example.org';
      s.sandbox.setCustomerOrders(customerEmail, [shopifyOrder(1077, Date.now() - 9 * DAY, null, null)]);
      return s.seedTicket({ customerEmail, body: 'My order #1077 still has not shipped?' });
    },
  },
  {
    name: 'skipped-no-reply-sender',
    ends: 'skipped/no-reply-sender',
    seed: (s) => s.seedTicket({ customerEmail: 'noreply@notifications.example.com' }),
  },
  {
    name: 'skipped-no-reply-address',
    ends: 'skipped/no-reply-address',
    seed: async (s) =>
      (await s.gorgias.createTicket(contactFormTicket({ customerEmail: 'form@example.org' }))).id,
  },
  {
    // The second ticket of a customer within the cooldown: the first one was granted the acknowledgement.
    name: 'skipped-cooldown',
    ends: 'skipped/cooldown',
    seed: async (s) => {
      const customerEmail = 'twice@example.org';
      const first = await s.seedTicket({ customerEmail });
      await s.deliver({ ticket_id: first }, { event: 'ticket-created' });
      await s.env.client.workflow.getHandle(workflowIdForTicket(first)).result();
      return s.seedTicket({ customerEmail });
    },
  },
  {
    name: 'skipped-holdout',
    ends: 'skipped/holdout',
    policy: { experiment: { holdout_percent: 100 } },
    seed: (s) => s.seedTicket(),
  },
  {
    name: 'skipped-stale',
    ends: 'skipped/stale',
    seed: (s) => s.seedTicket({}, { created_datetime: new Date(Date.now() - 3 * DAY).toISOString() }),
  },
  {
    name: 'skipped-gone',
    ends: 'skipped/gone',
    seed: async (s) => {
      const id = await s.seedTicket();
      s.sandbox.deleteTicket(id);
      return id;
    },
  },
  {
    name: 'skipped-agent-replied-after-delay',
    ends: 'skipped/agent-replied-first',
    policy: { timing: { delay_seconds: 2 } },
    seed: (s) => s.seedTicket(),
    meanwhile: async (s, id) => {
      const handle = s.env.client.workflow.getHandle(workflowIdForTicket(id));
      await waitUntil(async () => (await handle.query(stateQuery)).phase === 'waiting', 20_000);
      await s.gorgias.createMessage(id, agentReply('Hi, an agent here.'));
    },
  },
  {
    name: 'failed-send-failed',
    ends: 'failed (Workflow execution failed)',
    seed: async (s) => {
      s.sandbox.setSending({ failAddresses: ['mailbox.full@example.org'] });
      return s.seedTicket({ customerEmail: 'mailbox.full@example.org' });
    },
  },
];

it('records a history per ticket outcome', async () => {
  mkdirSync(DIR, { recursive: true });
  for (const scenario of SCENARIOS) {
    const stack = scenario.policy
      ? await ctx.start({ policy: { notes: { on_skip: true }, ...scenario.policy } })
      : ctx.stack;
    const ticketId = await scenario.seed(stack);
    expect((await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
    await scenario.meanwhile?.(stack, ticketId);
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
    const outcome = await handle.result().then(
      (result) => `${result.outcome}${'reason' in result ? `/${result.reason}` : ''}`,
      (err: unknown) => `failed (${err instanceof Error ? err.message : String(err)})`,
    );
    const history = await handle.fetchHistory();
    writeFileSync(join(DIR, `${scenario.name}.json`), `${historyToJSON(history)}\n`);
    process.stderr.write(`recorded ${scenario.name}: ${outcome} (${history.events?.length ?? 0} events)\n`);
    // A scenario that no longer ends as it should would record the wrong history.
    expect(outcome).toBe(scenario.ends);
  }
}, 300_000);
