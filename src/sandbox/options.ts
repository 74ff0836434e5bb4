import type { LeakyBucketOptions } from './leaky-bucket';
import type { SandboxFaults } from './faults';

export interface SandboxOptions {
  /** The credentials clients must send as HTTP Basic auth. */
  username: string;
  apiKey: string;
  /** The leaky bucket; `false` turns rate limiting off. */
  rateLimit?: LeakyBucketOptions | false;
  /** Faults active from the start, and again after a reset. */
  faults?: Partial<SandboxFaults>;
  /** Clock in epoch ms, for the bucket and the datetimes (tests pass a fake one). */
  now?: () => number;
  /** The id of the first ticket created (default 1001); ids only grow, also across reset(). */
  firstTicketId?: number;
  /** Source of randomness for faults, in [0, 1). */
  random?: () => number;
}

/** Gorgias's limit for API-key integrations: a burst of 40, refilled at 2 per second. */
export const DEFAULT_RATE_LIMIT: LeakyBucketOptions = { capacity: 40, drainPerSecond: 2 };
