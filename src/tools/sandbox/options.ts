import type { LeakyBucketOptions } from './leaky-bucket';
import type { SandboxFaults } from './faults';
import type { EmailIntegrationSetting } from './integrations';
import type { RuleSetting } from './rules';
import type { ReplayFixtures } from './replay';

export interface SandboxOptions {
  /** The credentials clients must send as HTTP Basic auth. */
  username: string;
  apiKey: string;
  /** The leaky bucket (e.g. one of `RATE_LIMITS`; default an API key's); `false` turns rate limiting off. */
  rateLimit?: LeakyBucketOptions | false;
  /** Faults active from the start, and again after a reset. */
  faults?: Partial<SandboxFaults>;
  /** Clock in epoch ms, for the bucket and the datetimes (tests pass a fake one). */
  now?: () => number;
  /** The id of the first ticket created (default 1001); ids only grow, also across reset(). */
  firstTicketId?: number;
  /** Source of randomness for faults, in [0, 1). */
  random?: () => number;
  /** A merchant's Rule leaves an internal note on every ticket a customer opens (default true). */
  ruleNote?: boolean;
  /** The account's email integrations (default `DEFAULT_EMAIL_INTEGRATIONS`: support@shop.example.com). */
  emailIntegrations?: EmailIntegrationSetting[];
  /** How long after its creation an outgoing message is sent (default 300 ms); again after a reset. */
  sendDelayMs?: number;
  /** Recipients (`source.to`, case-insensitive) whose messages fail to send; again after a reset. */
  failSendsTo?: string[];
  /** The account's Rules (`GET /api/rules`; default: the triage Rule behind `ruleNote`); again after a reset. */
  rules?: RuleSetting[];
  /** The account's `domain` (`GET /api/account`; default `shop-example`). */
  accountDomain?: string;
  /**
   * Replay mode: the calls the service makes on a ticket are answered with these real-shaped fixtures as they
   * are (any ticket id, one integration) instead of the sandbox's own objects (replay.ts).
   */
  replay?: ReplayFixtures;
}

/**
 * Gorgias's limits by kind of access (docs/gorgias.md, "Rate limits"): calls per window, drained in one
 * window.
 */
export const RATE_LIMITS = {
  apiKey: { capacity: 40, windowSeconds: 20 },
  oauth: { capacity: 80, windowSeconds: 20 },
  /** Some plans (Gorgias names Enterprise): an API key's count over 10 s. */
  tenSecondWindow: { capacity: 40, windowSeconds: 10 },
} satisfies Record<string, LeakyBucketOptions>;

/** An API key's limit, 40 per 20 s, said per second for the benchmark's arithmetic. */
export const DEFAULT_RATE_LIMIT: { capacity: number; drainPerSecond: number } = {
  capacity: RATE_LIMITS.apiKey.capacity,
  drainPerSecond: RATE_LIMITS.apiKey.capacity / RATE_LIMITS.apiKey.windowSeconds,
};
