import type { NewTicket } from '../../src/gorgias/schemas';
import { shopifyOrder } from '../../src/tools/sandbox/month';
import { agentReply, sampleTicket } from '../../src/tools/sandbox/sample-ticket';
import type { CatchUpResult, CatchUpWorkflow } from '../../src/temporal/definitions';
import { postedBy, type MarkedMessage } from '../../harness/posted';
import { RecordedSandbox } from '../../harness/recorded-sandbox';
import { ServiceProcesses } from '../../harness/service-processes';
import { shippedPolicyWith } from '../../harness/policy';
import { BENCH_POLICY, WEBHOOK_SECRET, type TemporalForBench } from '../stack';

/** One kind of ticket, and what its Gorgias calls came to. */
export interface CallsRow {
  kind: string;
  /** The outcomes its tickets ended with (`skipped: <reason>`), or `no workflow`. */
  outcomes: string[];
  tickets: number;
  callsPerTicket: number;
  maxCalls: number;
  /** Calls per ticket by route (`GET /api/tickets/:id`), so a figure over its target says which call it is. */
  byRoute: Record<string, number>;
}

export interface CallsResult {
  rows: CallsRow[];
  /** Calls no ticket owns: the catch-up's listing, the workers' read of the email integration. */
  shared: { listing: number; integrations: number; other: number };
  catchUp: Pick<CatchUpResult, 'seen' | 'started' | 'filtered'>;
}

const PLAIN = { subject: 'Question about sizes', body: 'Hi, do you have the blue jacket in size M?' };
/** An order question naming no number: the customer's latest order, or the no-order reply when they have none. */
const ORDER_QUESTION = { subject: 'My order', body: 'Hi, where is my order?' };
/** The shipped policy reading the customer where the ticket lacks the orders (`orders.read_customer`). */
const READING_POLICY = shippedPolicyWith({ catch_up: { enabled: false }, orders: { read_customer: true } });

/** One kind of ticket: how it is seeded, and how Gorgias's side reaches the service. */
interface Kind {
  kind: string;
  ticket: (email: string) => NewTicket;
  /** Before the ticket is created: the customer's Shopify data. */
  before?: (sandbox: RecordedSandbox, email: string) => void;
  /**
   * `webhook` (the default): delivered; `answered`: delivered after an agent answered; `lost`: created two
   * minutes ago (past the grace a webhook gets), for the catch-up; `left-out`: likewise, one the catch-up's
   * listing rules out.
   */
  via?: 'webhook' | 'answered' | 'lost' | 'left-out';
}

const asking = (email: string) => sampleTicket({ customerEmail: email, ...ORDER_QUESTION });
const plain = (email: string) => sampleTicket({ customerEmail: email, ...PLAIN });
const shipped = () => {
  const now = Date.now();
  return [shopifyOrder(1042, now - 4 * 86_400_000, now - 2 * 86_400_000, 'in_transit')];
};
/** Order questions whose ticket does not carry the orders: the customer read is where the two policies differ. */
const ORDERS_NOT_ON_TICKET: Kind[] = [
  // The ticket carries the Shopify customer (`orders_count: 1`) without its orders: only the read has them.
  {
    kind: 'replied: order question, orders only on the customer',
    ticket: asking,
    before: (sandbox, email) => sandbox.sandbox.setCustomerOrders(email, shipped(), { onTicket: false }),
  },
  // The Shopify customer part without a count or orders: nothing on the ticket tells.
  {
    kind: 'replied: order question, no Shopify order data',
    ticket: asking,
    before: (sandbox, email) => sandbox.sandbox.setCustomerOrders(email, null),
  },
];
const past = () => new Date(Date.now() - 2 * 60_000).toISOString();
const KINDS: Kind[] = [
  { kind: 'replied: plain question', ticket: plain },
  {
    kind: 'replied: order question, orders on the ticket',
    ticket: asking,
    before: (sandbox, email) => sandbox.sandbox.setCustomerOrders(email, shipped()),
  },
  ...ORDERS_NOT_ON_TICKET,
  // The ticket's Shopify customer says `orders_count: 0`: the no-order reply, without reading the customer.
  {
    kind: 'replied: order question, Shopify data says no orders',
    ticket: asking,
    before: (sandbox, email) => sandbox.sandbox.setCustomerOrders(email, [], { onTicket: false }),
  },
  {
    kind: 'skipped: an automated sender',
    ticket: (email) => sampleTicket({ customerEmail: `noreply+${email}`, ...PLAIN }),
  },
  { kind: 'skipped: an agent answered first', ticket: plain, via: 'answered' },
  // Lost webhooks, found by the catch-up.
  {
    kind: 'replied: found by the catch-up',
    ticket: (email) => ({ ...plain(email), created_datetime: past() }),
    via: 'lost',
  },
  {
    kind: 'left out by the catch-up: spam',
    ticket: (email) => ({ ...sampleTicket({ customerEmail: email }), spam: true, created_datetime: past() }),
    via: 'left-out',
  },
  {
    kind: 'left out by the catch-up: chat',
    ticket: (email) => ({
      ...sampleTicket({ customerEmail: email, channel: 'chat' }),
      created_datetime: past(),
    }),
    via: 'left-out',
  },
  {
    kind: 'left out by the catch-up: closed',
    ticket: (email) => ({
      ...sampleTicket({ customerEmail: email }),
      status: 'closed' as const,
      created_datetime: past(),
    }),
    via: 'left-out',
  },
];

/**
 * Scenario 7: Gorgias calls per ticket, by what became of it. Tickets of each kind (webhook delivered, or lost
 * and found by the catch-up) on a worker process with the shipped policy; then the order questions whose
 * tickets lack the orders again, with `orders.read_customer: true`. Every API request the sandbox answered is
 * attributed to its ticket (by path, query or the ticket's customer). No rate limit: calls only.
 */
export async function runCalls(
  temporal: TemporalForBench,
  options: { perKind: number },
  log: (line: string) => void,
): Promise<CallsResult> {
  const result = await measureCalls(temporal, BENCH_POLICY, KINDS, options.perKind, 60_000_000, log);
  log('  again with orders.read_customer: true:');
  // Tickets of their own: a workflow's id is its ticket's.
  const reading = await measureCalls(
    temporal,
    READING_POLICY,
    ORDERS_NOT_ON_TICKET,
    options.perKind,
    61_000_000,
    log,
  );
  const suffix = (row: CallsRow) => ({ ...row, kind: `${row.kind} (orders.read_customer: true)` });
  return { ...result, rows: [...result.rows, ...reading.rows.map(suffix)] };
}

/** The calls of `perKind` tickets of each kind, on a worker process with this policy. */
async function measureCalls(
  temporal: TemporalForBench,
  policy: Record<string, unknown>,
  kinds: readonly Kind[],
  perKind: number,
  firstTicketId: number,
  log: (line: string) => void,
): Promise<CallsResult> {
  const sandbox = await RecordedSandbox.start({ firstTicketId });
  const service = await ServiceProcesses.create({
    name: 'bench-calls',
    temporal: { address: temporal.address, workerAddress: temporal.workerAddress, client: temporal.client },
    gorgias: sandbox.account(),
    webhookSecret: WEBHOOK_SECRET,
    policy,
    env: { LOG_LEVEL: 'warn' },
  });
  try {
    const customerOf = new Map<number, number>();
    const ids = new Map<string, number[]>();
    const via: Record<NonNullable<Kind['via']>, number[]> = {
      webhook: [],
      answered: [],
      lost: [],
      'left-out': [],
    };
    let seeded = 0;
    for (const kind of kinds) {
      const ofKind: number[] = [];
      for (let i = 0; i < perKind; i++) {
        // A domain of its own, as customers' mail domains mostly are: the per-domain limit is not what is measured.
        // Of this measurement's too: a domain's limit is kept by a workflow on the task queue that started it.
        const customer = seeded++;
        const email = `calls-${customer}@c${customer}.${service.taskQueue}.example.org`;
        kind.before?.(sandbox, email);
        const created = await service.gorgias.createTicket(kind.ticket(email));
        if (created.customer?.id) customerOf.set(created.customer.id, created.id);
        ofKind.push(created.id);
      }
      ids.set(kind.kind, ofKind);
      via[kind.via ?? 'webhook'].push(...ofKind);
    }
    for (const ticketId of via.answered) {
      await service.gorgias.createMessage(ticketId, agentReply('Hi, an agent here.'));
    }
    const webhook = [...via.webhook, ...via.answered];
    const from = sandbox.requests.length;

    await Promise.all([service.startWorker(), service.startServer()]);
    const toCatchUp = via.lost.length + via['left-out'].length;
    log(`  ${webhook.length} tickets delivered by webhook, ${toCatchUp} left to the catch-up`);
    await service.deliverAll(webhook, 10);
    const catchUp = await temporal.client.workflow.execute<CatchUpWorkflow>('catchUpWorkflow', {
      taskQueue: service.taskQueue,
      workflowId: `bench-calls-catch-up-${Date.now()}`,
      args: [{ lookbackMinutes: 30 }],
    });
    const results = await service.results([...webhook, ...via.lost], 180_000);
    // Let the last confirmations and notes land (a workflow ends after its note).
    const requests = sandbox.requests.slice(from);

    const calls = new Map<number, number>();
    const routes = new Map<number, string[]>();
    const shared = { listing: 0, integrations: 0, other: 0 };
    for (const r of requests) {
      const customer = /\/api\/customers\/(\d+)/.exec(r.url)?.[1];
      const ticketId = r.ticketId ?? (customer ? customerOf.get(Number(customer)) : undefined);
      if (ticketId !== undefined) {
        calls.set(ticketId, (calls.get(ticketId) ?? 0) + 1);
        const route = `${r.method} ${r.url.split('?')[0]!.replace(/\/\d+/g, '/:id')}`;
        routes.set(ticketId, [...(routes.get(ticketId) ?? []), route]);
      } else if (r.url.startsWith('/api/tickets')) shared.listing += 1;
      else if (r.url.startsWith('/api/integrations')) shared.integrations += 1;
      else shared.other += 1;
    }
    const outcomeOf = (ticketId: number) => {
      const result = results.get(ticketId);
      if (!result) return 'no workflow';
      if (result instanceof Error) return result.name === 'WorkflowNotFoundError' ? 'no workflow' : 'failed';
      if (result.outcome === 'skipped') return `skipped: ${result.reason}`;
      // The order branch the reply took, as its note names it: a row's figure is for the reply it says.
      const { notes } = postedBy(
        sandbox.sandbox.messagesOf(ticketId) as (MarkedMessage & { body_text?: string | null })[],
      );
      const branch = notes.map((n) => /\(branch ([a-z-]+)/.exec(n.body_text ?? '')?.[1]).find(Boolean);
      return branch ? `${result.outcome}, branch ${branch}` : result.outcome;
    };
    const rows = [...ids].map(([kind, ids]): CallsRow => {
      const counts = ids.map((id) => calls.get(id) ?? 0);
      const byRoute: Record<string, number> = {};
      for (const route of ids.flatMap((id) => routes.get(id) ?? [])) {
        byRoute[route] = (byRoute[route] ?? 0) + 1 / ids.length;
      }
      return {
        kind,
        outcomes: [...new Set(ids.map(outcomeOf))],
        tickets: ids.length,
        callsPerTicket: counts.reduce((a, b) => a + b, 0) / ids.length,
        maxCalls: Math.max(...counts),
        byRoute,
      };
    });
    for (const row of rows) {
      log(
        `  ${row.kind}: ${row.callsPerTicket.toFixed(2)} calls per ticket (max ${row.maxCalls}) → ${row.outcomes.join(', ')}`,
      );
      const perRoute = Object.entries(row.byRoute).map(([route, n]) => `${route} ${n.toFixed(2)}`);
      if (perRoute.length > 0) log(`    ${perRoute.join(', ')}`);
    }
    return {
      rows,
      shared,
      catchUp: { seen: catchUp.seen, started: catchUp.started, filtered: catchUp.filtered },
    };
  } finally {
    await service.stopAll();
    await sandbox.close();
  }
}
