import { describe, expect, it } from '@jest/globals';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { useTestStack } from '../support/stack';
import { waitUntil } from '../../harness/waiting';

/**
 * A ticket whose workflow the namespace's retention has removed: a later delivery starts a new run, which must
 * find what the first one wrote on the ticket instead of writing it again.
 */

const ctx = useTestStack();

describe("a delivery after the ticket's workflow is gone (past the namespace's retention)", () => {
  /** Deletes the ticket's workflow, as the namespace's retention does, and waits until it is gone. */
  async function forget(ticketId: number) {
    await ctx.env.client.workflowService.deleteWorkflowExecution({
      namespace: ctx.env.namespace ?? 'default',
      workflowExecution: { workflowId: workflowIdForTicket(ticketId) },
    });
    // Seconds on the tests' dev server (its close tasks are acknowledged every second; see global-setup.ts).
    await waitUntil(async () => !(await ctx.stack.hasWorkflow(ticketId)), 90_000, 500);
  }

  it('starts a new run that posts nothing: no second note on a skipped ticket, no second reply', async () => {
    // Skip notes on, and a skip that gets one (an automatic sender).
    const stack = await ctx.start({ policy: { notes: { on_skip: true } } });
    const skipped = await stack.seedTicket({ customerEmail: 'noreply@notifications.example.com' });
    const replied = await stack.seedTicket();
    for (const ticketId of [skipped, replied]) {
      await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    }
    expect(await stack.result(skipped)).toMatchObject({ outcome: 'skipped', reason: 'no-reply-sender' });
    expect(await stack.result(replied)).toMatchObject({ outcome: 'replied' });
    expect(stack.posted(skipped).notes).toHaveLength(1);

    // Days later the agents close one ticket and the customer writes again on the other.
    await Promise.all([forget(skipped), forget(replied)]);
    expect((await stack.deliver({ ticket_id: skipped }, { event: 'ticket-updated' })).status).toBe(202);
    expect((await stack.deliver({ ticket_id: replied }, { event: 'ticket-message-created' })).status).toBe(
      202,
    );

    // The skipped ticket's agents were told why then; the new run ends quietly.
    expect(await stack.result(skipped)).toMatchObject({ outcome: 'skipped', reason: 'handled-before' });
    expect(stack.posted(skipped)).toMatchObject({ replies: [], notes: [expect.anything()] });
    expect(await stack.result(replied)).toMatchObject({
      outcome: 'skipped',
      reason: 'already-auto-replied',
    });
    expect(stack.posted(replied).replies).toHaveLength(1);
    expect(stack.posted(replied).notes).toHaveLength(1);
  }, 150_000);
});
