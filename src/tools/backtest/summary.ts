import type { TicketVerdict } from './evaluate';

/** The backtest's figures, per store and for all stores together. */

export interface StoreSummary {
  store: string;
  tickets: number;
  /** Would have been answered (and sent: dry runs apart). */
  replied: number;
  dryRun: number;
  /** Skipped or failed, by reason (`spam`, `rule-replied-first`, `order-delayed`, `stale`, ...). */
  notAnswered: Record<string, number>;
  /** Answered outside the store's business hours. */
  outsideHours: number;
  /** Answered by order branch; `plain` for messages that did not ask about an order. */
  byBranch: Record<string, number>;
  /** Tickets a human or a Rule answered, and the percentiles of how soon (seconds after creation). */
  humanAnswered: number;
  firstResponseSeconds: { p50: number; p75: number; p90: number; p95: number } | null;
  /** Of the tickets a human or a Rule answered, those the auto-reply would have reached first. */
  covered: number;
  /** Auto-replies that would have arrived after the first human or Rule answer. */
  stale: number;
}

export interface BacktestSummary {
  stores: StoreSummary[];
  all: StoreSummary;
  /** Auto-replies by hour of day (the store's timezone), all stores: answered in and outside hours. */
  repliesByHour: { inHours: number[]; outsideHours: number[] };
  /** Human or Rule first-response times, all stores, in buckets. */
  firstResponseHistogram: { label: string; count: number }[];
}

/** Nearest-rank percentile of sorted values (the value at rank ⌈p·n⌉). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

export const RESPONSE_BUCKETS: { label: string; upToSeconds: number }[] = [
  { label: '< 1 min', upToSeconds: 60 },
  { label: '1–5 min', upToSeconds: 300 },
  { label: '5–15 min', upToSeconds: 900 },
  { label: '15–30 min', upToSeconds: 1800 },
  { label: '30 min–1 h', upToSeconds: 3600 },
  { label: '1–2 h', upToSeconds: 7200 },
  { label: '2–4 h', upToSeconds: 14_400 },
  { label: '4–8 h', upToSeconds: 28_800 },
  { label: '8–24 h', upToSeconds: 86_400 },
  { label: '> 24 h', upToSeconds: Infinity },
];

function summarize(store: string, verdicts: readonly TicketVerdict[]): StoreSummary {
  const count = (test: (v: TicketVerdict) => boolean) => verdicts.filter(test).length;
  const tally = (keys: string[]) =>
    keys.reduce<Record<string, number>>((acc, key) => ({ ...acc, [key]: (acc[key] ?? 0) + 1 }), {});
  const answered = verdicts.filter((v) => v.outcome === 'replied');
  const times = verdicts
    .flatMap((v) => (v.firstResponse ? [v.firstResponse.afterSeconds] : []))
    .sort((a, b) => a - b);
  return {
    store,
    tickets: verdicts.length,
    replied: answered.length,
    dryRun: count((v) => v.outcome === 'dry-run'),
    notAnswered: tally(
      verdicts
        .filter((v) => v.outcome === 'skipped' || v.outcome === 'failed')
        .map((v) => v.reason ?? 'unknown'),
    ),
    outsideHours: count((v) => v.outcome === 'replied' && v.outsideHours),
    byBranch: tally(answered.map((v) => v.branch ?? 'plain')),
    humanAnswered: times.length,
    firstResponseSeconds:
      times.length === 0
        ? null
        : {
            p50: percentile(times, 50),
            p75: percentile(times, 75),
            p90: percentile(times, 90),
            p95: percentile(times, 95),
          },
    covered: count((v) => v.covered),
    stale: count((v) => v.stale),
  };
}

export function summarizeVerdicts(verdicts: readonly TicketVerdict[]): BacktestSummary {
  const names = [...new Set(verdicts.map((v) => v.store))].sort((a, b) =>
    a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b),
  );
  const inHours = new Array<number>(24).fill(0);
  const outsideHours = new Array<number>(24).fill(0);
  for (const v of verdicts) {
    if (v.outcome !== 'replied') continue;
    const hours = v.outsideHours ? outsideHours : inHours;
    hours[v.hour] = (hours[v.hour] ?? 0) + 1;
  }
  const histogram = RESPONSE_BUCKETS.map(({ label }) => ({ label, count: 0 }));
  for (const v of verdicts) {
    if (!v.firstResponse) continue;
    const index = RESPONSE_BUCKETS.findIndex((b) => v.firstResponse!.afterSeconds < b.upToSeconds);
    const bucket = histogram[index === -1 ? histogram.length - 1 : index];
    if (bucket) bucket.count += 1;
  }
  return {
    stores: names.map((name) =>
      summarize(
        name,
        verdicts.filter((v) => v.store === name),
      ),
    ),
    all: summarize('all stores', verdicts),
    repliesByHour: { inHours, outsideHours },
    firstResponseHistogram: histogram,
  };
}

/** `42 s`, `7 min`, `3.5 h`, `2.1 d`. */
export function readableDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}
