import { performance } from 'node:perf_hooks';
import { deliver, EVENTS, ScenarioStack, sleep, waitFor, type TemporalForBench } from '../stack';

export interface CollapseResult {
  tickets: number;
  workflows: number;
  replies: number;
  notes: number;
  seconds: number;
  /** Deliveries not answered 202/200 (Gorgias would retry them). */
  failedDeliveries: number;
}

/** Tickets whose three deliveries are in flight at once: a burst, not 1,500 sockets at the same instant. */
const TICKETS_IN_FLIGHT = 64;

/**
 * Scenario 2: three concurrent deliveries (ticket-created, ticket-message-created, ticket-updated, as Gorgias
 * sends them) for each ticket, rate limit off. Every ticket must end with one workflow, one reply, one note.
 */
export async function runCollapse(
  temporal: TemporalForBench,
  options: { tickets: number; serviceEnv?: Record<string, string> },
  log: (line: string) => void,
): Promise<CollapseResult> {
  const stack = await ScenarioStack.start(temporal, {
    name: 'collapse',
    firstTicketId: 40_000_000,
    rateLimit: false,
    workerRatePerSecond: 1000,
    processEnv: options.serviceEnv,
  });
  try {
    const tickets = await stack.seedTickets(options.tickets);
    log(
      `  ${tickets.length} tickets seeded; delivering 3 webhooks each, ${TICKETS_IN_FLIGHT} tickets at a time`,
    );
    const started = performance.now();
    let next = 0;
    let failedDeliveries = 0;
    const sender = async () => {
      while (next < tickets.length) {
        const ticket = tickets[next++];
        if (!ticket) break;
        const statuses = await Promise.all(EVENTS.map((event) => deliver(stack.intakeUrl, ticket, event)));
        failedDeliveries += statuses.filter((s) => s !== 202 && s !== 200).length;
      }
    };
    await Promise.all(Array.from({ length: TICKETS_IN_FLIGHT }, sender));

    const noted = new Set<number>();
    const allNoted = () => {
      for (const t of tickets) if (!noted.has(t.id) && stack.posted(t.id).notes > 0) noted.add(t.id);
      return noted.size === tickets.length;
    };
    const complete = await waitFor(allNoted, 180_000, 50);
    const seconds = (performance.now() - started) / 1000;
    if (!complete) log(`  only ${noted.size} of ${tickets.length} tickets had their note after 180 s`);
    // Let late duplicates (if any) land before counting.
    await sleep(1000);

    let replies = 0;
    let notes = 0;
    for (const t of tickets) {
      const posted = stack.posted(t.id);
      replies += posted.replies;
      notes += posted.notes;
    }
    const workflows = await countWorkflows(temporal, stack.taskQueue, tickets.length);
    return { tickets: tickets.length, workflows, replies, notes, seconds, failedDeliveries };
  } finally {
    await stack.stop();
  }
}

/** Ticket workflows (open or closed) on the task queue; visibility lags a little, so poll until stable. */
export async function countWorkflows(
  temporal: TemporalForBench,
  taskQueue: string,
  expected: number,
): Promise<number> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const { count } = await temporal.client.workflow.count(
      `TaskQueue = "${taskQueue}" AND WorkflowType = "ticketWorkflow"`,
    );
    if (count === last && count >= expected) return count;
    last = count;
    await sleep(250);
  }
  return last;
}
