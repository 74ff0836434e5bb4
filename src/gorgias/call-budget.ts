import { GorgiasRequestError } from './failures';

export interface CallBudgetOptions {
  /** Gorgias's bucket: 40 calls for API-key integrations (80 for OAuth apps). */
  capacity: number;
  /** How fast the bucket drains: 2 calls per second for API-key integrations. */
  drainPerSecond: number;
  /** Slots left free for calls this process cannot see yet (other workers, other integrations). */
  headroom?: number;
  /** A call that would wait longer than this fails at once, rate-limited, with the wait as its delay. */
  maxWaitMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A model of Gorgias's leaky bucket for one process: calls go out at once while the account has room (the
 * 40-call burst), then at the drain rate. Gorgias reports the account's usage on every answer
 * (`X-Gorgias-Account-Api-Call-Limit: used/limit`); the model takes the larger of that and its own count,
 * so every worker sees the calls of the others within one answer, and a 429 empties it until `Retry-After`.
 */
export class CallBudget {
  private level = 0;
  private at: number;
  private pausedUntil = 0;
  private capacity: number;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: CallBudgetOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.capacity = options.capacity;
    this.at = this.now();
  }

  /** Waits for a slot, first come first served, and counts the call. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.takeSlot());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** What Gorgias said about the account after a call. */
  observe(status: number, callLimitHeader: unknown, retryAfterMs: number | undefined): void {
    this.drain();
    const match =
      typeof callLimitHeader === 'string' ? /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(callLimitHeader) : null;
    if (match) {
      this.capacity = Number(match[2]);
      this.level = Math.max(this.level, Number(match[1]));
    }
    if (status === 429) {
      this.level = Math.max(this.level, this.capacity);
      if (retryAfterMs !== undefined)
        this.pausedUntil = Math.max(this.pausedUntil, this.now() + retryAfterMs);
    }
  }

  private drain(): void {
    const now = this.now();
    this.level = Math.max(0, this.level - ((now - this.at) / 1000) * this.options.drainPerSecond);
    this.at = now;
  }

  private async takeSlot(): Promise<void> {
    for (;;) {
      this.drain();
      const room = this.capacity - (this.options.headroom ?? 0);
      const untilRoom = ((this.level + 1 - room) / this.options.drainPerSecond) * 1000;
      const wait = Math.max(this.pausedUntil - this.now(), untilRoom, 0);
      if (wait === 0) {
        this.level += 1;
        return;
      }
      if (wait > this.options.maxWaitMs) {
        throw new GorgiasRequestError(
          'rate-limited',
          `Gorgias call budget exhausted for ${Math.ceil(wait)} ms`,
          undefined,
          Math.ceil(wait),
        );
      }
      await this.sleep(wait);
    }
  }
}
