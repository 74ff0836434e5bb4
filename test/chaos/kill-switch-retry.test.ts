import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { notesByKind, printFigures, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import { waitUntil } from '../../harness/waiting';
import { useChaosRig } from './support/rig';

const rig = useChaosRig();

const IN_FLIGHT = 10;
const AFTER = 5;
// Every reply's POST is committed at once and answered after the worker's 2 s HTTP timeout, so its attempt looks
// lost; the retry may look for the reply only 15 s after the POST started: time to pull the switch before any does.
const LATE_RESPONSE_MS = 4000;
const UNKNOWN_OUTCOME_WAIT_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), 'autoreply-chaos-kill-'));
const killSwitch = join(dir, 'stop-sending');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the kill switch pulled while retried POSTs had committed', () => {
  it('the committed replies are reported replied (no "held" note); tickets after the switch are held', async () => {
    const inFlight = await rig.service.seedTickets(IN_FLIGHT);
    const after = await rig.service.seedTickets(AFTER);
    const seeded = rig.sandbox.requests.length;
    rig.sandbox.sandbox.setFaults({
      lateResponseRate: 1,
      lateResponseMs: LATE_RESPONSE_MS,
      methods: ['POST'],
    });
    await rig.service.startServer();
    await rig.service.startWorker({
      KILL_SWITCH_FILE: killSwitch,
      GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: String(UNKNOWN_OUTCOME_WAIT_MS),
    });
    const answers = await rig.service.deliverAll(inFlight, IN_FLIGHT);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);

    // Every reply committed (its POST not yet answered): the switch is pulled, the late answers turned off.
    await waitUntil(() => inFlight.every((id) => rig.service.posted(id).replies === 1), 60_000, 50);
    writeFileSync(killSwitch, '');
    const pulledAt = Date.now();
    rig.sandbox.sandbox.setFaults({ lateResponseRate: 0 });
    const afterAnswers = await rig.service.deliverAll(after, AFTER);
    expect(afterAnswers.filter((a) => a.status !== 202)).toEqual([]);

    const results = await rig.service.results([...inFlight, ...after], 120_000);
    const requests = rig.sandbox.requests.slice(seeded);
    const ofTicket = (id: number) => requests.filter((r) => r.ticketId === id);
    // The retry's first call on the ticket after the reply's POST is its look-up for that reply.
    const lookUpAt = (id: number) => {
      const calls = ofTicket(id);
      const post = calls.findIndex((r) => r.method === 'POST');
      return calls.slice(post + 1).find((r) => r.method === 'GET')?.receivedAt ?? NaN;
    };
    const lookedAfterSwitch = inFlight.filter((id) => lookUpAt(id) > pulledAt).length;
    const unanswered = inFlight.filter(
      (id) => ofTicket(id).find((r) => r.method === 'POST')?.status === undefined,
    );
    const figures = tally(
      'kill switch, retried POSTs committed',
      `${IN_FLIGHT} replies' POSTs committed and answered ${LATE_RESPONSE_MS / 1000} s late (after the 2 s HTTP ` +
        `timeout: the worker gave up on ${unanswered.length}), the kill switch pulled before ` +
        `${lookedAfterSwitch} of their retries looked (unknown-outcome wait ${UNKNOWN_OUTCOME_WAIT_MS / 1000} s); ` +
        `${AFTER} tickets delivered after it`,
      rig.sandbox,
      inFlight,
      results,
    );
    printFigures(figures);

    // The scenario did what it says: every retry looked for its reply with the switch already pulled.
    expect(lookedAfterSwitch).toBe(IN_FLIGHT);
    // Replied: the retry found the committed reply and reported it, with the "sent" note, never "held".
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ replies: IN_FLIGHT, notes: IN_FLIGHT, duplicates: 0, lost: 0 });
    for (const id of inFlight) expect(notesByKind(rig.sandbox, id)).toEqual({ replied: 1 });

    // After the switch: held, nothing sent, one "held" note each.
    for (const id of after) {
      expect(results.get(id)).toMatchObject({ outcome: 'dry-run' });
      expect(rig.service.posted(id)).toEqual({ replies: 0, notes: 1 });
      expect(notesByKind(rig.sandbox, id)).toEqual({ held: 1 });
    }
  });
});
