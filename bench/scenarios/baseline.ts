import { isServiceReply } from '../../src/reply/markers';
import { startSandbox } from '../../src/tools/sandbox';
import { GorgiasClient } from '../../src/gorgias/client';
import type { Ticket } from '../../src/gorgias/schemas';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import { startInlineHandler } from '../baseline/inline-handler';
import {
  deliver,
  EVENTS,
  ScenarioStack,
  sleep,
  waitFor,
  WEBHOOK_SECRET,
  type TemporalForBench,
} from '../stack';

export interface BaselineResult {
  tickets: number;
  /** The inline handler: tickets that never got a reply, tickets that got more than one. */
  lost: number;
  duplicated: number;
  extraReplies: number;
  ours_lost: number;
  ours_duplicated: number;
  /** Our tickets still without their reply or note when the wait ended, their workflow still retrying. */
  oursUnfinished: number;
  oursSeconds: number;
}

/** Gorgias retries a failed delivery (its count is undocumented; a third party says 3), here 1 s apart. */
const DELIVERY_RETRIES = 3;
const RETRY_PAUSE_MS = 1000;
/**
 * How long the service gets to finish. Its retries back off exponentially (1 s doubling), so at 30 % faults a
 * ticket occasionally needs a minute; one still retrying at the bound is reported as unfinished, not lost.
 */
const OURS_TIMEOUT_MS = 45_000;

const USERNAME = 'autoreply@baseline.example.com';
const API_KEY = 'baseline-api-key';

/** One ticket's three deliveries, at once, each retried as Gorgias would while it is not answered 2xx. */
async function deliverLikeGorgias(url: string, ticket: Ticket): Promise<void> {
  await Promise.all(
    EVENTS.map(async (event) => {
      for (let attempt = 0; attempt <= DELIVERY_RETRIES; attempt++) {
        const status = await deliver(url, ticket, event);
        if (status >= 200 && status < 300) return;
        await sleep(RETRY_PAUSE_MS);
      }
    }),
  );
}

function count(posted: { replies: number }[]) {
  return {
    lost: posted.filter((p) => p.replies === 0).length,
    duplicated: posted.filter((p) => p.replies > 1).length,
    extraReplies: posted.reduce((n, p) => n + Math.max(0, p.replies - 1), 0),
  };
}

/**
 * Scenario 6: the same tickets, deliveries and Gorgias faults (a share of calls answered 5xx without doing
 * anything, as in the chaos suite) for the old inline handler and for the service.
 */
export async function runBaseline(
  temporal: TemporalForBench,
  options: { tickets: number; faultRate: number },
  log: (line: string) => void,
): Promise<BaselineResult> {
  const faults = { errorRate: options.faultRate, errorStatuses: [500, 502, 503] };

  // The old way: an inline handler in this process, against its own sandbox.
  const sandbox = await startSandbox({
    username: USERNAME,
    apiKey: API_KEY,
    rateLimit: false,
    firstTicketId: 70_000_000,
    port: 0,
  });
  const gorgias = new GorgiasClient({
    baseUrl: sandbox.url,
    username: USERNAME,
    apiKey: API_KEY,
    timeoutMs: 10_000,
  });
  const handler = await startInlineHandler(gorgias, WEBHOOK_SECRET);
  let old: ReturnType<typeof count>;
  try {
    const tickets: Ticket[] = [];
    for (let i = 0; i < options.tickets; i++) {
      tickets.push(
        await gorgias.createTicket({
          customer: { email: `old-${i}@example.org`, name: `Old ${i}`, firstname: 'Old' },
          channel: 'email',
          via: 'email',
          subject: `Question ${i}`,
          messages: [
            {
              channel: 'email',
              via: 'email',
              from_agent: false,
              sender: { email: `old-${i}@example.org` },
              source: {
                type: 'email',
                from: { address: `old-${i}@example.org` },
                to: [{ address: 'support@shop.example.com' }],
              },
              body_text: 'Hello?',
            },
          ],
        }),
      );
    }
    sandbox.setFaults(faults);
    log(`  inline handler: ${tickets.length} tickets, 3 deliveries each, ${options.faultRate * 100}% 5xx`);
    await Promise.all(tickets.map((t) => deliverLikeGorgias(handler.url, t)));
    old = count(
      tickets.map((t) => {
        const messages = sandbox.messagesOf(t.id) as { external_id?: string | null }[];
        return {
          replies: messages.filter((m) => isServiceReply(m, t.id)).length,
        };
      }),
    );
  } finally {
    await handler.close();
    await sandbox.close();
  }

  // Ours: the real webhook server and worker, same deliveries, same faults.
  const stack = await ScenarioStack.start(temporal, {
    name: 'baseline',
    firstTicketId: 80_000_000,
    rateLimit: false,
    workerRatePerSecond: 1000,
  });
  try {
    const tickets = await stack.seedTickets(options.tickets);
    stack.sandbox.setFaults(faults);
    log(`  the service: the same ${tickets.length} tickets and faults`);
    const started = Date.now();
    await Promise.all(tickets.map((t) => deliverLikeGorgias(stack.intakeUrl, t)));
    const finished = () =>
      tickets.every((t) => {
        const p = stack.posted(t.id);
        return p.replies > 0 && p.notes > 0;
      });
    await waitFor(finished, OURS_TIMEOUT_MS, 100);
    const oursSeconds = (Date.now() - started) / 1000;
    const posted = tickets.map((t) => stack.posted(t.id));
    // A ticket without its reply is lost only if its workflow has given up (or never started).
    const running = await Promise.all(
      tickets.map((t) =>
        temporal.client.workflow
          .getHandle(workflowIdForTicket(t.id))
          .describe()
          .then(
            (d) => d.status.name === 'RUNNING',
            () => false,
          ),
      ),
    );
    const ours = count(posted.filter((p, i) => p.replies > 0 || !running[i]));
    return {
      tickets: tickets.length,
      lost: old.lost,
      duplicated: old.duplicated,
      extraReplies: old.extraReplies,
      ours_lost: ours.lost,
      ours_duplicated: ours.duplicated,
      oursUnfinished: posted.filter((p, i) => (p.replies === 0 || p.notes === 0) && running[i]).length,
      oursSeconds,
    };
  } finally {
    await stack.stop();
  }
}
