import { describe, expect, it } from '@jest/globals';
import { printFigures, repeatedNotes, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import { useChaosRig } from './support/rig';

const rig = useChaosRig();

const TICKETS = 100;
// The worker gives up on a Gorgias call after 2 s; a held POST is committed 2–10 s after it arrived, so mostly
// after the client gave up. The retry must wait longer than the latest commit before it looks for the message:
// 15 s after the POST started (GORGIAS_UNKNOWN_OUTCOME_WAIT_MS), as the default 30 s does for commits up to 20 s.
const HTTP_TIMEOUT_MS = 2000;
const LATE_COMMIT_MS: [number, number] = [2000, 10_000];
const UNKNOWN_OUTCOME_WAIT_MS = 15_000;

describe('Gorgias commits POSTs after the client gave up on them', () => {
  it('30% of POSTs committed 2–10 s late, some more committed then reset: one reply and one note per ticket', async () => {
    const ticketIds = await rig.service.seedTickets(TICKETS);
    const seeded = rig.sandbox.requests.length;
    const before = rig.sandbox.sandbox.stats();
    // Only POSTs: the look-ups (GETs) answer at once, so what is tested is the wait before them.
    rig.sandbox.sandbox.setFaults({
      lateCommitRate: 0.3,
      lateCommitMs: LATE_COMMIT_MS,
      // Drawn for the POSTs that are not held: about 7% of all POSTs.
      resetAfterCommitRate: 0.1,
      methods: ['POST'],
    });
    await rig.service.startServer();
    await rig.service.startWorker({
      GORGIAS_HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS),
      GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: String(UNKNOWN_OUTCOME_WAIT_MS),
    });
    const answers = await rig.service.deliverAll(ticketIds, 10);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);

    const results = await rig.service.results(ticketIds, 240_000);
    const stats = rig.sandbox.sandbox.stats();
    const posts = rig.sandbox.requests.slice(seeded).filter((r) => r.method === 'POST');
    // A POST the client gave up on (or whose connection was reset) never got its answer written.
    const unanswered = posts.filter((r) => r.status === undefined).length;
    const lateCommits = stats.lateCommits - before.lateCommits;
    const resets = stats.resetsAfterCommit - before.resetsAfterCommit;
    const figures = tally(
      'late commits',
      `${lateCommits} of ${posts.length} POSTs committed ${LATE_COMMIT_MS[0] / 1000}–${LATE_COMMIT_MS[1] / 1000} s late ` +
        `and ${resets} committed then reset; ${unanswered} POSTs left without an answer ` +
        `(HTTP timeout ${HTTP_TIMEOUT_MS / 1000} s, unknown-outcome wait ${UNKNOWN_OUTCOME_WAIT_MS / 1000} s)`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);

    expect(lateCommits).toBeGreaterThan(0);
    expect(resets).toBeGreaterThan(0);
    expect(unanswered).toBeGreaterThan(0);
    // Every retry found the message its POST had left: no message was POSTed twice.
    expect(posts.length).toBe(2 * TICKETS);
    expect(repeatedNotes(rig.sandbox, ticketIds)).toEqual([]);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
  });
});
