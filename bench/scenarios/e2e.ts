import { performance } from 'node:perf_hooks';
import { percentile } from '../load';
import { deliver, ScenarioStack, sleep, type TemporalForBench } from '../stack';

export interface E2eResult {
  tickets: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Tickets whose reply did not show up within the bound. */
  missing: number;
}

const REPLY_TIMEOUT_MS = 30_000;

/**
 * Scenario 4: tickets one after another, rate limit off: from the webhook's 202 until the reply exists in the
 * sandbox (polled every millisecond or so, in-process). The next ticket goes once the previous one's reply is
 * there, so no two sends overlap (the note follows once Gorgias reports the reply sent, seconds later).
 */
export async function runEndToEnd(
  temporal: TemporalForBench,
  options: { tickets: number },
  log: (line: string) => void,
): Promise<E2eResult> {
  const stack = await ScenarioStack.start(temporal, {
    name: 'e2e',
    firstTicketId: 60_000_000,
    rateLimit: false,
    workerRatePerSecond: 1000,
  });
  try {
    const tickets = await stack.seedTickets(options.tickets);
    log(`  ${tickets.length} tickets, one after another`);
    const latencies: number[] = [];
    let missing = 0;
    for (const ticket of tickets) {
      const status = await deliver(stack.intakeUrl, ticket, 'ticket-created');
      const accepted = performance.now();
      if (status !== 202) {
        missing++;
        continue;
      }
      let replied: number | null = null;
      while (performance.now() - accepted < REPLY_TIMEOUT_MS) {
        const posted = stack.posted(ticket.id);
        if (posted.replies > 0) {
          replied = performance.now();
          break;
        }
        await sleep(1);
      }
      if (replied === null) missing++;
      else latencies.push(replied - accepted);
    }
    latencies.sort((a, b) => a - b);
    return {
      tickets: tickets.length,
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      max_ms: latencies.at(-1) ?? NaN,
      missing,
    };
  } finally {
    await stack.stop();
  }
}
