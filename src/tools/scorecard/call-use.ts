import type { GorgiasCall } from '../../gorgias/client';
import { readableDuration } from '../backtest/summary';

/**
 * The Gorgias calls a report made, next to the budget it was given, for the report to show: a report must not
 * take the acknowledgements' share of the account's rate limit.
 */

export interface CallBudgetGiven {
  /** The share of the account's limit the report may use. */
  share: number;
  /** The account's limit: `capacity` calls, drained in `windowSeconds`. */
  capacity: number;
  windowSeconds: number;
}

export interface CallUse {
  calls: number;
  /** Calls Gorgias refused (429): none, when the budget held. */
  rateLimited: number;
  byRoute: Record<string, number>;
  seconds: number;
  budget: CallBudgetGiven;
  /** What the budget allows in `seconds`: its share of the burst, then its share of the drain rate. */
  allowed: number;
}

export class CallMeter {
  private readonly started: number;
  private calls = 0;
  private rateLimited = 0;
  private readonly byRoute: Record<string, number> = {};

  constructor(
    readonly budget: CallBudgetGiven,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  /** The GorgiasClient's `onCall`. */
  readonly onCall = (call: GorgiasCall): void => {
    this.calls += 1;
    if (call.status === 429) this.rateLimited += 1;
    const route = `${call.method} ${call.route}`;
    this.byRoute[route] = (this.byRoute[route] ?? 0) + 1;
  };

  use(): CallUse {
    const seconds = (this.now() - this.started) / 1000;
    const { share, capacity, windowSeconds } = this.budget;
    const burst = Math.max(1, share * capacity);
    return {
      calls: this.calls,
      rateLimited: this.rateLimited,
      byRoute: { ...this.byRoute },
      seconds,
      budget: this.budget,
      allowed: Math.floor(burst + seconds * ((share * capacity) / windowSeconds)),
    };
  }
}

/** "212 Gorgias calls in 3.5 min (1.0 a second), none refused; budget: 20 % of 40 calls per 20 s ...". */
export function callUseSentence(use: CallUse): string {
  const { share, capacity, windowSeconds } = use.budget;
  const perSecond = use.seconds > 0 ? use.calls / use.seconds : 0;
  const rate = (share * capacity) / windowSeconds;
  return (
    `${use.calls} Gorgias calls in ${readableDuration(use.seconds)} (${perSecond.toFixed(1)} a second), ` +
    `${use.rateLimited === 0 ? 'none refused' : `${use.rateLimited} refused (429)`}; its budget: ` +
    `${Math.round(share * 100)} % of the account's ${capacity} calls per ${windowSeconds} s ` +
    `(${Math.max(1, Math.floor(share * capacity))} at once, then ${rate.toFixed(2)} a second: at most ${use.allowed} in that time).`
  );
}
