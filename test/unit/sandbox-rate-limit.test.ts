import { describe, expect, it } from '@jest/globals';
import axios from 'axios';
import { GorgiasRequestError } from '../../src/gorgias/failures';
import { RATE_LIMITS } from '../../src/tools/sandbox';
import { LeakyBucket } from '../../src/tools/sandbox/leaky-bucket';
import { clientFor, rawFor, withSandbox } from '../support/sandbox-api';

/** The sandbox's rate limit: the leaky bucket, and its answers over HTTP. */

describe('leaky bucket', () => {
  function bucketAt(start = 0) {
    const clock = { now: start };
    const bucket = new LeakyBucket({ capacity: 40, drainPerSecond: 2 }, () => clock.now);
    return { clock, bucket };
  }

  it('admits a burst of 40, refuses the 41st with 40/40 and a one-second Retry-After', () => {
    const { bucket } = bucketAt();
    for (let i = 1; i <= 40; i++) {
      const admission = bucket.tryAdmit();
      expect(admission).toMatchObject({ admitted: true, used: i, capacity: 40 });
    }
    expect(bucket.tryAdmit()).toEqual({ admitted: false, used: 40, capacity: 40, retryAfterSeconds: 1 });
  });

  it('admits again once enough has drained, and drains continuously', () => {
    const { clock, bucket } = bucketAt(1_000_000);
    for (let i = 0; i < 40; i++) bucket.tryAdmit();
    clock.now += 400; // 0.8 drained: still no room for a whole request
    expect(bucket.tryAdmit()).toMatchObject({ admitted: false, used: 40, retryAfterSeconds: 1 });
    clock.now += 100; // 1.0 drained
    expect(bucket.tryAdmit()).toMatchObject({ admitted: true, used: 40 });
    clock.now += 10_000; // 20 drained
    expect(bucket.peek()).toEqual({ used: 20, capacity: 40, retryAfterSeconds: 0 });
    clock.now += 60_000;
    expect(bucket.peek().used).toBe(0);
  });

  it('reports the Retry-After a slow drain needs, rounded up to whole seconds', () => {
    const clock = { now: 0 };
    const bucket = new LeakyBucket({ capacity: 2, drainPerSecond: 0.4 }, () => clock.now);
    bucket.tryAdmit();
    bucket.tryAdmit();
    expect(bucket.tryAdmit()).toMatchObject({ admitted: false, retryAfterSeconds: 3 }); // 1 / 0.4 = 2.5 s
  });

  it('reads used as a whole number rounded up while partly drained', () => {
    const { clock, bucket } = bucketAt();
    for (let i = 0; i < 10; i++) bucket.tryAdmit();
    clock.now += 250; // 0.5 drained: 9.5 in the bucket
    expect(bucket.peek().used).toBe(10);
  });

  it('drains a whole window-sized bucket in one window: 40 per 10 s frees a slot every 250 ms', () => {
    const clock = { now: 0 };
    const bucket = new LeakyBucket(RATE_LIMITS.tenSecondWindow, () => clock.now);
    for (let i = 0; i < 40; i++) bucket.tryAdmit();
    expect(bucket.tryAdmit()).toMatchObject({ admitted: false, capacity: 40 });
    clock.now += 250;
    expect(bucket.tryAdmit()).toMatchObject({ admitted: true, used: 40 });
    clock.now += 10_000;
    expect(bucket.peek().used).toBe(0);
  });
});

describe('sandbox rate limit over HTTP', () => {
  it('refuses the 41st request of a burst with 429, Retry-After and 40/40, then admits after draining', async () => {
    const clock = { now: 1_000_000 };
    await withSandbox({ now: () => clock.now }, async (sandbox) => {
      const raw = rawFor(sandbox);
      for (let i = 1; i <= 40; i++) {
        const answer = await raw.get('/api/tickets');
        expect(answer.status).toBe(200);
        expect(answer.headers['x-gorgias-account-api-call-limit']).toBe(`${i}/40`);
      }
      const refused = await raw.get('/api/tickets');
      expect(refused.status).toBe(429);
      expect(refused.data).toEqual({ error: { msg: 'Too many requests, retry later.' } });
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['x-gorgias-account-api-call-limit']).toBe('40/40');

      // The service's client turns it into a rate-limited failure with the delay.
      const failure = await clientFor(sandbox)
        .getTicket(1001)
        .catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(GorgiasRequestError);
      expect(failure).toMatchObject({ kind: 'rate-limited', status: 429, retryAfterMs: 1000 });

      clock.now += 500;
      const admitted = await raw.get('/api/tickets');
      expect(admitted.status).toBe(200);
      expect(sandbox.stats()).toMatchObject({ rateLimited: 2, byStatus: { '200': 41, '429': 2 } });
    });
  });

  it("shows an OAuth app's capacity of 80 per 20 s in the header", async () => {
    const clock = { now: 0 };
    await withSandbox({ now: () => clock.now, rateLimit: RATE_LIMITS.oauth }, async (sandbox) => {
      const raw = rawFor(sandbox);
      for (let i = 1; i <= 80; i++) {
        expect((await raw.get('/api/tickets')).headers['x-gorgias-account-api-call-limit']).toBe(`${i}/80`);
      }
      const refused = await raw.get('/api/tickets');
      expect(refused.status).toBe(429);
      expect(refused.headers['x-gorgias-account-api-call-limit']).toBe('80/80');
      clock.now += 250; // 4 per second drain
      expect((await raw.get('/api/tickets')).status).toBe(200);
    });
  });

  it('with a tiny bucket, answers 429 until a slot drains, and does not count unauthenticated requests', async () => {
    const clock = { now: 0 };
    await withSandbox(
      { now: () => clock.now, rateLimit: { capacity: 2, drainPerSecond: 0.5 } },
      async (sandbox) => {
        const raw = rawFor(sandbox);
        const anonymous = await axios.get(`${sandbox.url}/api/tickets`, { validateStatus: () => true });
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers['x-gorgias-account-api-call-limit']).toBe('0/2');
        expect(anonymous.headers['retry-after']).toBe('0');

        expect((await raw.get('/api/tickets')).headers['retry-after']).toBe('0');
        expect((await raw.get('/api/tickets')).headers['retry-after']).toBe('2');
        const refused = await raw.get('/api/tickets');
        expect(refused.status).toBe(429);
        expect(refused.headers['retry-after']).toBe('2');

        clock.now += 1000; // half a slot
        expect((await raw.get('/api/tickets')).status).toBe(429);
        clock.now += 1000;
        expect((await raw.get('/api/tickets')).status).toBe(200);
      },
    );
  });

  it('does not limit anything when turned off', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const raw = rawFor(sandbox);
      const answers = await Promise.all(Array.from({ length: 60 }, () => raw.get('/api/tickets')));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(answers[0]?.headers['x-gorgias-account-api-call-limit']).toBeUndefined();
    });
  });
});
