import { describe, expect, it } from '@jest/globals';
import { WorkflowNotFoundError } from '@temporalio/client';
import { recipientWorkflowId } from '../../src/activities/recipient-claims';
import { grantsQuery, workflowIdForTicket, type AutoReplyResult } from '../../src/temporal/definitions';
import type { Grant } from '../../src/reply/recipient-grants';
import { ourMessages } from '../support/figures';
import { postedBy } from '../../harness/posted';
import { waitUntil } from '../../harness/waiting';
import { useChaosRig } from './support/rig';

const rig = useChaosRig();

const CUSTOMERS = 4;
const TICKETS_EACH = 5;
// Every read from Gorgias answers after 2 s: the reply's send reads the email integration before it posts, so a
// granted ticket spends seconds between its grant and its POST.
const READ_LATENCY_MS = 2000;
/** Reads slowed by READ_LATENCY_MS must not time out (the rig's workers give up on a call after 2 s). */
const WORKER_ENV = { GORGIAS_HTTP_TIMEOUT_MS: '10000' };

describe('tickets of one customer at once, and the worker killed between the grant and the send', () => {
  it('each customer gets exactly one acknowledgement in all; the others end skipped/cooldown', async () => {
    const customers = Array.from(
      { length: CUSTOMERS },
      (_, c) => `voice-${c}@c${c}.${rig.service.taskQueue.toLowerCase()}.example.org`,
    );
    const ticketsOf = new Map<string, number[]>();
    for (const customerEmail of customers) {
      const seeded = await rig.service.seed(TICKETS_EACH, { customerEmail, parallel: TICKETS_EACH });
      ticketsOf.set(
        customerEmail,
        seeded.map((t) => t.id),
      );
    }
    const ticketIds = [...ticketsOf.values()].flat();
    rig.sandbox.sandbox.setFaults({ latencyMs: READ_LATENCY_MS, methods: ['GET'] });
    await rig.service.startServer();
    const doomed = await rig.service.startWorker(WORKER_ENV);

    const grantsOf = async (customerEmail: string): Promise<Grant[]> => {
      const id = recipientWorkflowId({ kind: 'address', name: customerEmail });
      return rig.temporal.client.workflow
        .getHandle(id)
        .query(grantsQuery)
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return [];
          throw err;
        });
    };
    const replyPosts = (ids: number[]) =>
      rig.sandbox.requests.filter(
        (r) => r.method === 'POST' && r.ticketId != null && ids.includes(r.ticketId),
      );
    const delivering = rig.service.deliverAll(ticketIds, ticketIds.length);
    let granted: Grant[] = [];
    await waitUntil(
      async () => {
        granted = (await Promise.all(customers.map(grantsOf))).flat();
        return granted.length > 0;
      },
      120_000,
      10,
    );
    doomed.child.kill('SIGKILL');
    expect(await doomed.exited).toBeNull();
    const grantedAtKill = granted.map((g) => g.ticketId);
    const postsAtKill = replyPosts(grantedAtKill).length;
    const answers = await delivering;
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);

    rig.sandbox.sandbox.setFaults({ latencyMs: 0 });
    await rig.service.startWorker(WORKER_ENV);
    const results = await rig.service.results(ticketIds, 240_000);

    const outcomes = ticketIds.map((id) => {
      const result = results.get(id) as AutoReplyResult | Error;
      const replies = postedBy(ourMessages(rig.sandbox, id)).replies.length;
      return { id, replies, outcome: result instanceof Error ? result.name : result.outcome, result };
    });
    const perCustomer = customers.map((customerEmail) => {
      const mine = outcomes.filter((o) => ticketsOf.get(customerEmail)?.includes(o.id));
      return {
        customerEmail,
        replies: mine.reduce((sum, o) => sum + o.replies, 0),
        replied: mine.filter((o) => o.outcome === 'replied').length,
        cooldown: mine.filter(
          (o) =>
            !(o.result instanceof Error) && o.result.outcome === 'skipped' && o.result.reason === 'cooldown',
        ).length,
      };
    });
    const replies = perCustomer.reduce((sum, c) => sum + c.replies, 0);
    // Whether the granted tickets' claims were asked again after the kill (their attempt had not reported back).
    const claimAttempts = await Promise.all(
      grantedAtKill.map(async (ticketId) => {
        const { events } = await rig.temporal.client.workflow
          .getHandle(workflowIdForTicket(ticketId))
          .fetchHistory();
        const claim = events?.find(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'claimAcknowledgement',
        );
        const started = events?.find(
          (e) =>
            e.activityTaskStartedEventAttributes &&
            String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(claim?.eventId),
        );
        return started?.activityTaskStartedEventAttributes?.attempt ?? 0;
      }),
    );
    console.log(
      `[chaos] one voice: tickets=${ticketIds.length} customers=${CUSTOMERS} faults="${TICKETS_EACH} tickets of each ` +
        `customer delivered at once; the worker SIGKILLed as soon as the first grant was given (tickets ` +
        `${grantedAtKill.join(', ')} granted, ${postsAtKill} of their posts sent by then; their claims took ` +
        `${claimAttempts.join(', ')} attempt(s)); reads answered after ` +
        `${READ_LATENCY_MS / 1000} s" replies=${replies} skipped(cooldown)=${perCustomer.reduce((s, c) => s + c.cooldown, 0)} ` +
        `duplicates=${outcomes.filter((o) => o.replies > 1).length}`,
    );

    // The kill came between a grant and its send.
    expect(grantedAtKill.length).toBeGreaterThan(0);
    expect(postsAtKill).toBe(0);
    for (const customer of perCustomer) {
      expect(customer).toMatchObject({ replies: 1, replied: 1, cooldown: TICKETS_EACH - 1 });
    }
    // The ticket granted before the kill is the one that replied.
    for (const ticketId of grantedAtKill) {
      expect(outcomes.find((o) => o.id === ticketId)).toMatchObject({ outcome: 'replied', replies: 1 });
    }
  });
});
