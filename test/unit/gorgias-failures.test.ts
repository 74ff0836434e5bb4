import { describe, expect, it } from '@jest/globals';
import { toActivityFailure } from '../../src/activities/gorgias-call';
import { GorgiasClient } from '../../src/gorgias/client';
import { GorgiasRequestError } from '../../src/gorgias/failures';
import { startSandbox } from '../../src/tools/sandbox';

/** Gorgias's HTTP failures, classified once by the client and turned into the activity failures Temporal retries. */

describe('classifying Gorgias failures', () => {
  it('a 429 becomes a retryable failure that waits for the Retry-After Gorgias sent', async () => {
    const sandbox = await startSandbox({
      username: 'u',
      apiKey: 'k',
      rateLimit: { capacity: 1, drainPerSecond: 0.25 },
    });
    try {
      const client = new GorgiasClient({ baseUrl: sandbox.url, username: 'u', apiKey: 'k', timeoutMs: 2000 });
      await expect(client.getTicket(1)).rejects.toMatchObject({ kind: 'permanent', status: 404 });
      const limited = await client.getTicket(1).catch((err: unknown) => err);
      expect(limited).toBeInstanceOf(GorgiasRequestError);
      expect(limited).toMatchObject({ kind: 'rate-limited', status: 429 });
      const waitMs = (limited as GorgiasRequestError).retryAfterMs;
      expect(waitMs).toBeGreaterThanOrEqual(1000);
      expect(waitMs).toBeLessThanOrEqual(4000);

      const failure = toActivityFailure(limited as GorgiasRequestError);
      expect(failure).toMatchObject({
        type: 'GorgiasRateLimited',
        nonRetryable: false,
        nextRetryDelay: waitMs,
      });
    } finally {
      await sandbox.close();
    }
  });

  it.each([
    [500, 'GorgiasUnavailable', false, undefined],
    [502, 'GorgiasUnavailable', false, undefined],
    [408, 'GorgiasUnavailable', false, undefined],
    [400, 'GorgiasRejected', true, undefined],
    [401, 'GorgiasAuth', true, undefined],
    [403, 'GorgiasAuth', true, undefined],
    // A ticket deleted or merged away: benign, so the worker logs no warning for it (an outcome, not a fault).
    [404, 'GorgiasNotFound', true, 'BENIGN'],
  ])('HTTP %i becomes %s (non-retryable: %s, category: %s)', (status, type, nonRetryable, category) => {
    const failure = toActivityFailure(
      new GorgiasRequestError(status >= 500 || status === 408 ? 'retryable' : 'permanent', 'x', status),
    );
    expect(failure).toMatchObject({ type, nonRetryable });
    expect(failure.category).toBe(category);
  });

  it('a connection error is retryable and its message carries no credentials', async () => {
    const client = new GorgiasClient({
      baseUrl: 'http://127.0.0.1:1',
      username: 'bot@x.com',
      apiKey: 'secret-key-123',
      timeoutMs: 1000,
    });
    const error = await client.getTicket(1).catch((err: unknown) => err);
    expect(error).toMatchObject({ kind: 'retryable' });
    expect(String((error as Error).message)).not.toContain('secret-key-123');
    expect(JSON.stringify(error)).not.toContain('secret-key-123');
  });
});
