import { escapeHtml } from '../../reply/content';
import { RESPONSE_BUCKETS } from '../backtest/summary';
import { csvText } from '../reports/csv';
import { reportPage } from '../reports/page';
import { callUseSentence, type CallUse } from './call-use';
import { METRICS, metricNamed, type Comparison } from './metrics';
import type { ScorecardGroup, ScorecardSummary, ScorecardTicket } from './summary';

/**
 * The scorecard's outputs: a text report for the terminal, two CSVs (one line per ticket; one line per figure)
 * and an offline HTML report with charts. The HTML shows the figures the figures CSV holds, formatted.
 */

export interface ScorecardRun {
  since: string;
  until: string;
  account: string;
  calls: CallUse;
}

const armCell = (c: Comparison, arm: 'holdout' | 'acknowledged') =>
  c[arm].n === 0 ? '–' : `${metricNamed(c.metric).value(c[arm].value)} (n=${c[arm].n})`;
const differenceCell = (c: Comparison) => {
  if (!c.difference || !Number.isFinite(c.difference.estimate)) return '–';
  const format = metricNamed(c.metric).difference;
  const { estimate, low, high } = c.difference;
  return `${format(estimate)} (${format(low)} to ${format(high)})`;
};
const labelOf = (c: Comparison) => {
  const metric = metricNamed(c.metric);
  return `${metric.label}, ${metric.describes}`;
};
const notInExperimentOf = (summary: ScorecardSummary) =>
  Object.entries(summary.notInExperiment)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([what, n]) => `${what} ${n}`)
    .join(', ') || '–';

function coverageLines(summary: ScorecardSummary): [string, string][] {
  const all = summary.groups[0];
  return [
    ['Tickets created in the range', String(summary.tickets)],
    ['With a decision recorded in Temporal', String(summary.recorded)],
    ['Held out / acknowledged', `${all?.heldOut ?? 0} / ${all?.acknowledged ?? 0}`],
    ['Decided otherwise (in neither arm)', notInExperimentOf(summary)],
  ];
}

/** The report for the terminal: the coverage, then each group's figures and sentences. */
export function textReport(summary: ScorecardSummary, run: ScorecardRun): string {
  const lines = [`Scorecard ${run.since} → ${run.until} (${run.account})`, callUseSentence(run.calls), ''];
  for (const [label, value] of coverageLines(summary)) lines.push(`${label}: ${value}`);
  for (const group of summary.groups) {
    lines.push('', `${group.label}: ${group.heldOut} held out, ${group.acknowledged} acknowledged`);
    const rows = group.comparisons.map((c) => [
      labelOf(c),
      armCell(c, 'holdout'),
      armCell(c, 'acknowledged'),
      differenceCell(c),
    ]);
    const header = ['', 'Held out', 'Acknowledged', 'Difference (95 % interval)'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (row: string[]) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd();
    lines.push(line(header));
    group.comparisons.forEach((c, i) => lines.push(line(rows[i] ?? []), `  ${c.sentence}`));
  }
  return lines.join('\n');
}

/** One line per ticket: its decision, its arm and its figures. */
export function ticketsCsv(tickets: readonly ScorecardTicket[]): string {
  return csvText(
    [
      'ticket_id',
      'created_at',
      'channel',
      'store',
      'policy_version',
      'outcome',
      'reason',
      'arm',
      'first_human_response_seconds',
      'resolution_seconds',
      'follow_ups_before_answer',
      'reopened',
      'satisfaction',
    ],
    tickets.map((t) => [
      t.ticketId,
      t.createdAt,
      t.channel,
      t.decision?.store ?? null,
      t.decision?.policyVersion ?? null,
      t.decision?.outcome ?? null,
      t.decision?.reason ?? null,
      t.arm,
      t.firstHumanResponseSeconds === null ? null : Math.round(t.firstHumanResponseSeconds),
      t.resolutionSeconds === null ? null : Math.round(t.resolutionSeconds),
      t.followUpsBeforeAnswer,
      t.reopened,
      t.satisfaction,
    ]),
  );
}

const FIGURE_COLUMNS = [
  'group',
  'store',
  'channel',
  'policy_version',
  'metric',
  'holdout_n',
  'holdout_value',
  'acknowledged_n',
  'acknowledged_value',
  'difference',
  'low',
  'high',
  'conclusion',
  'sentence',
] as const;

/** A figure's number as the CSV writes it: Infinity (not yet answered or closed) as "inf", none as empty. */
const number = (v: number | undefined) =>
  v === undefined || Number.isNaN(v)
    ? null
    : Number.isFinite(v)
      ? Number(v.toPrecision(6))
      : v > 0
        ? 'inf'
        : '-inf';

/** One line per group and figure: both arms, the difference with its interval, and the sentence. */
export function figuresCsv(summary: ScorecardSummary): string {
  return csvText(
    FIGURE_COLUMNS,
    summary.groups.flatMap((g) =>
      g.comparisons.map((c) => [
        g.label,
        g.store,
        g.channel,
        g.policyVersion,
        c.metric,
        c.holdout.n,
        number(c.holdout.value),
        c.acknowledged.n,
        number(c.acknowledged.value),
        number(c.difference?.estimate),
        number(c.difference?.low),
        number(c.difference?.high),
        c.conclusion,
        c.sentence,
      ]),
    ),
  );
}

function groupTable(group: ScorecardGroup): string {
  const rows = group.comparisons
    .map(
      (c) =>
        `<tr data-metric="${c.metric}" data-conclusion="${c.conclusion}"><th scope="row">${escapeHtml(labelOf(c))}</th>` +
        `<td class="holdout">${escapeHtml(armCell(c, 'holdout'))}</td><td class="acknowledged">${escapeHtml(armCell(c, 'acknowledged'))}</td>` +
        `<td class="difference">${escapeHtml(differenceCell(c))}</td><td class="sentence ${c.conclusion}">${escapeHtml(c.sentence)}</td></tr>`,
    )
    .join('\n');
  return `<h2>${escapeHtml(group.label)}: ${group.heldOut} held out, ${group.acknowledged} acknowledged</h2>
<table class="figures" data-group="${escapeHtml(group.label)}">
<thead><tr><th></th><th>Held out</th><th>Acknowledged</th><th>Difference (95 % interval)</th><th>At this sample size</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

/** The chart figures: the rates' intervals for every group, the first answers and the scores of all tickets. */
function chartData(summary: ScorecardSummary, tickets: readonly ScorecardTicket[]) {
  const rates = METRICS.filter((m) => m.name === 'follow-ups' || m.name === 'reopens');
  const intervals = summary.groups.flatMap((g) =>
    rates.map((m) => ({ label: `${g.label}: ${m.name}`, c: g.comparisons.find((c) => c.metric === m.name) })),
  );
  const inArm = (arm: 'holdout' | 'acknowledged') => tickets.filter((t) => t.arm === arm);
  const histogram = (arm: 'holdout' | 'acknowledged') => {
    const counts = RESPONSE_BUCKETS.map(() => 0).concat(0);
    for (const t of inArm(arm)) {
      const s = t.firstHumanResponseSeconds;
      const index =
        s === null ? RESPONSE_BUCKETS.length : RESPONSE_BUCKETS.findIndex((b) => s < b.upToSeconds);
      counts[index] = (counts[index] ?? 0) + 1;
    }
    return counts;
  };
  const scores = (arm: 'holdout' | 'acknowledged') =>
    [1, 2, 3, 4, 5].map((score) => inArm(arm).filter((t) => t.satisfaction === score).length);
  const points = (v: number | undefined) => (v === undefined ? null : Math.round(v * 1000) / 10);
  return {
    intervals: {
      labels: intervals.map((i) => i.label),
      ranges: intervals.map((i) =>
        i.c?.difference ? [points(i.c.difference.low), points(i.c.difference.high)] : null,
      ),
      estimates: intervals.map((i) => points(i.c?.difference?.estimate)),
    },
    firstAnswer: {
      labels: [...RESPONSE_BUCKETS.map((b) => b.label), 'none yet'],
      holdout: histogram('holdout'),
      acknowledged: histogram('acknowledged'),
    },
    scores: {
      labels: ['1', '2', '3', '4', '5'],
      holdout: scores('holdout'),
      acknowledged: scores('acknowledged'),
    },
  };
}

/** A self-contained HTML report: coverage, each group's figures and sentences, three charts. */
export function htmlReport(
  summary: ScorecardSummary,
  tickets: readonly ScorecardTicket[],
  run: ScorecardRun,
): string {
  const coverage = `<table class="coverage"><tbody>
${coverageLines(summary)
  .map(([label, value]) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
  .join('\n')}
</tbody></table>`;
  return reportPage({
    title: `Scorecard ${run.since} → ${run.until}`,
    meta:
      `Tickets of ${run.account}: the acknowledged ones against those the policy held out, per store, channel ` +
      `and policy version. ${callUseSentence(run.calls)}`,
    body: [coverage, ...summary.groups.map(groupTable)].join('\n'),
    style: '  td.sentence.real { font-weight: 600; color: #1f6f43; } td.sentence { max-width: 38em; }',
    charts: [
      { id: 'intervals', caption: 'Rates: acknowledged minus held out, in points (95 % intervals)' },
      { id: 'firstAnswer', caption: 'First human answer, all tickets' },
      { id: 'scores', caption: 'Satisfaction scores, all tickets' },
    ],
    data: chartData(summary, tickets),
    drawCharts: `var arms = function (d) { return [
      { label: 'held out', data: d.holdout, backgroundColor: palette[1] },
      { label: 'acknowledged', data: d.acknowledged, backgroundColor: palette[0] }]; };
    new Chart(document.getElementById('intervals'), { type: 'bar', data: { labels: data.intervals.labels, datasets: [
        { type: 'bar', label: '95 % interval', data: data.intervals.ranges, backgroundColor: palette[2] },
        { type: 'line', label: 'estimate', data: data.intervals.estimates, showLine: false, pointRadius: 5, backgroundColor: palette[5] }] },
      options: Object.assign({ indexAxis: 'y' }, common) });
    new Chart(document.getElementById('firstAnswer'), { type: 'bar', data: { labels: data.firstAnswer.labels, datasets: arms(data.firstAnswer) }, options: common });
    new Chart(document.getElementById('scores'), { type: 'bar', data: { labels: data.scores.labels, datasets: arms(data.scores) }, options: common });`,
  });
}
