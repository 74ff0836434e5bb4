/**
 * The Gorgias rate limit (docs/gorgias.md, "Rate limits"): a leaky bucket that drains continuously. Each
 * admitted request adds one unit; a request that would overflow the bucket is refused until enough has
 * drained. Gorgias states it as `capacity` calls per `windowSeconds` (the whole bucket drains in one window);
 * `drainPerSecond` is the same thing per second, kept for callers that say it that way.
 */
export type LeakyBucketOptions =
  { capacity: number; windowSeconds: number } | { capacity: number; drainPerSecond: number };

export interface BucketReading {
  /** Units in the bucket, rounded up, as Gorgias shows them in `X-Gorgias-Account-Api-Call-Limit`. */
  used: number;
  capacity: number;
  /** Whole seconds until one more request fits (0 when it fits now). */
  retryAfterSeconds: number;
}

export interface Admission extends BucketReading {
  admitted: boolean;
}

// Draining by fractions of a unit accumulates float noise; without rounding, 39.0000000001 would read as 40.
const PRECISION = 1e9;

export class LeakyBucket {
  private level = 0;
  private lastDrainAt: number;
  private readonly capacity: number;
  private readonly drainPerSecond: number;

  constructor(
    options: LeakyBucketOptions,
    private readonly now: () => number,
  ) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new Error('rate limit capacity must be a positive integer');
    }
    this.capacity = options.capacity;
    this.drainPerSecond =
      'windowSeconds' in options ? options.capacity / options.windowSeconds : options.drainPerSecond;
    if (!(this.drainPerSecond > 0) || !Number.isFinite(this.drainPerSecond)) {
      throw new Error('rate limit windowSeconds (or drainPerSecond) must be positive');
    }
    this.lastDrainAt = now();
  }

  /** Adds one request if it fits. */
  tryAdmit(): Admission {
    this.drain();
    const admitted = this.level + 1 <= this.capacity;
    if (admitted) this.level += 1;
    return { admitted, ...this.reading() };
  }

  /** The current state, without adding anything (for answers to unauthenticated requests). */
  peek(): BucketReading {
    this.drain();
    return this.reading();
  }

  reset(): void {
    this.level = 0;
    this.lastDrainAt = this.now();
  }

  private drain(): void {
    const at = this.now();
    // A clock that goes backwards (a test rewinding it) drains nothing rather than filling the bucket.
    const elapsedSeconds = Math.max(0, at - this.lastDrainAt) / 1000;
    this.lastDrainAt = at;
    const drained = this.level - elapsedSeconds * this.drainPerSecond;
    this.level = Math.max(0, Math.round(drained * PRECISION) / PRECISION);
  }

  private reading(): BucketReading {
    const { capacity, drainPerSecond } = this;
    const overflow = this.level + 1 - capacity;
    return {
      used: Math.ceil(this.level),
      capacity,
      retryAfterSeconds: overflow > 0 ? Math.ceil(overflow / drainPerSecond) : 0,
    };
  }
}
