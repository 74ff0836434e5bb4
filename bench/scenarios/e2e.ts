import { performance } from 'node:perf_hooks';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import type { Ticket } from '../../src/gorgias/schemas';
import { medianSteps, timelinesOf } from '../history-timeline';
import { percentile } from '../load';
import { deliver, ScenarioStack, sleep, type TemporalForBench } from '../stack';

/** One way of sending the tickets: their latencies, and where the time went (from the workflows' histories). */
export interface E2eMode {
  tickets: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Tickets whose reply did not show up within the bound. */
  missing: number;
  /** Median of each step up to the reply's activity completing, from the server's event times. */
  steps: { step: string; p50_ms: number }[];
  /** Median from the workflow's start to the reply's activity completing, by the same clock. */
  history_p50_ms: number;
}

export interface E2eRun extends E2eMode {
  /** The same, with a pause between tickets (`apartMs`), so no ticket meets the previous one's work. */
  apart: E2eMode & { pause_ms: number };
}

export interface E2eResult extends E2eRun {
  /**
   * On the dev server: the same run on a second dev server whose history shard reads its transfer queue (the
   * tasks that dispatch workflow and activity tasks) more often than the default 20 times a second.
   */
  fasterTransferReads?: E2eRun & { dynamicConfig: string[] };
}

/** The dev server has one history shard, whose transfer-queue reader is limited to this many reads a second. */
export const FASTER_TRANSFER_READS = 'history.transferProcessorMaxPollRPS=1000';

const REPLY_TIMEOUT_MS = 30_000;
/** Longer than a ticket's whole path up to its reply (~60 ms) and the note's workflow task after it. */
const APART_PAUSE_MS = 300;
/** Histories read for the breakdown (each is one request to Temporal after the run). */
const TIMELINES = 40;

/**
 * Scenario 4: tickets one after another, rate limit off: from the webhook's 202 until the reply exists in the
 * sandbox (polled every millisecond or so, in-process). Back to back: the next ticket goes once the previous
 * one's reply is there, so no two sends overlap (the note follows once Gorgias reports the reply sent, seconds
 * later). Apart: the same with a pause between tickets.
 */
export async function runEndToEnd(
  temporal: TemporalForBench,
  options: { tickets: number; apartTickets?: number; serviceEnv?: Record<string, string> },
  log: (line: string) => void,
): Promise<E2eRun> {
  const stack = await ScenarioStack.start(temporal, {
    name: 'e2e',
    firstTicketId: 60_000_000,
    rateLimit: false,
    workerRatePerSecond: 1000,
    processEnv: options.serviceEnv,
  });
  try {
    const apartCount = options.apartTickets ?? Math.max(10, Math.round(options.tickets / 3));
    const tickets = await stack.seedTickets(options.tickets + apartCount);
    log(`  ${options.tickets} tickets back to back, then ${apartCount} tickets ${APART_PAUSE_MS} ms apart`);
    const backToBack = await measure(stack, temporal, tickets.slice(0, options.tickets), 0);
    const apart = await measure(stack, temporal, tickets.slice(options.tickets), APART_PAUSE_MS);
    for (const [name, mode] of [
      ['back to back', backToBack],
      [`${APART_PAUSE_MS} ms apart`, apart],
    ] as const) {
      log(
        `  ${name}: p50 ${mode.p50_ms.toFixed(1)} ms (202 → reply), history p50 ${mode.history_p50_ms.toFixed(1)} ms:`,
      );
      for (const { step, p50_ms } of mode.steps) log(`    ${p50_ms.toFixed(1).padStart(7)} ms  ${step}`);
    }
    return { ...backToBack, apart: { ...apart, pause_ms: APART_PAUSE_MS } };
  } finally {
    await stack.stop();
  }
}

async function measure(
  stack: ScenarioStack,
  temporal: TemporalForBench,
  tickets: readonly Ticket[],
  pauseMs: number,
): Promise<E2eMode> {
  const latencies: number[] = [];
  const answered: number[] = [];
  let missing = 0;
  for (const ticket of tickets) {
    if (pauseMs > 0) await sleep(pauseMs);
    const status = await deliver(stack.intakeUrl, ticket, 'ticket-created');
    const accepted = performance.now();
    if (status !== 202) {
      missing++;
      continue;
    }
    let replied: number | null = null;
    while (performance.now() - accepted < REPLY_TIMEOUT_MS) {
      if (stack.posted(ticket.id).replies > 0) {
        replied = performance.now();
        break;
      }
      await sleep(1);
    }
    if (replied === null) missing++;
    else {
      latencies.push(replied - accepted);
      answered.push(ticket.id);
    }
  }
  latencies.sort((a, b) => a - b);
  // The first ticket is cold (first workflow task of a fresh worker): leave it out of the breakdown.
  const sample = answered.slice(1, 1 + TIMELINES).map(workflowIdForTicket);
  const timelines = await timelinesOf(temporal.client, sample, 'sendReply');
  const totals = timelines.map((t) => t.totalMs).sort((a, b) => a - b);
  return {
    tickets: tickets.length,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    max_ms: latencies.at(-1) ?? NaN,
    missing,
    steps: medianSteps(timelines),
    history_p50_ms: percentile(totals, 50),
  };
}
