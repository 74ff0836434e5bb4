import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { postOnce, type RunResetAt } from '../../src/activities/post-once';
import type { CallLimits } from '../../src/gorgias/client';
import { GorgiasRequestError } from '../../src/gorgias/failures';

/** postOnce on its own, in a mocked activity context: which attempts look first, and when. */

const WAIT_MS = 30_000;
/** The run MockActivityEnvironment's activities belong to. */
const RUN = '00000000-0000-0000-0000-000000000000';

function attempt(attempt: number, heartbeatDetails?: unknown) {
  return new MockActivityEnvironment({ attempt, heartbeatDetails, startToCloseTimeoutMs: 30_000 });
}

function fakeGorgias(existing: { id: number } | null, attemptIsCurrent = true) {
  const calls: string[] = [];
  return {
    calls,
    confirmAttempt: async () => {
      calls.push('confirm');
      // As confirmAttemptWith fails: the activity's own (retryable) failure, never a Gorgias error.
      if (!attemptIsCurrent) throw ApplicationFailure.retryable('attempt timed out', 'GorgiasUnavailable');
    },
    lookUp: async () => {
      calls.push('look');
      return existing;
    },
    // As GorgiasClient does: the call's beforeSend once it has its rate-limit slot, then the request.
    post: async (limits: CallLimits) => {
      await limits.beforeSend?.();
      calls.push('post');
      return { id: 7 };
    },
  };
}

const run = (
  env: MockActivityEnvironment,
  gorgias: ReturnType<typeof fakeGorgias>,
  earlierRunsBefore: number | null = null,
  /** null: an input recorded before inputs named their run. */
  scheduledInRun: string | null = RUN,
  /** The kill switch's answer. */
  hold: string | null = null,
  /** Asks Temporal when a reset made the run (absent: no such question). */
  runResetAt?: RunResetAt,
) =>
  env.run(() =>
    postOnce({
      what: 'reply',
      earlierRunsBefore,
      scheduledInRun: scheduledInRun ?? undefined,
      unknownOutcomeWaitMs: WAIT_MS,
      confirmAttempt: gorgias.confirmAttempt,
      runResetAt,
      lookUp: gorgias.lookUp,
      post: gorgias.post,
      hold: () => hold,
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
    const error = await run(attempt(1), gorgias).catch((e: unknown) => e);
    // Failed as itself, retryable: not turned into a permanent Gorgias error that would hand the ticket back.
    expect(error).toMatchObject({ message: 'attempt timed out', nonRetryable: false });
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
    // A wait by design: benign, so the worker logs no warning for it.
    expect((error as ApplicationFailure).category).toBe('BENIGN');
    expect(gorgias.calls).toEqual([]);
  });

  it("a reset run's later send (its note) is bounded by the reset, not by its scheduling: it looks at once", async () => {
    // Scheduled now, after the reply's wait; the reset made the run longer ago than the wait.
    const gorgias = fakeGorgias({ id: 3 });
    const resetAt = Date.now() - WAIT_MS - 1_000;
    const saying = (at: number | null) => () => Promise.resolve(at);
    expect(await run(attempt(1), gorgias, Date.now(), RUN, null, saying(resetAt))).toEqual({ id: 3 });
    expect(gorgias.calls).toEqual(['look']);
    // Temporal not saying when (an older server, no answer): the scheduling bounds it, as before.
    const unsaid = fakeGorgias({ id: 3 });
    await expect(run(attempt(1), unsaid, Date.now(), RUN, null, saying(null))).rejects.toBeInstanceOf(
      ApplicationFailure,
    );
    expect(unsaid.calls).toEqual([]);
  });

  it('the first run never asks Temporal when it was reset', async () => {
    const gorgias = fakeGorgias(null);
    let asked = 0;
    const posted = await run(attempt(1), gorgias, null, RUN, null, () => Promise.resolve((asked += 1)));
    expect(posted).toEqual({ id: 7 });
    expect(asked).toBe(0);
  });

  it.each<[string, string | null, number | null]>([
    ['scheduled by the run it replaced', 'the-replaced-run', null],
    ['scheduled by a reset run it replaced, a minute ago', 'the-replaced-run', Date.now() - 60_000],
    ['recorded before inputs named their run', null, null],
  ])(
    'a send a reset run inherits pending (%s) waits, then looks, although it comes as attempt 1',
    async (_, scheduledInRun, earlierRunsBefore) => {
      const gorgias = fakeGorgias({ id: 3 });
      const error = await run(attempt(1), gorgias, earlierRunsBefore, scheduledInRun).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(Number((error as ApplicationFailure).nextRetryDelay)).toBeGreaterThan(WAIT_MS - 1_000);
      expect(gorgias.calls).toEqual([]);
      // Its retry looks, and finds what the replaced run posted.
      expect(await run(attempt(2), gorgias, earlierRunsBefore, scheduledInRun)).toEqual({ id: 3 });
      expect(gorgias.calls).toEqual(['look']);
    },
  );

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
          scheduledInRun: RUN,
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

describe('the kill switch', () => {
  const KILL = 'sending is switched off (kill switch)';

  it("holds a first run's first attempt before it posts anything", async () => {
    const gorgias = fakeGorgias(null);
    expect(await run(attempt(1), gorgias, null, RUN, KILL)).toEqual({ held: KILL });
    expect(gorgias.calls).toEqual([]);
  });

  it('a retry whose earlier POST Gorgias had committed reports that reply, not "held"', async () => {
    const gorgias = fakeGorgias({ id: 3 });
    const retry = attempt(2, { postStartedAt: Date.now() - WAIT_MS - 1_000 });
    expect(await run(retry, gorgias, null, RUN, KILL)).toEqual({ id: 3 });
    expect(gorgias.calls).toEqual(['look']);
  });

  it('a send a reset run inherited looks for what the replaced run posted before it holds', async () => {
    const posted = fakeGorgias({ id: 3 });
    expect(await run(attempt(2), posted, Date.now() - WAIT_MS - 1_000, 'the-replaced-run', KILL)).toEqual({
      id: 3,
    });
    const nothing = fakeGorgias(null);
    expect(await run(attempt(2), nothing, Date.now() - WAIT_MS - 1_000, 'the-replaced-run', KILL)).toEqual({
      held: KILL,
    });
    expect(nothing.calls).toEqual(['look']);
  });
});
