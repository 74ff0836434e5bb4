import type { NewTicket } from '../../src/gorgias/schemas';
import { shopifyOrder } from '../../src/tools/sandbox/month';
import { agentReply, sampleTicket } from '../../src/tools/sandbox/sample-ticket';
import type { CatchUpResult, CatchUpWorkflow } from '../../src/temporal/definitions';
import { postedBy, type MarkedMessage } from '../../harness/posted';
import { RecordedSandbox } from '../../harness/recorded-sandbox';
import { ServiceProcesses } from '../../harness/service-processes';
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

/**
 * Scenario 6: Gorgias calls per ticket, by what became of it. Tickets of each kind (webhook delivered, or lost
 * and found by the catch-up) on a worker process with the shipped policy; every API request the sandbox
 * answered is attributed to its ticket (by path, query or the ticket's customer). No rate limit: calls only.
 */
export async function runCalls(
  temporal: TemporalForBench,
  options: { perKind: number },
  log: (line: string) => void,
): Promise<CallsResult> {
  const sandbox = await RecordedSandbox.start({ firstTicketId: 60_000_000 });
  const service = await ServiceProcesses.create({
    name: 'bench-calls',
    temporal: { address: temporal.address, workerAddress: temporal.workerAddress, client: temporal.client },
    gorgias: sandbox.account(),
    webhookSecret: WEBHOOK_SECRET,
    policy: BENCH_POLICY,
    env: { LOG_LEVEL: 'warn' },
  });
  try {
    const n = options.perKind;
    const now = Date.now();
    const customerOf = new Map<number, number>();
    const kinds = new Map<string, number[]>();
    let seeded = 0;
    const seed = async (
      kind: string,
      ticket: (email: string) => NewTicket,
      before?: (email: string) => void,
    ) => {
      const ids: number[] = [];
      for (let i = 0; i < n; i++) {
        // A domain of its own, as customers' mail domains mostly are: the per-domain limit is not what is measured.
        const customer = seeded++;
        const email = `calls-${customer}-${service.taskQueue}@c${customer}.example.org`;
        before?.(email);
        const created = await service.gorgias.createTicket(ticket(email));
        if (created.customer?.id) customerOf.set(created.customer.id, created.id);
        ids.push(created.id);
      }
      kinds.set(kind, ids);
      return ids;
    };
    const order = () => [shopifyOrder(1042, now - 4 * 86_400_000, now - 2 * 86_400_000, 'in_transit')];
    const asking = (email: string) => sampleTicket({ customerEmail: email, ...ORDER_QUESTION });
    const webhook = [
      ...(await seed('replied: plain question', (email) => sampleTicket({ customerEmail: email, ...PLAIN }))),
      ...(await seed('replied: order question, orders on the ticket', asking, (email) =>
        sandbox.sandbox.setCustomerOrders(email, order()),
      )),
      // The ticket carries the Shopify customer (`orders_count: 1`) without its orders: only the read has them.
      ...(await seed('replied: order question, orders read from the customer', asking, (email) =>
        sandbox.sandbox.setCustomerOrders(email, order(), { onTicket: false }),
      )),
      // The ticket's Shopify customer says `orders_count: 0`: the no-order reply, without reading the customer.
      ...(await seed('replied: order question, Shopify data says no orders', asking, (email) =>
        sandbox.sandbox.setCustomerOrders(email, [], { onTicket: false }),
      )),
      // The Shopify customer part without a count or orders: nothing on the ticket tells, so the customer is read.
      ...(await seed('replied: order question, no Shopify order data', asking, (email) =>
        sandbox.sandbox.setCustomerOrders(email, null),
      )),
      ...(await seed('skipped: an automated sender', (email) =>
        sampleTicket({ customerEmail: `noreply+${email}`, ...PLAIN }),
      )),
    ];
    const answered = await seed('skipped: an agent answered first', (email) =>
      sampleTicket({ customerEmail: email, ...PLAIN }),
    );
    for (const ticketId of answered) {
      await service.gorgias.createMessage(ticketId, agentReply('Hi, an agent here.'));
    }
    webhook.push(...answered);
    // Lost webhooks, found by the catch-up (created two minutes ago: past the grace a webhook gets).
    const past = new Date(now - 2 * 60_000).toISOString();
    const lost = await seed('replied: found by the catch-up', (email) => ({
      ...sampleTicket({ customerEmail: email, ...PLAIN }),
      created_datetime: past,
    }));
    const filtered = [
      ...(await seed('left out by the catch-up: spam', (email) => ({
        ...sampleTicket({ customerEmail: email }),
        spam: true,
        created_datetime: past,
      }))),
      ...(await seed('left out by the catch-up: chat', (email) => ({
        ...sampleTicket({ customerEmail: email, channel: 'chat' }),
        created_datetime: past,
      }))),
      ...(await seed('left out by the catch-up: closed', (email) => ({
        ...sampleTicket({ customerEmail: email }),
        status: 'closed' as const,
        created_datetime: past,
      }))),
    ];
    const from = sandbox.requests.length;

    await Promise.all([service.startWorker(), service.startServer()]);
    log(
      `  ${webhook.length} tickets delivered by webhook, ${lost.length + filtered.length} left to the catch-up`,
    );
    await service.deliverAll(webhook, 10);
    const catchUp = await temporal.client.workflow.execute<CatchUpWorkflow>('catchUpWorkflow', {
      taskQueue: service.taskQueue,
      workflowId: `bench-calls-catch-up-${Date.now()}`,
      args: [{ lookbackMinutes: 30 }],
    });
    const results = await service.results([...webhook, ...lost], 180_000);
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
    const rows = [...kinds].map(([kind, ids]): CallsRow => {
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
