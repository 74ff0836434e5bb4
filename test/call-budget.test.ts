import { describe, expect, it } from '@jest/globals';
import { CallBudget } from '../src/gorgias/call-budget';
import { GorgiasRequestError } from '../src/gorgias/failures';

/** A budget on a fake clock: sleeping advances time, and every call's start time is recorded. */
function fakeBudget(options: {
  capacity: number;
  drainPerSecond: number;
  headroom?: number;
  maxWaitMs?: number;
}) {
  let now = 0;
  const budget = new CallBudget({
    maxWaitMs: 60_000,
    ...options,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  const starts: number[] = [];
  const call = async () => {
    await budget.acquire();
    starts.push(now);
  };
  return { budget, starts, call, advance: (ms: number) => (now += ms) };
}

describe('pacing Gorgias calls with a model of its leaky bucket', () => {
  it('uses the whole burst at once, then the drain rate', async () => {
    const { starts, call } = fakeBudget({ capacity: 40, drainPerSecond: 2 });
    await Promise.all(Array.from({ length: 50 }, call));
    expect(starts.slice(0, 40).every((t) => t === 0)).toBe(true);
    // The 41st call waits for half a second of draining, then one every 500 ms.
    expect(starts.slice(40, 44)).toEqual([500, 1000, 1500, 2000]);
    expect(starts.at(-1)).toBe(5000);
  });

  it('drains 180 calls in the theoretical minimum: (180 - 40) / 2 = 70 s', async () => {
    const { starts, call } = fakeBudget({ capacity: 40, drainPerSecond: 2 });
    await Promise.all(Array.from({ length: 180 }, call));
    expect(starts.at(-1)).toBe(70_000);
  });

  it('keeps headroom free for calls it cannot see', async () => {
    const { starts, call } = fakeBudget({ capacity: 40, drainPerSecond: 2, headroom: 4 });
    await Promise.all(Array.from({ length: 37 }, call));
    expect(starts.filter((t) => t === 0)).toHaveLength(36);
  });

  it("follows the account's usage that Gorgias reports, so it sees other workers' calls", async () => {
    const { budget, starts, call } = fakeBudget({ capacity: 40, drainPerSecond: 2 });
    budget.observe(200, '39/40', undefined);
    await call();
    await call();
    expect(starts).toEqual([0, 500]);
  });

  it('learns the account limit from the header (80 for OAuth apps)', async () => {
    const { budget, starts, call } = fakeBudget({ capacity: 40, drainPerSecond: 2 });
    budget.observe(200, '1/80', undefined);
    await Promise.all(Array.from({ length: 79 }, call));
    expect(starts.every((t) => t === 0)).toBe(true);
  });

  it('after a 429 it waits for the Retry-After Gorgias sent', async () => {
    const { budget, starts, call } = fakeBudget({ capacity: 40, drainPerSecond: 2 });
    budget.observe(429, '40/40', 6000);
    await call();
    expect(starts[0]).toBeGreaterThanOrEqual(6000);
  });

  it('fails at once, rate-limited, when the wait would be longer than allowed', async () => {
    const { budget } = fakeBudget({ capacity: 40, drainPerSecond: 2, maxWaitMs: 5000 });
    budget.observe(429, '40/40', 30_000);
    const error = await budget.acquire().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GorgiasRequestError);
    expect(error).toMatchObject({ kind: 'rate-limited', retryAfterMs: 30_000 });
  });
});
