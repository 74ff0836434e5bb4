import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { postOnce } from '../../src/activities/gorgias-call';
import { GorgiasRequestError } from '../../src/gorgias/failures';

/** postOnce on its own, in a mocked activity context: which attempts look first, and when. */

const WAIT_MS = 30_000;

function attempt(attempt: number, heartbeatDetails?: unknown) {
  return new MockActivityEnvironment({ attempt, heartbeatDetails, startToCloseTimeoutMs: 30_000 });
}

function fakeGorgias(existing: { id: number } | null, attemptIsCurrent = true) {
  const calls: string[] = [];
  return {
    calls,
    confirmAttempt: async () => {
      calls.push('confirm');
      if (!attemptIsCurrent) throw new Error('attempt timed out');
    },
    lookUp: async () => {
      calls.push('look');
      return existing;
    },
    post: async () => {
      calls.push('post');
      return { id: 7 };
    },
  };
}

const run = (
  env: MockActivityEnvironment,
  gorgias: ReturnType<typeof fakeGorgias>,
  earlierRunsBefore: number | null = null,
) =>
  env.run(() =>
    postOnce({
      what: 'reply',
      earlierRunsBefore,
      unknownOutcomeWaitMs: WAIT_MS,
      confirmAttempt: gorgias.confirmAttempt,
      lookUp: gorgias.lookUp,
      post: gorgias.post,
    }),
  );

describe('posting at most once', () => {
  it('the first attempt of the first run posts without looking (the happy path stays one call)', async () => {
    const gorgias = fakeGorgias(null);
    expect(await run(attempt(1), gorgias)).toEqual({ id: 7 });
    expect(gorgias.calls).toEqual(['confirm', 'post']);
  });

  it('an attempt Temporal no longer counts as running (a worker that was frozen) posts nothing', async () => {
    const gorgias = fakeGorgias(null, false);
    await expect(run(attempt(1), gorgias)).rejects.toThrow('attempt timed out');
    expect(gorgias.calls).toEqual(['confirm']);
  });

  it('a reset run looks first and does not post what is already there', async () => {
    const gorgias = fakeGorgias({ id: 3 });
    expect(await run(attempt(1), gorgias, Date.now() - WAIT_MS - 1_000)).toEqual({ id: 3 });
    expect(gorgias.calls).toEqual(['look']);
  });

  it("a reset run just after the reset waits for the earlier run's POST to land before it looks", async () => {
    // The earlier run's POST may have started just before the reset, its answer never to come: its message
    // can appear at Gorgias seconds later, so the new run's first attempt must not look (and post) at once.
    const gorgias = fakeGorgias(null);
    const error = await run(attempt(1), gorgias, Date.now() - 2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    const delay = Number((error as ApplicationFailure).nextRetryDelay);
    expect(delay).toBeGreaterThan(WAIT_MS - 3_000);
    expect(delay).toBeLessThanOrEqual(WAIT_MS - 2_000);
    expect(gorgias.calls).toEqual([]);
  });

  it('a retry in a reset run waits for the later of its own POST and the earlier run', async () => {
    const gorgias = fakeGorgias(null);
    const error = await run(
      attempt(2, { postStartedAt: Date.now() - 20_000 }),
      gorgias,
      Date.now() - 10_000,
    ).catch((e: unknown) => e);
    const delay = Number((error as ApplicationFailure).nextRetryDelay);
    expect(delay).toBeGreaterThan(WAIT_MS - 11_000);
    expect(delay).toBeLessThanOrEqual(WAIT_MS - 10_000);
    expect(gorgias.calls).toEqual([]);
  });

  it('a retry looks first, then posts only when nothing was posted', async () => {
    const gorgias = fakeGorgias(null);
    expect(await run(attempt(2), gorgias)).toEqual({ id: 7 });
    expect(gorgias.calls).toEqual(['look', 'confirm', 'post']);
  });

  it('a retry soon after an earlier POST started waits (fails with the remaining delay) instead of looking', async () => {
    const gorgias = fakeGorgias(null);
    const error = await run(attempt(2, { postStartedAt: Date.now() - 5_000 }), gorgias).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    const delay = Number((error as ApplicationFailure).nextRetryDelay);
    expect(delay).toBeGreaterThan(WAIT_MS - 6_000);
    expect(delay).toBeLessThanOrEqual(WAIT_MS - 5_000);
    expect(gorgias.calls).toEqual([]);
  });

  it('a POST with no answer fails its attempt with the unknown-outcome wait as the retry delay', async () => {
    const error = await attempt(1)
      .run(() =>
        postOnce({
          what: 'reply',
          earlierRunsBefore: null,
          unknownOutcomeWaitMs: WAIT_MS,
          confirmAttempt: async () => undefined,
          lookUp: async () => null,
          post: async () => {
            throw new GorgiasRequestError('retryable', 'POST failed: ECONNRESET', undefined, undefined, {
              outcomeUnknown: true,
            });
          },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'GorgiasUnavailable', nonRetryable: false });
    expect(Number((error as ApplicationFailure).nextRetryDelay)).toBe(WAIT_MS);
  });
});
