import { describe, expect, it } from '@jest/globals';
import { markersOf } from '../../src/reply/markers';
import { satisfactionSurveySchema, ticketSchema } from '../../src/gorgias/schemas';
import { AccountIntegrations } from '../../src/tools/sandbox/integrations';
import {
  monthTruth,
  playOutMonth,
  seedMonth,
  type AcknowledgementEffect,
  type SeededTicket,
} from '../../src/tools/sandbox/month';
import { DEFAULT_SENDING, Outbox } from '../../src/tools/sandbox/sending';
import { SandboxStore } from '../../src/tools/sandbox/store';
import type { DecisionRecord } from '../../src/tools/scorecard/decisions';
import type { MetricName } from '../../src/tools/scorecard/metrics';
import { ticketOutcome } from '../../src/tools/scorecard/outcomes';
import {
  bootstrapDifference,
  conclusionOf,
  proportionDifference,
  wilsonInterval,
} from '../../src/tools/scorecard/statistics';
import {
  scorecardTickets,
  summarizeScorecard,
  type ScorecardSummary,
} from '../../src/tools/scorecard/summary';
import { isHeldOut, type ExperimentArm } from '../../src/reply/holdout';

/**
 * The scorecard's statistics and figures without Temporal: the intervals against published values, what one
 * ticket's messages say, and the whole comparison over months seeded again and again with a known effect of the
 * acknowledgement in one store and none in the other. The arms here are what the holdout assigns and the
 * sandbox plays out; the end-to-end run (the real service deciding, Temporal's record joined, the report in
 * Chromium) is test/integration/scorecard.test.ts.
 */

describe('the intervals', () => {
  it("gives Newcombe's hybrid score interval for a difference of proportions (his 1998 paper, method 10)", () => {
    // Newcombe, Statistics in Medicine 17:873–890, table II: (a) 56/70 − 48/80, (c) 5/56 − 0/29.
    const a = proportionDifference({ k: 56, n: 70 }, { k: 48, n: 80 });
    expect(a.estimate).toBeCloseTo(0.2, 6);
    expect(a.low).toBeCloseTo(0.0524, 3);
    expect(a.high).toBeCloseTo(0.3339, 3);
    const c = proportionDifference({ k: 5, n: 56 }, { k: 0, n: 29 });
    expect(c.low).toBeCloseTo(-0.0381, 3);
    expect(c.high).toBeCloseTo(0.1926, 3);
    // Wilson's interval stays within 0 and 1 where the textbook one would not.
    expect(wilsonInterval(0, 29)[0]).toBe(0);
    expect(wilsonInterval(29, 29)[1]).toBe(1);
  });

  it('bootstraps a difference in medians reproducibly, "not yet" counting as the longest wait', () => {
    const slow = Array.from({ length: 60 }, (_, i) => (i % 10 === 0 ? Infinity : 600 + 60 * i));
    const fast = slow.map((s) => s / 2);
    const once = bootstrapDifference(fast, slow, 'median', { seed: 7 });
    expect(bootstrapDifference(fast, slow, 'median', { seed: 7 })).toEqual(once);
    const sorted = [...slow].sort((x, y) => x - y);
    const slowMedian = ((sorted[29] as number) + (sorted[30] as number)) / 2;
    expect(once.estimate).toBeCloseTo(-slowMedian / 2, 6);
    expect(once.low).toBeLessThan(once.estimate);
    expect(once.high).toBeLessThan(0);
    // More than half of an arm not answered yet: its median is beyond every answer.
    const mostlyUnanswered = bootstrapDifference(
      fast,
      slow.map((s, i) => (i < 40 ? Infinity : s)),
      'median',
    );
    expect(mostlyUnanswered.estimate).toBe(-Infinity);
  });

  it('calls a difference real only when its interval excludes none, and needs 10 tickets in each arm', () => {
    const sizes = { holdout: 40, acknowledged: 40 };
    expect(conclusionOf({ estimate: -0.2, low: -0.3, high: -0.1 }, sizes)).toBe('real');
    expect(conclusionOf({ estimate: -0.2, low: -0.3, high: 0.05 }, sizes)).toBe('cannot-tell');
    expect(conclusionOf({ estimate: -0.2, low: -0.3, high: -0.1 }, { holdout: 9, acknowledged: 40 })).toBe(
      'too-few',
    );
    expect(conclusionOf({ estimate: -Infinity, low: -Infinity, high: -1 }, sizes)).toBe('too-few');
  });
});

const EFFECT_STORE = 'support@shop.example.com';
const NO_EFFECT_STORE = 'bonjour@maison-lune.example';
const STORES = [
  { address: EFFECT_STORE, language: 'en' },
  { address: NO_EFFECT_STORE, language: 'fr' },
];
const EFFECT: AcknowledgementEffect = { followUpRate: -0.3, reopenRate: -0.08, satisfaction: 0.8 };

/** A sandbox account's data, in memory, as the sandbox server keeps it. */
function sandboxStore(): SandboxStore {
  const now = () => Date.parse('2026-11-26T10:00:00Z');
  return new SandboxStore({
    now,
    ruleNote: true,
    integrations: new AccountIntegrations(
      STORES.map((s, i) => ({ address: s.address, name: `Store ${i}` })),
      now,
    ),
    outbox: new Outbox(DEFAULT_SENDING, now),
  });
}

/** The tickets the policy would acknowledge: the service skips spam, automatic mail and what a Rule answered. */
const eligible = (t: SeededTicket) => !['spam', 'no-reply-sender', 'rule-instant'].includes(t.scenario);
const armOf = (t: SeededTicket): ExperimentArm | null =>
  eligible(t) ? (isHeldOut(t.ticketId, 50) ? 'holdout' : 'acknowledged') : null;

/**
 * A month seeded, its tickets split by the holdout (half), played out with `effects`, read back as Gorgias
 * answers it, and joined with the decisions the service would have recorded.
 */
function scorecardOfMonth(seed: number, effects: Record<string, AcknowledgementEffect>): ScorecardSummary {
  const store = sandboxStore();
  const seeded = seedMonth(store, {
    since: '2026-10-01',
    days: 31,
    perDay: 20,
    seed,
    stores: STORES,
    playOut: 'later',
  });
  playOutMonth(store, seeded, {
    seed,
    effects,
    acknowledged: (id) => armOf(seeded.find((t) => t.ticketId === id)!) === 'acknowledged',
  });
  const tickets = seeded.map((t) => ticketSchema.parse(store.getTicket(t.ticketId)));
  const surveys = new Map(
    store.listSurveys().map(({ value }) => [value.ticket_id, satisfactionSurveySchema.parse(value)]),
  );
  const decisions = new Map<number, DecisionRecord>(
    seeded.map((t) => {
      const arm = armOf(t);
      const record: DecisionRecord = {
        ticketId: t.ticketId,
        outcome: arm === 'acknowledged' ? 'replied' : 'skipped',
        reason: arm === 'holdout' ? 'holdout' : arm ? null : t.scenario,
        store: t.store,
        policyVersion: '3f9c2a1b7d04',
        arm,
      };
      return [t.ticketId, record];
    }),
  );
  return summarizeScorecard(scorecardTickets(tickets, surveys, decisions));
}

const TRUE_DIFFERENCES = (effect: AcknowledgementEffect): Partial<Record<MetricName, number>> => {
  const { holdout, acknowledged } = monthTruth(effect);
  return {
    'first-human-response':
      acknowledged.medianFirstHumanResponseSeconds - holdout.medianFirstHumanResponseSeconds,
    'follow-ups': acknowledged.followUpRate - holdout.followUpRate,
    reopens: acknowledged.reopenRate - holdout.reopenRate,
    satisfaction: acknowledged.satisfactionMean - holdout.satisfactionMean,
  };
};

describe('the scorecard of a seeded month, seed after seed', () => {
  const SEEDS = [1, 2, 3, 4, 5, 6];
  const summaries = new Map<number, ScorecardSummary>();
  const summaryOf = (seed: number) => {
    if (!summaries.has(seed)) summaries.set(seed, scorecardOfMonth(seed, { [EFFECT_STORE]: EFFECT }));
    return summaries.get(seed)!;
  };
  const comparisons = (seed: number, store: string) =>
    summaryOf(seed).groups.find((g) => g.store === store && g.channel === null)!.comparisons;

  it('recovers the effect where there is one: each true difference inside its interval (but by chance), and called real', () => {
    const truth = TRUE_DIFFERENCES(EFFECT);
    let checked = 0;
    let missed = 0;
    for (const seed of SEEDS) {
      for (const c of comparisons(seed, EFFECT_STORE)) {
        const expected = truth[c.metric];
        if (expected === undefined || !c.difference) continue;
        checked += 1;
        if (expected < c.difference.low || expected > c.difference.high) missed += 1;
      }
      const byMetric = (m: MetricName) => comparisons(seed, EFFECT_STORE).find((c) => c.metric === m)!;
      expect([byMetric('follow-ups').conclusion, byMetric('satisfaction').conclusion]).toEqual([
        'real',
        'real',
      ]);
      expect(byMetric('follow-ups').sentence).toMatch(/^A real difference at this sample size: −\d+ points/);
    }
    expect(checked).toBe(SEEDS.length * 4);
    // 95 % intervals: about one in 20 misses its truth. More than 3 of 24 would happen by chance 3 % of the time.
    expect(missed).toBeLessThanOrEqual(3);
  });

  it('finds none where there is none: "not enough tickets to tell" but by chance', () => {
    let real = 0;
    for (const seed of SEEDS) {
      for (const c of comparisons(seed, NO_EFFECT_STORE)) {
        expect(c.difference).not.toBeNull();
        if (c.conclusion === 'real') real += 1;
        else
          expect(c.sentence).toMatch(
            /^Not enough tickets to tell a difference: the 95 % interval, .* includes none/,
          );
      }
    }
    // Five figures in six months: 30 verdicts, about one in 20 wrong by chance; more than 3 happen 6 % of the time.
    expect(real).toBeLessThanOrEqual(3);
  });

  it('says "not enough tickets to tell" for a week with a handful of tickets in an arm', () => {
    const store = sandboxStore();
    const seeded = seedMonth(store, {
      since: '2026-10-01',
      days: 2,
      perDay: 8,
      seed: 3,
      stores: STORES,
      playOut: 'later',
    });
    playOutMonth(store, seeded, { seed: 3 });
    const tickets = seeded.map((t) => ticketSchema.parse(store.getTicket(t.ticketId)));
    const decisions = new Map<number, DecisionRecord>(
      seeded.map((t) => [
        t.ticketId,
        {
          ticketId: t.ticketId,
          outcome: 'replied',
          reason: null,
          store: t.store,
          policyVersion: 'v',
          arm: armOf(t),
        },
      ]),
    );
    const all = summarizeScorecard(scorecardTickets(tickets, new Map(), decisions)).groups[0]!;
    expect(all.comparisons.map((c) => c.conclusion)).toEqual(all.comparisons.map(() => 'too-few'));
    expect(all.comparisons[0]!.sentence).toMatch(
      /^Not enough tickets to tell: \d+ held out, \d+ acknowledged; at least 10 in each are needed\.$/,
    );
  });
});

describe("one ticket's figures", () => {
  it('counts human answers only: not our reply, a Rule, an API integration or a note', () => {
    const store = sandboxStore();
    const [seeded] = seedMonth(store, {
      since: '2026-10-01',
      days: 1,
      perDay: 1,
      seed: 2,
      stores: STORES,
      playOut: 'later',
    });
    const id = seeded!.ticketId;
    const at = (minutes: number) => Date.parse(seeded!.createdAt) + minutes * 60_000;
    store.seedReply(id, { by: 'rule', at: at(0.1), text: 'Autoresponder.' });
    store.addMessage(id, {
      channel: 'email',
      via: 'api',
      from_agent: true,
      external_id: markersOf('production').reply(id),
      body_text: 'Ours.',
      source: { type: 'email', from: { address: EFFECT_STORE } },
    });
    store.seedCustomerMessage(id, { at: at(30), text: 'Any update?' });
    store.seedCustomerMessage(id, { at: at(45), text: 'Hello??' });
    store.seedReply(id, { by: 'agent', at: at(60), text: 'Here you go.' });
    store.closeTicketAt(id, at(61));
    store.seedCustomerMessage(id, { at: at(600), text: 'It broke again.' });
    store.seedReply(id, { by: 'agent', at: at(660), text: 'Fixed.' });
    store.closeTicketAt(id, at(661));
    store.seedSurvey(id, { sentAt: at(700), score: 4, scoredAt: at(800) });
    const survey = satisfactionSurveySchema.parse(store.listSurveys(id)[0]!.value);
    expect(ticketOutcome(ticketSchema.parse(store.getTicket(id)), survey)).toMatchObject({
      ticketId: id,
      channel: 'email',
      firstHumanResponseSeconds: 3600,
      resolutionSeconds: 661 * 60,
      followUpsBeforeAnswer: 2,
      reopened: true,
      satisfaction: 4,
    });
  });

  it('has no answer, resolution or reopen yet for a ticket nobody answered', () => {
    const store = sandboxStore();
    const [seeded] = seedMonth(store, {
      since: '2026-10-01',
      days: 1,
      perDay: 1,
      seed: 2,
      stores: STORES,
      playOut: 'later',
    });
    expect(ticketOutcome(ticketSchema.parse(store.getTicket(seeded!.ticketId)))).toMatchObject({
      firstHumanResponseSeconds: null,
      resolutionSeconds: null,
      followUpsBeforeAnswer: 0,
      reopened: null,
      satisfaction: null,
    });
  });
});
