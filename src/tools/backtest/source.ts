import type { GorgiasClient } from '../../gorgias/client';
import { parseGorgiasDatetime } from '../../gorgias/datetime';
import { GorgiasRequestError } from '../../gorgias/failures';
import type { Ticket } from '../../gorgias/schemas';
import type { Policy } from '../../policy/schema';
import type { BacktestCache } from './cache';
import { needsCustomerOrders } from './evaluate';
import { ProgressBar } from '../reports/progress';

/**
 * Reads past tickets from Gorgias for the backtest (and, listing and reading, for the scorecard), read-only (GETs
 * only) and through a GorgiasClient, so its call budget keeps to the account's rate limit: list the range newest
 * first (pages of 100), read each ticket not yet in the cache, then the customers of order questions whose ticket
 * lacked the orders (once each).
 */

export type BacktestGorgias = Pick<GorgiasClient, 'listTicketsPage' | 'getTicket' | 'getCustomer'>;

export interface RangeOptions {
  since: Date;
  until: Date;
  cache: BacktestCache;
  /** Where progress goes (stderr in the CLI); null for none. */
  progress: { write(text: string): unknown; isTTY?: boolean } | null;
  /** Waits between retries of a failed call (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
}

export interface ReadOptions extends RangeOptions {
  policy: Policy;
}

const MAX_ATTEMPTS = 8;

/** One call, retried while Gorgias (or the budget) says to wait: rate limits, 5xx, timeouts. */
export async function withRetries<T>(
  call: () => Promise<T>,
  sleep: (ms: number) => Promise<void>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof GorgiasRequestError) || err.kind === 'permanent' || attempt >= MAX_ATTEMPTS)
        throw err;
      await sleep(err.retryAfterMs ?? Math.min(30_000, 1000 * 2 ** (attempt - 1)));
    }
  }
}

/** The ids of the untrashed tickets created in [since, until), from the cache when listed there before. */
export async function listRange(
  gorgias: Pick<GorgiasClient, 'listTicketsPage'>,
  options: RangeOptions,
): Promise<number[]> {
  const { since, until, cache } = options;
  const sleep = options.sleep ?? defaultSleep;
  const key = [since.toISOString(), until.toISOString()] as const;
  const cached = cache.listing(...key);
  if (cached) return cached;
  const ids: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await withRetries(() => gorgias.listTicketsPage({ order: 'desc', cursor }), sleep);
    pages += 1;
    let older = false;
    for (const ticket of page.tickets) {
      const created = parseGorgiasDatetime(ticket.created_datetime);
      if (created === null) continue;
      if (created < since.getTime()) older = true;
      else if (created < until.getTime()) ids.push(ticket.id);
    }
    options.progress?.write(
      `${options.progress.isTTY ? '\r' : ''}Listing tickets: ${pages} page${pages === 1 ? '' : 's'}, ${ids.length} in range${options.progress.isTTY ? '' : '\n'}`,
    );
    if (older || !page.nextCursor) break;
    cursor = page.nextCursor;
  }
  if (options.progress?.isTTY) options.progress.write('\n');
  // A range that has ended is listed once for good; one running until now is listed again next time.
  if (until.getTime() <= Date.now()) cache.saveListing(...key, ids);
  return ids;
}

/** Every ticket of the range, read (or taken from the cache), with the customers' orders they need. */
export async function readPastTickets(gorgias: BacktestGorgias, options: ReadOptions): Promise<Ticket[]> {
  const { cache, policy } = options;
  const sleep = options.sleep ?? defaultSleep;
  const tickets = await readTickets(gorgias, await listRange(gorgias, options), options);
  const customers = [
    ...new Set(
      tickets
        .filter((t) => needsCustomerOrders(t, policy))
        .map((t) => t.customer?.id)
        .filter((id): id is number => typeof id === 'number' && !cache.customers.has(id)),
    ),
  ];
  const customerBar = new ProgressBar(
    'Reading customers',
    customers.length,
    customers.length > 0 ? options.progress : null,
  );
  for (const id of customers) {
    try {
      const customer = await withRetries(() => gorgias.getCustomer(id), sleep);
      cache.saveCustomer(id, customer.shopifyOrders);
    } catch (err) {
      if (!(err instanceof GorgiasRequestError && err.status === 404)) throw err;
      cache.saveCustomer(id, null);
    }
    customerBar.tick();
  }
  customerBar.finish();
  return tickets;
}

/**
 * The tickets `ids`, read from Gorgias unless the cache has them (and `reread` does not ask for a fresher copy of
 * the cached one), in the order of `ids`; a ticket deleted since it was listed is left out.
 */
export async function readTickets(
  gorgias: Pick<GorgiasClient, 'getTicket'>,
  ids: readonly number[],
  options: RangeOptions & { reread?: (cached: Ticket) => boolean },
): Promise<Ticket[]> {
  const { cache } = options;
  const sleep = options.sleep ?? defaultSleep;
  const reread = options.reread ?? (() => false);
  const missing = ids.filter((id) => {
    const cached = cache.tickets.get(id);
    return !cached || reread(cached);
  });
  if (missing.length < ids.length) {
    options.progress?.write(
      `${ids.length - missing.length} tickets already read (cache), ${missing.length} to read\n`,
    );
  }
  const bar = new ProgressBar('Reading tickets', missing.length, options.progress);
  for (const id of missing) {
    try {
      cache.saveTicket(await withRetries(() => gorgias.getTicket(id), sleep));
    } catch (err) {
      // A ticket deleted since it was listed is left out; anything else stops the run (resumable).
      if (!(err instanceof GorgiasRequestError && err.status === 404)) throw err;
      cache.tickets.delete(id);
    }
    bar.tick();
  }
  bar.finish();
  return ids.flatMap((id) => cache.tickets.get(id) ?? []);
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
