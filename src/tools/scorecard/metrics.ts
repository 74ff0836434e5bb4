import { readableDuration } from '../backtest/summary';
import type { TicketOutcome } from './outcomes';
import {
  bootstrapDifference,
  conclusionOf,
  meanOf,
  medianOf,
  MIN_PER_ARM,
  proportionDifference,
  type Conclusion,
  type Interval,
} from './statistics';

/**
 * The five figures the scorecard compares, each with the method its interval comes from (docs/scorecard.md):
 * times by the bootstrap of the difference in medians (skewed, and a ticket not answered yet counts as the
 * longest wait), rates by Newcombe's interval for two proportions, the satisfaction score by the bootstrap of
 * the difference in means.
 */

export type MetricName = 'first-human-response' | 'resolution' | 'follow-ups' | 'reopens' | 'satisfaction';

/** One arm's figure: how many tickets it is of, and its value (seconds, a share from 0 to 1, or a score). */
export interface ArmFigure {
  n: number;
  value: number;
}

export interface Comparison {
  metric: MetricName;
  holdout: ArmFigure;
  acknowledged: ArmFigure;
  /** Acknowledged minus held out, with its 95 % interval; null when an arm is too small. */
  difference: Interval | null;
  conclusion: Conclusion;
  /** The plain sentence: is the difference real at this sample size? */
  sentence: string;
}

interface Metric {
  name: MetricName;
  label: string;
  /** What one arm's value is, e.g. "median". */
  describes: string;
  /** How a value and a difference read. */
  value: (v: number) => string;
  difference: (d: number) => string;
  compare: (
    holdout: TicketOutcome[],
    acknowledged: TicketOutcome[],
  ) => Omit<Comparison, 'conclusion' | 'sentence'>;
}

const seconds = (v: number | null) => v ?? Infinity;
const signed = (d: number, text: string) => `${d > 0 ? '+' : d < 0 ? '−' : '±'}${text}`;
const duration = (v: number) => (v === Infinity ? 'not yet' : readableDuration(v));
// An interval reaches infinity where, in some resamples, more than half of an arm has no answer yet.
const durationDifference = (d: number) =>
  Number.isFinite(d) ? signed(d, readableDuration(Math.abs(d))) : d > 0 ? 'no upper bound' : 'no lower bound';
const percent = (v: number) => `${Math.round(v * 100)} %`;
const points = (d: number) => {
  const n = Math.abs(Math.round(d * 100));
  return signed(d, `${n} point${n === 1 ? '' : 's'}`);
};

/** A median time, where "not yet" is the longest. */
function compareTimes(name: MetricName, of: (t: TicketOutcome) => number | null, seed: number) {
  return (holdout: TicketOutcome[], acknowledged: TicketOutcome[]) => {
    const h = holdout.map((t) => seconds(of(t)));
    const a = acknowledged.map((t) => seconds(of(t)));
    return {
      metric: name,
      holdout: { n: h.length, value: medianOf(h) },
      acknowledged: { n: a.length, value: medianOf(a) },
      difference:
        Math.min(h.length, a.length) < MIN_PER_ARM ? null : bootstrapDifference(a, h, 'median', { seed }),
    };
  };
}

/** A share of the tickets `counted` says count, among those it does not leave out (null). */
function compareRates(name: MetricName, counted: (t: TicketOutcome) => boolean | null) {
  return (holdout: TicketOutcome[], acknowledged: TicketOutcome[]) => {
    const tally = (tickets: TicketOutcome[]) => {
      const known = tickets.map(counted).filter((c): c is boolean => c !== null);
      return { k: known.filter(Boolean).length, n: known.length };
    };
    const h = tally(holdout);
    const a = tally(acknowledged);
    return {
      metric: name,
      holdout: { n: h.n, value: h.k / h.n },
      acknowledged: { n: a.n, value: a.k / a.n },
      difference: Math.min(h.n, a.n) < MIN_PER_ARM ? null : proportionDifference(a, h),
    };
  };
}

export const METRICS: Metric[] = [
  {
    name: 'first-human-response',
    label: 'First human answer',
    describes: 'median',
    value: duration,
    difference: durationDifference,
    compare: compareTimes('first-human-response', (t) => t.firstHumanResponseSeconds, 1),
  },
  {
    name: 'resolution',
    label: 'Time to resolution',
    describes: 'median',
    value: duration,
    difference: durationDifference,
    compare: compareTimes('resolution', (t) => t.resolutionSeconds, 2),
  },
  {
    name: 'follow-ups',
    label: 'Customer wrote again before the first human answer',
    describes: 'share of tickets',
    value: percent,
    difference: points,
    compare: compareRates('follow-ups', (t) => t.followUpsBeforeAnswer > 0),
  },
  {
    name: 'reopens',
    label: 'Reopened: the customer wrote again after it',
    describes: 'share of answered tickets',
    value: percent,
    difference: points,
    compare: compareRates('reopens', (t) => t.reopened),
  },
  {
    name: 'satisfaction',
    label: 'Satisfaction score (1 to 5)',
    describes: 'mean of answered surveys',
    value: (v) => v.toFixed(2),
    difference: (d) => signed(d, Math.abs(d).toFixed(2)),
    compare: (holdout, acknowledged) => {
      const scores = (tickets: TicketOutcome[]) =>
        tickets.map((t) => t.satisfaction).filter((s): s is number => s !== null);
      const h = scores(holdout);
      const a = scores(acknowledged);
      return {
        metric: 'satisfaction',
        holdout: { n: h.length, value: meanOf(h) },
        acknowledged: { n: a.length, value: meanOf(a) },
        difference:
          Math.min(h.length, a.length) < MIN_PER_ARM ? null : bootstrapDifference(a, h, 'mean', { seed: 5 }),
      };
    },
  },
];

export function metricNamed(name: MetricName): Metric {
  return METRICS.find((m) => m.name === name) as Metric;
}

/** Every figure for one group of tickets, acknowledged against held out. */
export function compareArms(holdout: TicketOutcome[], acknowledged: TicketOutcome[]): Comparison[] {
  return METRICS.map((metric) => {
    const figures = metric.compare(holdout, acknowledged);
    const sizes = { holdout: figures.holdout.n, acknowledged: figures.acknowledged.n };
    const conclusion = conclusionOf(figures.difference, sizes);
    return { ...figures, conclusion, sentence: sentenceOf(metric, figures.difference, conclusion, sizes) };
  });
}

function sentenceOf(
  metric: Metric,
  difference: Interval | null,
  conclusion: Conclusion,
  sizes: { holdout: number; acknowledged: number },
): string {
  const arms = `${sizes.holdout} held out, ${sizes.acknowledged} acknowledged`;
  if (conclusion === 'too-few' || !difference) {
    if (Math.min(sizes.holdout, sizes.acknowledged) < MIN_PER_ARM) {
      return `Not enough tickets to tell: ${arms}; at least ${MIN_PER_ARM} in each are needed.`;
    }
    return `Not enough answered tickets to tell: more than half of an arm has no answer yet (${arms}).`;
  }
  const interval = `${metric.difference(difference.low)} to ${metric.difference(difference.high)}`;
  if (conclusion === 'cannot-tell') {
    return `Not enough tickets to tell a difference: the 95 % interval, ${interval}, includes none (${arms}).`;
  }
  return (
    `A real difference at this sample size: ${metric.difference(difference.estimate)} with the acknowledgement ` +
    `(95 % interval ${interval}; ${arms}).`
  );
}
