import { performance } from 'node:perf_hooks';
import { DEFAULT_RATE_LIMIT } from '../../src/tools/sandbox/options';
import { deliver, ScenarioStack, waitFor, type TemporalForBench } from '../stack';

export interface DrainResult {
  tickets: number;
  seconds: number;
  theoreticalSeconds: number;
  ratio: number;
  http429: number;
  apiCalls: number;
  /** Gorgias calls spent per ticket, retries and confirmation reads included. */
  callsPerTicket: number;
  complete: number;
}

/**
 * The happy path of one ticket: read it, post the reply, read the reply back (has Gorgias sent it?), post the
 * note. (Plus one read of the email integration per worker, not per ticket.)
 */
const CALLS_PER_TICKET = 4;

/**
 * The least time N calls can take under a leaky bucket of capacity C draining r per second, starting empty:
 * the first C fit at once, each later one waits for 1/r s of drain, so max(0, N − C) / r.
 */
export function theoreticalDrainSeconds(calls: number, capacity: number, drainPerSecond: number): number {
  return Math.max(0, calls - capacity) / drainPerSecond;
}

/**
 * Scenario 3: a backlog of tickets delivered at once while the sandbox enforces Gorgias's leaky bucket
 * (40 burst, 2/s) and the worker runs with its production setting (40 calls per GORGIAS_RATE_LIMIT_WINDOW_SECONDS=20, unless
 * `--drain-worker-rate` says otherwise, to show what a looser limit costs in 429s).
 */
export async function runDrain(
  temporal: TemporalForBench,
  options: { tickets: number; workerRatePerSecond: number },
  log: (line: string) => void,
): Promise<DrainResult> {
  const bucket = DEFAULT_RATE_LIMIT;
  const stack = await ScenarioStack.start(temporal, {
    name: 'drain',
    firstTicketId: 50_000_000,
    rateLimit: bucket,
    workerRatePerSecond: options.workerRatePerSecond,
  });
  try {
    // Seeding is the customers' doing, not ours: each seed call runs on an emptied bucket.
    const tickets = await stack.seedTickets(options.tickets, {
      parallel: 1,
      beforeEach: () => stack.skipSandboxClock(),
    });
    stack.skipSandboxClock();
    const before = stack.sandbox.stats();
    const theoreticalSeconds = theoreticalDrainSeconds(
      tickets.length * CALLS_PER_TICKET,
      bucket.capacity,
      bucket.drainPerSecond,
    );
    log(
      `  ${tickets.length} tickets delivered at once; theoretical minimum ${theoreticalSeconds.toFixed(0)} s ` +
        `for ${tickets.length * CALLS_PER_TICKET} calls`,
    );
    const started = performance.now();
    await Promise.all(tickets.map((t) => deliver(stack.intakeUrl, t, 'ticket-created')));
    const done = new Set<number>();
    const allDone = () => {
      for (const t of tickets) {
        if (done.has(t.id)) continue;
        const posted = stack.posted(t.id);
        if (posted.replies > 0 && posted.notes > 0) done.add(t.id);
      }
      return done.size === tickets.length;
    };
    const timeoutMs = Math.max(60_000, theoreticalSeconds * 3000);
    await waitFor(allDone, timeoutMs, 50);
    const seconds = (performance.now() - started) / 1000;
    const after = stack.sandbox.stats();
    // The minimum for the calls really made: an order question on a ticket without its orders costs one more
    // call (the customer's read), so the happy path's 4 is a floor, not the count.
    const calls = after.requests - before.requests;
    const minimum = theoreticalDrainSeconds(calls, bucket.capacity, bucket.drainPerSecond);
    return {
      tickets: tickets.length,
      seconds,
      theoreticalSeconds: minimum,
      ratio: minimum > 0 ? seconds / minimum : NaN,
      http429: after.rateLimited - before.rateLimited,
      apiCalls: after.requests - before.requests,
      callsPerTicket: (after.requests - before.requests) / tickets.length,
      complete: done.size,
    };
  } finally {
    await stack.stop();
  }
}
