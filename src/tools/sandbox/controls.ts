import type { SandboxFaults, SandboxFaultsPatch } from './faults';
import type { Customer, Ticket } from './objects';
import type { MonthOptions, PlayedOutTicket, PlayOutOptions, SeededTicket } from './month';
import type { RuleSetting } from './rules';
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
  /** Deletes a ticket: it answers 404 from then on; false for an unknown ticket. */
  deleteTicket(ticketId: number): boolean;
  /** Merges a ticket into another (its id then answers 404); undefined when either is unknown. */
  mergeTicket(fromId: number, intoId: number): Ticket | undefined;
  /**
   * Clears tickets, messages, customers, auto-created integrations, stats and the bucket, cancels pending
   * sends and held requests, and restores the faults and sending settings of the options.
   */
  reset(): void;
  /** Messages of a ticket as stored (for assertions), oldest first. */
  messagesOf(ticketId: number): unknown[];
  /**
   * Sets a customer's Shopify orders and `orders_count` (null: no order data, the customer part only, without a
   * count); `onTicket: false` leaves them out of the customer's tickets, so only `GET /api/customers/{id}` has them.
   */
  setCustomerOrders(email: string, orders: ShopifyOrder[] | null, options?: { onTicket?: boolean }): Customer;
  /** Replaces the account's Rules (e.g. `SAMPLE_RULES`); throws a ZodError for an invalid one. */
  setRules(rules: RuleSetting[]): void;
  /** Gives a customer (created if new) another email address: their mail from it joins them. */
  addCustomerAddress(email: string, address: string): Customer;
  /** Seeds a month of past tickets (month.ts); returns what it seeded. */
  seedMonth(options: MonthOptions): SeededTicket[];
  /**
   * Leaves a ticket out of `GET /api/tickets` (`listed: false`) until it is listed again, as Gorgias may list a
   * ticket late; it stays readable. False for an unknown ticket.
   */
  setListed(ticketId: number, listed: boolean): boolean;
  /**
   * Plays out the tickets seeded with `playOut: 'later'` since the last play-out (month.ts): answers, follow-ups,
   * reopens and surveys, with the effect of the acknowledgements the service sent meanwhile.
   */
  playOutMonth(options: Omit<PlayOutOptions, 'acknowledged'>): PlayedOutTicket[];
  /** Drops held requests, answers still being delayed and pending sends; call when the server closes. */
  dispose(): void;
}
