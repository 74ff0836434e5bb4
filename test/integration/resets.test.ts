import { describe, expect, it } from '@jest/globals';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { useTestStack } from '../support/stack';
import { resetPastTheRead, resetWithCli } from '../support/temporal';
import { waitUntil } from '../../harness/waiting';

/**
 * An operator resetting a ticket's workflow from the Web UI or the CLI: the new run replays the old one's
 * history up to the reset point and runs again from there, and still posts nothing twice. Gorgias failing the
 * calls themselves is retries.test.ts.
 */

const ctx = useTestStack();

describe('a reset from the Web UI or the CLI', () => {
  it('a reset past the read looks for the reply and the note first: still one of each, after one wait', async () => {
    const ticketId = await ctx.stack.seedTicket();
    await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    expect(await ctx.stack.result(ticketId)).toMatchObject({ outcome: 'replied' });

    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
    const reset = await resetPastTheRead(ctx.env, handle.workflowId);
    expect(reset.status.name).toBe('COMPLETED');
    const newRun = ctx.env.client.workflow.getHandle(handle.workflowId, reset.runId);
    expect(await newRun.result()).toMatchObject({ outcome: 'replied' });
    expect(ctx.stack.posted(ticketId).replies).toHaveLength(1);
    expect(ctx.stack.posted(ticketId).notes).toHaveLength(1);
    // The attempt of each posting activity that ran to its end: 2 after one wait (GORGIAS_UNKNOWN_OUTCOME_WAIT_MS
    // from the reset, for a POST of the old run to land), 1 without. The note comes after the reply's wait: no
    // earlier run's POST can still be landing, so it looks at once.
    const events = (await newRun.fetchHistory()).events ?? [];
    const activityOf = new Map(
      events.map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name]),
    );
    const attempts = events.flatMap((e) => {
      const started = e.activityTaskStartedEventAttributes;
      const name = started ? activityOf.get(String(started.scheduledEventId)) : undefined;
      return started && (name === 'sendReply' || name === 'addInternalNote') ? [[name, started.attempt]] : [];
    });
    expect(attempts).toEqual([
      ['sendReply', 2],
      ['addInternalNote', 1],
    ]);
  });
});

describe('a reset to a point where the reply was being sent', () => {
  it('the send the new run inherits looks first: still one reply and one note', async () => {
    // Retries wait 8 s after a POST whose answer was lost: time for a delivery and a reset meanwhile.
    const stack = await ctx.start({ env: { GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: '8000' } });
    const ticketId = await stack.seedTicket();
    // Every POST is committed at once and answered after the client's 2 s timeout: each looks lost.
    stack.sandbox.setFaults({ lateResponseRate: 1, lateResponseMs: 3000, methods: ['POST'] });
    await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    await waitUntil(() => stack.posted(ticketId).replies.length === 1, 30_000);

    // The customer writes again while the reply's send waits to look: a workflow task with the send pending.
    await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-message-created' });
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
    // The workflow task that recorded it, with the reply's send scheduled and not yet completed: a reset there
    // gives the new run that send, still pending.
    let taskWhileSending = 0;
    await waitUntil(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const at = (find: (e: (typeof events)[number]) => unknown, after = 0) =>
        Number(events.find((e) => Number(e.eventId) > after && find(e))?.eventId ?? 0);
      const send = at((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendReply');
      const signalled = send && at((e) => e.workflowExecutionSignaledEventAttributes, send);
      taskWhileSending = signalled && at((e) => e.workflowTaskCompletedEventAttributes, signalled);
      const sendDone = at((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === send);
      expect(sendDone === 0 || sendDone > taskWhileSending).toBe(true);
      return taskWhileSending > 0;
    }, 20_000);

    const reset = await resetWithCli(
      ctx.env,
      handle.workflowId,
      { eventId: Number(taskWhileSending) },
      'test: reset while sending',
    );
    expect(reset.status.name).toBe('COMPLETED');
    expect(stack.posted(ticketId).replies).toHaveLength(1);
    expect(stack.posted(ticketId).notes).toHaveLength(1);
  }, 120_000);
});
