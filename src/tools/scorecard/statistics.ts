import { mean, probit } from 'simple-statistics';
import { seededRandom } from '../reports/random';

/**
 * The scorecard's statistics: how different the acknowledged tickets are from the held-out ones, with a 95 %
 * interval, and whether that difference is real at the sample size. Pure and deterministic (the bootstrap is
 * seeded), so a report is reproducible. docs/scorecard.md says which method each figure uses, and why.
 */

export const CONFIDENCE = 0.95;
// Held in a local: a global looked up in a hot loop is slow where the code runs in a vm context (jest).
const { floor } = Math;
const { isNaN } = Number;
/** Fewer observations than this in either arm: no interval is given, "not enough tickets to tell". */
export const MIN_PER_ARM = 10;
export const BOOTSTRAP_RESAMPLES = 2000;

/** A difference (acknowledged minus held out) and its interval. */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

/** The Wilson score interval of a proportion k/n. */
export function wilsonInterval(k: number, n: number, confidence = CONFIDENCE): [number, number] {
  const z = probit(1 - (1 - confidence) / 2);
  const p = k / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * The difference of two proportions, a − b, with Newcombe's hybrid score interval (his method 10, built on the
 * Wilson intervals of each): it keeps its coverage with small arms and rates near 0 or 1, where the textbook
 * (Wald) interval does not.
 */
export function proportionDifference(
  a: { k: number; n: number },
  b: { k: number; n: number },
  confidence = CONFIDENCE,
): Interval {
  const pa = a.k / a.n;
  const pb = b.k / b.n;
  const [la, ua] = wilsonInterval(a.k, a.n, confidence);
  const [lb, ub] = wilsonInterval(b.k, b.n, confidence);
  const estimate = pa - pb;
  return {
    estimate,
    low: estimate - Math.sqrt((pa - la) ** 2 + (ub - pb) ** 2),
    high: estimate + Math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2),
  };
}

export type Statistic = 'median' | 'mean';

/**
 * The difference of a statistic between two samples, a − b, with a percentile bootstrap interval: each arm
 * resampled with replacement, the statistic's difference taken each time. No assumption about the shape of the
 * values (response times are skewed, scores bounded), and it works for medians as for means.
 */
export function bootstrapDifference(
  a: readonly number[],
  b: readonly number[],
  statistic: Statistic,
  options: { resamples?: number; seed?: number; confidence?: number } = {},
): Interval {
  const random = seededRandom(options.seed ?? 1);
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const alpha = 1 - (options.confidence ?? CONFIDENCE);
  const of = statistic === 'median' ? medianOf : meanOf;
  const resampleA = resampler(a, statistic, random);
  const resampleB = resampler(b, statistic, random);
  const differences = new Float64Array(resamples);
  for (let i = 0; i < resamples; i += 1) {
    const difference = resampleA() - resampleB();
    // Both medians beyond every answer (more than half of each resample unanswered): no difference to tell.
    differences[i] = isNaN(difference) ? 0 : difference;
  }
  differences.sort();
  return {
    estimate: of([...a]) - of([...b]),
    low: percentileOf(differences, alpha / 2),
    high: percentileOf(differences, 1 - alpha / 2),
  };
}

/**
 * The statistic of one resample with replacement, in linear time: how many times each value was drawn, then
 * (for the median) a walk up the sorted values to the middle rank. The same as sorting the resample, without
 * the sorting, which is what makes 2,000 resamples quick.
 */
function resampler(values: readonly number[], statistic: Statistic, random: () => number): () => number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const counts = new Int32Array(n);
  // The middle ranks (0-based): one for an odd count, the two averaged for an even one, as the median is.
  const lowRank = (n - 1) >> 1;
  const highRank = n >> 1;
  return () => {
    counts.fill(0);
    for (let i = 0; i < n; i += 1) {
      const drawn = floor(random() * n);
      counts[drawn] = (counts[drawn] as number) + 1;
    }
    if (statistic === 'mean') {
      let sum = 0;
      for (let j = 0; j < n; j += 1) if (counts[j]) sum += (counts[j] as number) * (sorted[j] as number);
      return sum / n;
    }
    let seen = 0;
    let low = 0;
    let lowFound = false;
    for (let j = 0; j < n; j += 1) {
      seen += counts[j] as number;
      if (!lowFound && seen > lowRank) {
        low = sorted[j] as number;
        lowFound = true;
      }
      if (seen > highRank) return (low + (sorted[j] as number)) / 2;
    }
    return NaN;
  };
}

/** The median, where a value of Infinity stands for "not yet" (never answered, still open). */
export function medianOf(values: number[]): number {
  if (values.length === 0) return NaN;
  // A typed array sorts numerically with Infinity last (a comparator would take Infinity − Infinity for NaN).
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  // The middle value, or the mean of the two middle ones: never an interpolation across Infinity.
  return ((sorted[(n - 1) >> 1] as number) + (sorted[n >> 1] as number)) / 2;
}

/** The nearest-rank percentile of sorted values: one of them, so an Infinity stays one. */
function percentileOf(sorted: Float64Array, p: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] as number;
}

export function meanOf(values: number[]): number {
  return values.length === 0 ? NaN : mean(values);
}

export type Conclusion = 'real' | 'cannot-tell' | 'too-few';

/**
 * Whether a difference is real at this sample size: its interval excludes none (0). Fewer than MIN_PER_ARM in
 * an arm, or an estimate that is not finite (more than half of an arm has no answer yet), is "too few".
 */
export function conclusionOf(
  interval: Interval | null,
  sizes: { holdout: number; acknowledged: number },
): Conclusion {
  if (!interval || Math.min(sizes.holdout, sizes.acknowledged) < MIN_PER_ARM) return 'too-few';
  if (!Number.isFinite(interval.estimate)) return 'too-few';
  return interval.low > 0 || interval.high < 0 ? 'real' : 'cannot-tell';
}
