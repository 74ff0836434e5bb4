import type { SandboxFaults, SandboxFaultsPatch } from './faults';
import type { Customer, Ticket } from './objects';
import type { MonthOptions, PlayedOutTicket, PlayOutOptions, SeededTicket } from './month';
import type { ShopifyOrder } from './shopify';
import type { SendingPatch, SendingSettings } from './sending';
import type { SandboxStats } from './stats';

/** What a server (or a test) can do with a running sandbox besides serving the API. */
export interface SandboxControls {
  stats(): SandboxStats;
  faults(): SandboxFaults;
  /** Changes the given switches only; throws a ZodError for invalid values. `methods: null` means all. */
  setFaults(faults: SandboxFaultsPatch): void;
  /** How outgoing messages are sent: after `delayMs`, failing for `failAddresses`. */
  sending(): SendingSettings;
  /** Changes the given settings only, for messages created from now on; throws a ZodError for invalid ones. */
  setSending(patch: SendingPatch): void;
  /** Moves a ticket to the trash (sets `trashed_datetime`); undefined for an unknown ticket. */
  trashTicket(ticketId: number): Ticket | undefined;
  /**
   * Clears tickets, messages, customers, auto-created integrations, stats and the bucket, cancels pending
   * sends and held requests, and restores the faults and sending settings of the options.
   */
  reset(): void;
  /** Messages of a ticket as stored (for assertions), oldest first. */
  messagesOf(ticketId: number): unknown[];
  /**
   * Sets a customer's Shopify orders (null: the customer part only); `onTicket: false` leaves them out of the
   * customer's tickets, so only `GET /api/customers/{id}` has them.
   */
  setCustomerOrders(email: string, orders: ShopifyOrder[] | null, options?: { onTicket?: boolean }): Customer;
  /** Seeds a month of past tickets (month.ts); returns what it seeded. */
  seedMonth(options: MonthOptions): SeededTicket[];
  /**
   * Plays out the tickets seeded with `playOut: 'later'` since the last play-out (month.ts): answers, follow-ups,
   * reopens and surveys, with the effect of the acknowledgements the service sent meanwhile.
   */
  playOutMonth(options: Omit<PlayOutOptions, 'acknowledged'>): PlayedOutTicket[];
  /** Drops held requests, answers still being delayed and pending sends; call when the server closes. */
  dispose(): void;
}
