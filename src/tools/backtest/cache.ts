import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ShopifyOrder, Ticket } from '../../gorgias/schemas';

/**
 * What the backtest has read from Gorgias, one JSON line per ticket, customer or listing, appended as it is
 * read: an interrupted run (Ctrl-C, a crash, an expired key) starts again where it stopped, and a run with
 * another policy reads nothing it already has. Delete the file (or pass --fresh) to read everything again.
 */

type Entry =
  | { type: 'ticket'; ticket: Ticket }
  /** `orders` null: Gorgias has no Shopify order data on the customer. */
  | { type: 'customer'; id: number; orders: ShopifyOrder[] | null }
  | { type: 'listing'; since: string; until: string; ids: number[] };

export class BacktestCache {
  readonly tickets = new Map<number, Ticket>();
  readonly customers = new Map<number, ShopifyOrder[] | null>();
  private readonly listings = new Map<string, number[]>();

  constructor(private readonly file: string | null) {
    if (!file || !existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let entry: Entry;
      try {
        entry = JSON.parse(line) as Entry;
      } catch {
        continue; // A line cut short by an interruption: read again.
      }
      if (entry.type === 'ticket') this.tickets.set(entry.ticket.id, entry.ticket);
      else if (entry.type === 'customer') this.customers.set(entry.id, entry.orders);
      else if (entry.type === 'listing') this.listings.set(`${entry.since}/${entry.until}`, entry.ids);
    }
  }

  /** The ticket ids of a range listed completely before (a range that ends in the past does not change). */
  listing(since: string, until: string): number[] | undefined {
    return this.listings.get(`${since}/${until}`);
  }

  saveListing(since: string, until: string, ids: number[]): void {
    this.listings.set(`${since}/${until}`, ids);
    this.append({ type: 'listing', since, until, ids });
  }

  saveTicket(ticket: Ticket): void {
    this.tickets.set(ticket.id, ticket);
    this.append({ type: 'ticket', ticket });
  }

  saveCustomer(id: number, orders: ShopifyOrder[] | null): void {
    this.customers.set(id, orders);
    this.append({ type: 'customer', id, orders });
  }

  private append(entry: Entry): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }
}
