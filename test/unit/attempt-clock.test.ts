import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { callGorgias } from '../../src/activities/gorgias-call';
import { postOnce } from '../../src/activities/post-once';
import { GORGIAS_ATTEMPT_MS, WRITE_MARGIN_MS } from '../../src/gorgias/attempt';
import { GorgiasClient } from '../../src/gorgias/client';
import { agentReply } from '../../src/tools/sandbox/sample-ticket';

/**
 * "No POST starts with less than its HTTP timeout + 2 s left in the attempt" (docs/guarantees.md): the attempt's
 * clock starts when the attempt does, not when the POST asks for it after a read. A send reads its email
 * integration first; here that read takes 19 s of a 30 s attempt (a clock the test moves), which leaves 11 s, less
 * than the 10 s timeout + 2 s a POST needs: the client must not start it.
 */

const HTTP_TIMEOUT_MS = 10_000;
const READ_MS = 19_000;

afterEach(() => {
  jest.restoreAllMocks();
});

/** Date.now() on a clock that only moves when the test says so. */
function stoppedClock() {
  let now = Date.UTC(2026, 0, 5, 9, 0, 0);
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  return { advance: (ms: number) => (now += ms), now: () => now };
}

describe('the attempt clock', () => {
  it('starts with the attempt: a POST after a slow read is not started with less than its timeout + 2 s left', async () => {
    const clock = stoppedClock();
    // Nothing listens there: a POST that was started would fail with a connection error instead.
    const gorgias = new GorgiasClient({
      baseUrl: 'http://127.0.0.1:1',
      username: 'bot@shop.example.com',
      apiKey: 'unused-api-key',
      timeoutMs: HTTP_TIMEOUT_MS,
    });
    const attemptStart = clock.now();
    const env = new MockActivityEnvironment({
      attempt: 1,
      startToCloseTimeoutMs: GORGIAS_ATTEMPT_MS,
      scheduledTimestampMs: attemptStart,
      scheduleToCloseTimeoutMs: 30 * 60_000,
    });
    const failure = await env
      .run(async () => {
        await callGorgias('read email integration', async () => clock.advance(READ_MS));
        return postOnce({
          what: 'reply',
          earlierRunsBefore: null,
          scheduledInRun: env.context.info.workflowExecution?.runId,
          unknownOutcomeWaitMs: 30_000,
          confirmAttempt: async () => undefined,
          lookUp: async () => null,
          post: (limits) => {
            expect(limits.deadline).toBe(attemptStart + GORGIAS_ATTEMPT_MS);
            return gorgias.createMessage(1, agentReply('Thanks'), limits);
          },
        });
      })
      .catch((err: unknown) => err);
    const left = GORGIAS_ATTEMPT_MS - READ_MS;
    expect(left).toBeLessThan(HTTP_TIMEOUT_MS + WRITE_MARGIN_MS);
    expect(failure).toMatchObject({
      type: 'GorgiasUnavailable',
      message: expect.stringContaining(`not started: ${left} ms of the attempt left`),
    });
  });
});
