import { describe, expect, it } from '@jest/globals';
import { printFigures, tally, ticketsNotRepliedExactlyOnce } from '../support/figures';
import type { DeliveryAnswer } from '../../harness/service-processes';
import { useChaosRig } from './support/rig';

// The one scenario that stops Temporal: on a dev server of its own, not the one the other scenarios share.
const rig = useChaosRig({ ownServer: true });

const ACCEPTED_BEFORE = 40;
const DURING_OUTAGE = 10;
// The intake waits this long for Temporal (WEBHOOK_TEMPORAL_TIMEOUT_MS) before answering 503.
const TEMPORAL_TIMEOUT_MS = 2000;

describe('Temporal down', () => {
  it('the intake answers 503 quickly while Temporal is down, and nothing it accepted before is lost', async () => {
    const ticketIds = await rig.service.seedTickets(ACCEPTED_BEFORE + DURING_OUTAGE + 1);
    const before = ticketIds.slice(0, ACCEPTED_BEFORE);
    const during = ticketIds.slice(ACCEPTED_BEFORE, ACCEPTED_BEFORE + DURING_OUTAGE);
    const after = ticketIds[ticketIds.length - 1] as number;
    // A slow Gorgias, so many of the tickets accepted before the stop are still being worked on.
    rig.sandbox.sandbox.setFaults({ latencyMs: 500 });
    await rig.service.startServer({ WEBHOOK_TEMPORAL_TIMEOUT_MS: String(TEMPORAL_TIMEOUT_MS) });
    await rig.service.startWorker();

    const acceptedBefore = await Promise.all(before.map((id) => rig.service.deliver(id)));
    expect(acceptedBefore.map((a) => a.status)).toEqual(before.map(() => 202));

    await rig.temporal.stop();
    // Our reply and our note (the ticket also holds the customer's message and a Rule's note) = done.
    const ours = (id: number) => {
      const { replies, notes } = rig.service.posted(id);
      return replies + notes;
    };
    const unfinishedAtStop = before.filter((id) => ours(id) < 2).length;
    const whileDown: DeliveryAnswer[] = [];
    for (const id of during) whileDown.push(await rig.service.deliver(id));
    for (const answer of whileDown) {
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ error: 'temporal-unavailable' });
      // How soon is a figure, printed below; that the gRPC retries stop at the call's deadline is
      // test/unit/intake-failures.test.ts, on Jest's clock.
    }

    await rig.temporal.restart();
    const next = await rig.service.deliver(after);
    expect(next.status).toBe(202);
    // Gorgias retries the deliveries that got 503.
    const retried = await Promise.all(during.map((id) => rig.service.deliverUntilAccepted(id)));
    expect(retried.map((a) => a.status)).toEqual(during.map(() => 202));

    const results = await rig.service.results(ticketIds, 180_000);
    const figures = tally(
      'Temporal down',
      `dev server stopped with ${unfinishedAtStop} of ${ACCEPTED_BEFORE} accepted tickets unfinished; ` +
        `${DURING_OUTAGE} deliveries answered 503 in ≤ ${Math.max(...whileDown.map((a) => a.ms))} ms`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);
    expect(unfinishedAtStop).toBeGreaterThan(0);
    expect(ticketsNotRepliedExactlyOnce(figures)).toEqual([]);
    expect(figures).toMatchObject({ duplicates: 0, lost: 0 });
  });
});
