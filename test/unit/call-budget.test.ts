import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '../../src/config';
import { CallBudget, type CallBudgetOptions } from '../../src/gorgias/call-budget';
import { GorgiasRequestError } from '../../src/gorgias/failures';

/**
 * A fake monotonic clock: `sleep` registers a timer, and time moves only when the test runs the timers
 * (each firing moves the clock to its time). No real time passes.
 */
interface FakeTimer {
  at: number;
  resolve: () => void;
  signal: AbortSignal;
}

class FakeClock {
  now = 0;
  private timers: FakeTimer[] = [];

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => this.timers.push({ at: this.now + ms, resolve, signal }));

  /** Fires the timers due up to `until` (all of them by default) in time order, letting callers run between. */
  async run(until = Infinity): Promise<void> {
    await settle();
    for (;;) {
      this.timers = this.timers.filter((t) => !t.signal.aborted);
      const next = this.timers.reduce<FakeTimer | undefined>(
        (earliest, t) => (!earliest || t.at < earliest.at ? t : earliest),
        undefined,
      );
      if (!next || next.at > until) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.now = Math.max(this.now, next.at);
      next.resolve();
      await settle();
    }
    if (until !== Infinity) this.now = Math.max(this.now, until);
    await settle();
  }

  /** Timers still waiting (given-up ones do not count). */
  get pending(): number {
    return this.timers.filter((t) => !t.signal.aborted).length;
  }
}

/** Lets resolved promises' callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

type BudgetOptions = Omit<CallBudgetOptions, 'maxWaitMs' | 'now' | 'sleep'> & { maxWaitMs?: number };

/** A budget on a fake clock; every call's start time is recorded. */
function fakeBudget(options: BudgetOptions) {
  const clock = new FakeClock();
  const budget = new CallBudget({ maxWaitMs: 600_000, ...options, now: () => clock.now, sleep: clock.sleep });
  const starts: number[] = [];
  const call = async (acquire: Parameters<CallBudget['acquire']>[0] = {}) => {
    await budget.acquire(acquire);
    starts.push(clock.now);
  };
  /** Starts `n` calls at once, runs the clock until they are all through, and returns their start times. */
  const burst = async (n: number) => {
    const done = Promise.all(Array.from({ length: n }, () => call()));
    await clock.run();
    await done;
    return starts;
  };
  return { budget, clock, starts, call, burst };
}

const API_KEY = { capacity: 40, windowSeconds: 20 };

describe('pacing Gorgias calls with a model of its leaky bucket', () => {
  it('uses the whole burst at once, then drains at capacity / window (40 per 20 s: one call every 500 ms)', async () => {
    const { burst } = fakeBudget({ ...API_KEY, headroomPerWorker: 0 });
    const starts = await burst(50);
    expect(starts.slice(0, 40).every((t) => t === 0)).toBe(true);
    expect(starts.slice(40, 44)).toEqual([500, 1000, 1500, 2000]);
    expect(starts.at(-1)).toBe(5000);
  });

  it('drains 180 calls in the theoretical minimum: (180 - 40) / 2 = 70 s', async () => {
    const { burst } = fakeBudget({ ...API_KEY, headroomPerWorker: 0 });
    expect((await burst(180)).at(-1)).toBe(70_000);
  });

  it('drains faster in a shorter window (40 per 10 s: one call every 250 ms)', async () => {
    const { budget, burst } = fakeBudget({ capacity: 40, windowSeconds: 10, headroomPerWorker: 0 });
    expect(budget.drainPerSecond).toBe(4);
    expect((await burst(44)).slice(40)).toEqual([250, 500, 750, 1000]);
  });

  it('learns an OAuth app’s 80 calls from the header and keeps the window: 4 calls a second', async () => {
    const { budget, burst } = fakeBudget({ ...API_KEY, headroomPerWorker: 0 });
    budget.observe(200, '0/80', undefined);
    expect(budget.drainPerSecond).toBe(4);
    const starts = await burst(84);
    expect(starts.filter((t) => t === 0)).toHaveLength(80);
    expect(starts.slice(80)).toEqual([250, 500, 750, 1000]);
  });

  it('keeps a headroom of 4 (a tenth of the bucket, at most 4) free for calls it cannot see', async () => {
    const { budget, burst } = fakeBudget(API_KEY);
    expect(budget.headroom).toBe(4);
    expect((await burst(37)).filter((t) => t === 0)).toHaveLength(36);
  });

  it('keeps headroom for every worker sharing the account', async () => {
    const { budget, burst } = fakeBudget({ ...API_KEY, workersSharingAccount: 3 });
    expect(budget.headroom).toBe(12);
    const starts = await burst(30);
    expect(starts.filter((t) => t === 0)).toHaveLength(28);
    expect(starts.slice(28)).toEqual([500, 1000]);
  });

  it('never lets the headroom take the whole bucket, however many workers', () => {
    const { budget } = fakeBudget({ ...API_KEY, workersSharingAccount: 50 });
    expect(budget.headroom).toBe(39);
  });

  it.each(['1/1', '2/2', '3/4'])(
    'still lets calls through at the drain rate when Gorgias reports a limit at or below the headroom (%s)',
    async (header) => {
      const { budget, burst } = fakeBudget({ ...API_KEY, headroomPerWorker: 4 });
      const [used, limit] = header.split('/').map(Number) as [number, number];
      budget.observe(200, header, undefined);
      expect(budget.capacity).toBe(limit);
      expect(budget.headroom).toBe(limit - 1);
      // One slot is always usable; the bucket drains `limit` calls per 20 s.
      const gap = 20_000 / limit;
      const firstAt = ((used + 1 - 1) * 20_000) / limit;
      const starts = await burst(3);
      expect(starts).toEqual([firstAt, firstAt + gap, firstAt + 2 * gap]);
    },
  );

  it("follows the account's usage that Gorgias reports, so it sees other workers' calls", async () => {
    const { budget, burst } = fakeBudget({ ...API_KEY, headroomPerWorker: 0 });
    budget.observe(200, '39/40', undefined);
    expect(await burst(2)).toEqual([0, 500]);
  });

  it('after a 429 it waits for the Retry-After Gorgias sent', async () => {
    const { budget, burst } = fakeBudget(API_KEY);
    budget.observe(429, '40/40', 6000);
    const [first] = await burst(1);
    expect(first).toBeGreaterThanOrEqual(6000);
  });

  it('a 429 while callers wait pushes their turns back', async () => {
    const { budget, clock, starts, call } = fakeBudget({ ...API_KEY, headroomPerWorker: 0 });
    budget.observe(200, '40/40', undefined);
    const done = Promise.all([call(), call()]);
    await clock.run(100);
    budget.observe(429, '40/40', 3000);
    await clock.run();
    await done;
    // Both wait for the pause; by then the bucket has drained 6 calls' worth, so both go.
    expect(starts).toEqual([3100, 3100]);
  });

  describe('bounded waits', () => {
    it('fails at once, rate-limited, when the wait would be longer than the budget allows', async () => {
      const { budget, clock } = fakeBudget({ ...API_KEY, maxWaitMs: 5000 });
      budget.observe(429, '40/40', 30_000);
      const error = await budget.acquire().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(GorgiasRequestError);
      expect(error).toMatchObject({ kind: 'rate-limited', retryAfterMs: 30_000 });
      expect(clock.now).toBe(0);
    });

    it('bounds the whole wait in the queue by the caller’s maxWaitMs, taking no slot', async () => {
      const { budget, clock, starts, call } = fakeBudget({ ...API_KEY, headroomPerWorker: 0 });
      budget.observe(200, '40/40', undefined);
      // Slots come every 500 ms: the first three callers get theirs at 500, 1000 and 1500 ms.
      const queued = [call(), call(), call()];
      // The fourth would get its slot at 2000 ms: past its 1200 ms.
      const late = call({ maxWaitMs: 1200 }).catch((err: unknown) => err);
      const error = await late;
      expect(error).toMatchObject({ kind: 'rate-limited', retryAfterMs: 2000 });
      expect(clock.now).toBe(0);
      // It took no slot: the next caller gets the fourth.
      queued.push(call());
      await clock.run();
      await Promise.all(queued);
      expect(starts).toEqual([500, 1000, 1500, 2000]);
    });

    it('a caller with no time left gets a free slot, or fails at once', async () => {
      const { budget } = fakeBudget({ capacity: 2, windowSeconds: 20, headroomPerWorker: 0 });
      await expect(budget.acquire({ maxWaitMs: -200 })).resolves.toBeUndefined();
      await expect(budget.acquire({ maxWaitMs: 0 })).resolves.toBeUndefined();
      await expect(budget.acquire({ maxWaitMs: -200 })).rejects.toMatchObject({
        kind: 'rate-limited',
        retryAfterMs: 10_000,
      });
    });

    it('lets a caller that can wait long enough wait', async () => {
      const { budget, clock, starts, call } = fakeBudget({ ...API_KEY, headroomPerWorker: 0 });
      budget.observe(200, '40/40', undefined);
      const done = Promise.all([call({ maxWaitMs: 500 }), call({ maxWaitMs: 1000 })]);
      await clock.run();
      await done;
      expect(starts).toEqual([500, 1000]);
    });

    it('turns away a waiting caller as soon as Gorgias’s answer shows its turn comes too late', async () => {
      const { budget, clock, starts, call } = fakeBudget({ ...API_KEY, headroomPerWorker: 0 });
      budget.observe(200, '40/40', undefined);
      const first = call({ maxWaitMs: 5000 });
      // Its turn is at 1000 ms, within its 2000 ms, until another worker's call gets a 429 with a 4.5 s pause.
      const second = call({ maxWaitMs: 2000 }).catch((err: unknown) => err);
      await clock.run(200);
      budget.observe(429, '40/40', 4500);
      expect(await second).toMatchObject({ kind: 'rate-limited', retryAfterMs: 4500 });
      expect(clock.now).toBe(200);
      await clock.run();
      await first;
      expect(starts).toEqual([4700]);
    });
  });

  describe('cancellation', () => {
    it('an aborted signal rejects at once with a retryable "cancelled" error and takes no slot', async () => {
      const { budget } = fakeBudget({ capacity: 1, windowSeconds: 20 });
      const controller = new AbortController();
      controller.abort();
      const error = await budget.acquire({ signal: controller.signal }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(GorgiasRequestError);
      expect(error).toMatchObject({ kind: 'retryable', message: expect.stringMatching(/cancelled/) });
      await expect(budget.acquire()).resolves.toBeUndefined();
    });

    it('aborting while waiting rejects at once and hands the place in the queue to the callers behind', async () => {
      const { budget, clock, starts, call } = fakeBudget({ ...API_KEY, headroomPerWorker: 0 });
      budget.observe(200, '40/40', undefined);
      const controller = new AbortController();
      const first = call({ signal: controller.signal }).catch((err: unknown) => err);
      const behind = [call(), call()];
      await clock.run(200);
      controller.abort();
      const error = await first;
      expect(error).toMatchObject({ kind: 'retryable', message: expect.stringMatching(/cancelled/) });
      expect(clock.now).toBe(200);
      await clock.run();
      await Promise.all(behind);
      // The callers behind get the first two turns (500 and 1000 ms), not the second and third.
      expect(starts).toEqual([500, 1000]);
      expect(clock.pending).toBe(0);
    });

    it('aborting after the slot was given changes nothing', async () => {
      const { budget } = fakeBudget(API_KEY);
      const controller = new AbortController();
      await budget.acquire({ signal: controller.signal });
      expect(() => controller.abort()).not.toThrow();
    });
  });

  it('acquire() without options still works (the client may call it so)', async () => {
    const { budget } = fakeBudget(API_KEY);
    await expect(budget.acquire()).resolves.toBeUndefined();
  });
});

describe("a report's share of the account's limit", () => {
  it('takes its share of the burst at once, then its share of the drain rate (a quarter: 10, then one per 2 s)', async () => {
    const { burst } = fakeBudget({ ...API_KEY, share: 0.25 });
    const starts = await burst(14);
    expect(starts.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 0));
    expect(starts.slice(10)).toEqual([2000, 4000, 6000, 8000]);
  });

  it('leaves the rest of the bucket to the service: it waits while Gorgias reports the account fuller than its share', async () => {
    const { budget, clock, starts, call } = fakeBudget({ ...API_KEY, share: 0.25 });
    budget.observe(200, '30/40', undefined);
    const done = call();
    await clock.run();
    await done;
    // 30 in the bucket, drained at 2 a second to 9 (its share, 10, less the call itself): 10.5 s.
    expect(starts).toEqual([10_500]);
  });

  it('refuses a share that is not above 0 and at most 1', () => {
    for (const share of [0, -0.1, 1.5, Number.NaN]) {
      expect(() => new CallBudget({ ...API_KEY, maxWaitMs: 1000, share })).toThrow(/share/);
    }
  });
});

describe('the clock it runs on', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('is monotonic by default: a backward step of the wall clock has no effect', async () => {
    let wall = Date.parse('2025-03-30T02:00:00Z');
    jest.spyOn(Date, 'now').mockImplementation(() => wall);
    const sleeps: number[] = [];
    const budget = new CallBudget({
      ...API_KEY,
      maxWaitMs: 5000,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    for (let i = 0; i < 10; i += 1) await budget.acquire();
    wall -= 3_600_000;
    budget.observe(200, '10/40', undefined);
    for (let i = 0; i < 10; i += 1) await budget.acquire();
    // Under the wall clock, the step would have "filled" the bucket for an hour: every call would fail.
    expect(sleeps).toEqual([]);
  });

  it('a step back of an injected clock does not fill the bucket either', async () => {
    let now = 10_000;
    const budget = new CallBudget({ ...API_KEY, maxWaitMs: 5000, now: () => now });
    await budget.acquire();
    now -= 5000;
    await expect(budget.acquire()).resolves.toBeUndefined();
  });
});

describe('the call budget’s configuration', () => {
  const credentials = {
    GORGIAS_BASE_URL: 'https://acme.gorgias.com',
    GORGIAS_USERNAME: 'bot@acme.com',
    GORGIAS_API_KEY: 'super-secret-api-key',
  };

  it('defaults to 40 calls per 20 s and one worker', () => {
    expect(loadConfig(credentials, ['gorgias']).gorgias).toMatchObject({
      GORGIAS_RATE_LIMIT_BURST: 40,
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: 20,
      GORGIAS_WORKERS_SHARING_ACCOUNT: 1,
    });
  });

  it('takes a window and a burst (40 per 10 s)', () => {
    const { gorgias } = loadConfig(
      { ...credentials, GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '10', GORGIAS_RATE_LIMIT_BURST: '40' },
      ['gorgias'],
    );
    expect(gorgias.GORGIAS_RATE_LIMIT_WINDOW_SECONDS).toBe(10);
  });

  it('still reads the old GORGIAS_RATE_LIMIT_PER_SECOND when no window is set: window = burst / rate', () => {
    const old = loadConfig({ ...credentials, GORGIAS_RATE_LIMIT_PER_SECOND: '4' }, ['gorgias']).gorgias;
    expect(old.GORGIAS_RATE_LIMIT_WINDOW_SECONDS).toBe(10);
    expect(old).not.toHaveProperty('GORGIAS_RATE_LIMIT_PER_SECOND');
    const both = loadConfig(
      { ...credentials, GORGIAS_RATE_LIMIT_PER_SECOND: '4', GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '20' },
      ['gorgias'],
    ).gorgias;
    expect(both.GORGIAS_RATE_LIMIT_WINDOW_SECONDS).toBe(20);
  });

  it('rejects a window or worker count that is not positive, naming the variable', () => {
    expect(() => loadConfig({ ...credentials, GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '0' }, ['gorgias'])).toThrow(
      /GORGIAS_RATE_LIMIT_WINDOW_SECONDS/,
    );
    expect(() => loadConfig({ ...credentials, GORGIAS_WORKERS_SHARING_ACCOUNT: '0' }, ['gorgias'])).toThrow(
      /GORGIAS_WORKERS_SHARING_ACCOUNT/,
    );
  });
});
