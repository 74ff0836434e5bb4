import { describe, expect, it } from '@jest/globals';
import type { ScheduleHandle } from '@temporalio/client';
import type { CatchUpInput, CatchUpResult, CatchUpWorkflow } from '../../src/temporal/definitions';
import { minutesAgo } from '../support/clock';
import { useTestStack, type TestStack } from '../support/stack';
import { waitUntil } from '../../harness/waiting';

/**
 * The catch-up on a real Temporal and the sandbox: what it starts, what the listing alone rules out, where a
 * run continues from the previous one (runs chained by a Schedule, which hands each run the last one's result),
 * and what its result says. The checkpoint arithmetic itself is test/unit/catch-up-rules.test.ts; what it starts
 * and the Schedule that runs it, policy.test.ts.
 */

const ctx = useTestStack();

async function runTicket(stack: TestStack, ticketId: number) {
  expect((await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
  return stack.result(ticketId);
}

/** One catch-up run on its own (no previous result): a first run. */
function runOnce(stack: TestStack, input: CatchUpInput): Promise<CatchUpResult> {
  return ctx.env.client.workflow.execute<CatchUpWorkflow>('catchUpWorkflow', {
    taskQueue: stack.config.temporal.TEMPORAL_TASK_QUEUE,
    workflowId: `catch-up-test-${Math.random()}`,
    args: [input],
  });
}

/**
 * Catch-up runs chained as production chains them: by a Schedule, each run given the previous one's result (a
 * run triggered by hand is not: it starts afresh, as a first run).
 */
async function scheduledRuns(stack: TestStack, input: CatchUpInput, everySeconds: number) {
  const handle: ScheduleHandle = await ctx.env.client.schedule.create<CatchUpWorkflow>({
    scheduleId: `catch-up-chain-${Math.random().toString(36).slice(2)}`,
    spec: { intervals: [{ every: `${everySeconds}s` }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'catchUpWorkflow',
      taskQueue: stack.config.temporal.TEMPORAL_TASK_QUEUE,
      args: [input],
    },
  });
  /** The results of the runs taken after `after` (epoch ms) that have finished, oldest first. */
  const finishedAfter = async (after: number): Promise<CatchUpResult[]> => {
    const results: CatchUpResult[] = [];
    for (const { action, takenAt } of (await handle.describe()).info.recentActions) {
      if (takenAt.getTime() < after) continue;
      const run = ctx.env.client.workflow.getHandle(action.workflow.workflowId);
      if ((await run.describe()).status.name === 'COMPLETED') results.push(await run.result());
    }
    return results;
  };
  return {
    /** The result of the first run the Schedule takes after this call. */
    async next(): Promise<CatchUpResult> {
      const after = Date.now();
      let results: CatchUpResult[] = [];
      // A describe is a query to the Schedule's own workflow. Asked every 20 ms on a loaded dev server, one timed
      // out (DEADLINE_EXCEEDED) in a full run of npm test; every 250 ms asks less, and is plenty for runs of seconds.
      await waitUntil(async () => (results = await finishedAfter(after)).length > 0, 30_000, 250);
      return results[0] as CatchUpResult;
    },
    /**
     * Returns once the Schedule's next run is at least `ms` away, past that run if need be: what is seeded then is
     * at least `ms` old when the next run lists it, however slowly the previous result came back.
     */
    async awayFromNextRun(ms: number): Promise<void> {
      for (;;) {
        const next = (await handle.describe()).info.nextActionTimes[0]?.getTime() ?? Infinity;
        if (next - Date.now() >= ms) return;
        await new Promise((resolve) => setTimeout(resolve, next - Date.now() + 500));
      }
    },
    delete: () => handle.delete(),
  };
}

describe('catching up on lost webhooks', () => {
  it('leaves out, with no workflow and so no read, every ticket the listing shows cannot be due, and counts each', async () => {
    const stack = await ctx.start({});
    const spam = await stack.seedTicket({}, { spam: true });
    const closed = await stack.seedTicket({}, { status: 'closed' });
    const chat = await stack.seedTicket({ channel: 'chat' });
    const due = await stack.seedTicket();
    const before = stack.sandbox.stats().requests;

    const result = await runOnce(stack, { lookbackMinutes: 30, graceSeconds: 0 });
    expect(result.started).toEqual([due]);
    expect(result.filtered).toEqual({ spam: 1, closed: 1, 'outside-channel': 1, stale: 0 });
    for (const ticketId of [spam, closed, chat]) expect(await stack.hasWorkflow(ticketId)).toBe(false);
    expect(await stack.result(due)).toMatchObject({ outcome: 'replied' });
    // The listing, then the due ticket's own calls (read, reply, read back, note); none for the others.
    const calls = stack.sandbox.stats().requests - before;
    expect(calls).toBeLessThanOrEqual(1 + 5);
    expect(result.coverage).toEqual([
      expect.objectContaining({ store: 'unknown', channel: 'email', missed: 1 }),
    ]);
  });

  it('leaves a ticket younger than the grace period to its webhook; a later run starts it', async () => {
    const stack = await ctx.start({});
    // The grace is wall time on a loaded machine: with 3 s, one full run of npm test took longer than that from
    // the seeding to the run's listing, and the run started the ticket. 10 s leaves room; the later run waits
    // until the ticket is surely older than the grace.
    const input = { lookbackMinutes: 30, graceSeconds: 10 };
    const fresh = await stack.seedTicket();
    const seeded = Date.now();
    expect(await runOnce(stack, input)).toMatchObject({ started: [], waiting: 1 });
    expect(await stack.hasWorkflow(fresh)).toBe(false);
    await new Promise((resolve) =>
      setTimeout(resolve, seeded + input.graceSeconds * 1000 + 500 - Date.now()),
    );
    expect((await runOnce(stack, input)).started).toEqual([fresh]);
  });

  it('a ticket Gorgias lists late, behind a newer one, is started by a later run', async () => {
    const stack = await ctx.start({});
    const late = await stack.seedTicket();
    stack.sandbox.setListed(late, false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const newer = await stack.seedTicket();
    const runs = await scheduledRuns(stack, { lookbackMinutes: 30, graceSeconds: 0 }, 2);
    try {
      await waitUntil(() => stack.hasWorkflow(newer), 30_000);
      // A run has moved on past the newer ticket before the late one shows up.
      expect((await runs.next()).started).toEqual([]);
      stack.sandbox.setListed(late, true);
      await waitUntil(() => stack.hasWorkflow(late), 30_000);
      expect(await stack.result(late)).toMatchObject({ outcome: 'replied' });
    } finally {
      await runs.delete();
    }
  });

  it('after a gap longer than the staleness window, what fell beyond it is counted, never started', async () => {
    const stack = await ctx.start({});
    // A window of 3 s, runs 10 s apart: each gap is longer than the window.
    const runs = await scheduledRuns(stack, { lookbackMinutes: 0.05, graceSeconds: 0 }, 10);
    try {
      expect((await runs.next()).seen).toBe(0);
      await runs.awayFromNextRun(5000);
      const beyond = await stack.seedTicket();
      const next = await runs.next();
      expect(next).toMatchObject({ seen: 1, started: [] });
      expect(next.filtered?.stale).toBe(1);
      expect(next.coverage).toEqual([expect.objectContaining({ listed: 1, stale: 1 })]);
      expect(await stack.hasWorkflow(beyond)).toBe(false);
    } finally {
      await runs.delete();
    }
  });

  it('says the webhooks look silent when tickets keep arriving and only the catch-up finds them', async () => {
    const stack = await ctx.start({});
    const answered = await stack.seedTicket({}, { created_datetime: minutesAgo(20) });
    await runTicket(stack, answered);
    const missed = [];
    for (const minutes of [15, 12, 11]) {
      missed.push(await stack.seedTicket({}, { created_datetime: minutesAgo(minutes) }));
    }
    const result = await runOnce(stack, { lookbackMinutes: 30, graceSeconds: 0 });
    expect(result.started.sort()).toEqual(missed.sort());
    expect(result.webhooks).toMatchObject({
      catchUpOnly: 3,
      catchUpOnlySince: expect.any(String),
      silent: true,
    });
    // A webhook starts a ticket again: no longer silent.
    const delivered = await stack.seedTicket({}, { created_datetime: minutesAgo(5) });
    await runTicket(stack, delivered);
    expect((await runOnce(stack, { lookbackMinutes: 30, graceSeconds: 0 })).webhooks).toMatchObject({
      silent: false,
    });
  });
});
