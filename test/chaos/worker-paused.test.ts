import { hostname } from 'node:os';
import { describe, expect, it } from '@jest/globals';
import type { temporal } from '@temporalio/proto';
import { workflowIdForTicket } from '../../src/temporal/definitions';
import {
  ourMessages,
  printFigures,
  repeatedNotes,
  tally,
  ticketsNotRepliedExactlyOnce,
} from '../support/figures';
import type { ServiceProcess } from '../../harness/service-processes';
import { waitUntil } from '../../harness/waiting';
import { useChaosRig } from './support/rig';
import { committedAt, eventTimeMs, ticketTimeline } from './support/timeline';

const rig = useChaosRig();

const TICKETS = 50;
// Longer than the activities' heartbeat timeout (20 s) and their start-to-close timeout (30 s): by the time the
// paused worker carries on, Temporal has handed every one of its activities to the other worker.
const PAUSE_MS = 35_000;
const HEARTBEAT_TIMEOUT_MS = 20_000;
// Half the POSTs are held by Gorgias and committed 5–25 s after they arrived: some of those the paused worker
// had in flight commit after Temporal gave up on it, while the other worker is already looking for them.
const LATE_COMMIT_MS: [number, number] = [5000, 25_000];
// The production default: a POST held up to 25 s may time out, which the retry then waits out (30 s).
const WORKER_ENV = { GORGIAS_HTTP_TIMEOUT_MS: '10000' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The identity a worker process gives Temporal (the SDK's default: `<pid>@<host>`). */
const identityOf = (worker: ServiceProcess | undefined) => `${worker?.pid}@${hostname()}`;

describe('a worker paused (SIGSTOP) with POSTs in flight, past its attempts’ timeouts', () => {
  it('the other worker takes its activities over and nothing is posted twice when it carries on', async () => {
    const ticketIds = await rig.service.seedTickets(TICKETS);
    const seeded = rig.sandbox.requests.length;
    rig.sandbox.sandbox.setFaults({ lateCommitRate: 0.5, lateCommitMs: LATE_COMMIT_MS, methods: ['POST'] });
    await rig.service.startServer();
    const paused = await rig.service.startWorker(WORKER_ENV);

    const delivering = rig.service.deliverAll(ticketIds, 20);
    const postsInFlight = () => rig.sandbox.inFlight().filter((r) => r.method === 'POST');
    await waitUntil(() => postsInFlight().length >= 5, 120_000);
    const inFlightAtPause = postsInFlight();
    const pausedAt = Date.now();
    rig.service.pause(paused);
    let second: ServiceProcess | undefined;
    try {
      // The second worker starts while the first is frozen, holding its activities, connections and POSTs.
      second = await rig.service.startWorker(WORKER_ENV);
      const answers = await delivering;
      expect(answers.filter((a) => a.status !== 202)).toEqual([]);
      await sleep(pausedAt + PAUSE_MS - Date.now());
    } finally {
      rig.service.resume(paused);
    }
    const resumedAt = Date.now();

    const results = await rig.service.results(ticketIds, 240_000);
    // The paused worker is still alive: it carried on, it was not replaced by a restart.
    if (paused.child.exitCode !== null) console.log(`[chaos] the paused worker exited:\n${paused.output()}`);
    expect(paused.child.exitCode).toBeNull();

    // The activities the paused worker had (scheduled before the pause) that the second worker finished, on a
    // later attempt: Temporal gave up on the paused one after the heartbeat timeout.
    const takenOver: { ticketId: number; activity: string; attempt: number }[] = [];
    for (const ticketId of ticketIds) {
      const history = await rig.temporal.client.workflow
        .getHandle(workflowIdForTicket(ticketId))
        .fetchHistory();
      const events: HistoryEvent[] = history.events ?? [];
      for (const event of events) {
        const started = event.activityTaskStartedEventAttributes;
        if (!started || (started.attempt ?? 1) < 2 || started.identity !== identityOf(second)) continue;
        const scheduled = events.find((e) => String(e.eventId) === String(started.scheduledEventId));
        if (!scheduled || eventTimeMs(scheduled) >= pausedAt) continue;
        takenOver.push({
          ticketId,
          activity: scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? '?',
          attempt: started.attempt ?? 1,
        });
      }
    }
    // The POSTs in flight at the pause that Gorgias committed only after the heartbeat timeout, i.e. while the
    // second worker may already have been looking: each one's message is the first of ours committed after it.
    const committedWhileTakenOver = inFlightAtPause.filter((r) => {
      const times = ourMessages(rig.sandbox, r.ticketId ?? 0)
        .map((m) => committedAt(m as { created_datetime?: string }))
        .filter((t) => t >= r.receivedAt);
      return times.length > 0 && Math.min(...times) > pausedAt + HEARTBEAT_TIMEOUT_MS;
    }).length;
    const posts = rig.sandbox.requests.slice(seeded).filter((r) => r.method === 'POST');
    // POSTs that reached Gorgias right after SIGCONT: what the paused worker still had to send.
    const postsRightAfterResume = posts.filter(
      (r) => r.receivedAt >= resumedAt && r.receivedAt < resumedAt + 500,
    ).length;
    const figures = tally(
      'worker paused mid-post',
      `SIGSTOP for ${PAUSE_MS / 1000} s with ${inFlightAtPause.length} POSTs in flight (half of all POSTs committed ` +
        `${LATE_COMMIT_MS[0] / 1000}–${LATE_COMMIT_MS[1] / 1000} s late, ${committedWhileTakenOver} of those in ` +
        `flight only after the heartbeat timeout); ${takenOver.length} of its activities finished by the second worker ` +
        `(${takenOver.map((t) => t.activity).join(', ')}); ${posts.length} POSTs in all, ` +
        `${postsRightAfterResume} of them within 0.5 s of SIGCONT`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);
    for (const { ticketId } of ticketsNotRepliedExactlyOnce(figures)) {
      console.log(
        `[chaos] ticket ${ticketId}, paused at 0 s, continued at ${(resumedAt - pausedAt) / 1000} s:\n` +
          (await ticketTimeline(rig, ticketId, pausedAt)),
      );
    }

    expect(takenOver.length).toBeGreaterThan(0);
    expect(repeatedNotes(rig.sandbox, ticketIds)).toEqual([]);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: TICKETS, notes: TICKETS, duplicates: 0, lost: 0 });
    // Every retry found what the paused worker's POST had left: no message was POSTed twice.
    expect(posts.length).toBe(2 * TICKETS);
  });
});
