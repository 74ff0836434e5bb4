import { escapeHtml } from '../../reply/content';
import { csvText } from '../reports/csv';
import { reportPage } from '../reports/page';
import type { TicketVerdict } from './evaluate';
import { readableDuration, type BacktestSummary, type StoreSummary } from './summary';

/** The backtest's three outputs: a table for the terminal, a CSV (one line per ticket), an HTML report. */

export interface BacktestRun {
  since: string;
  until: string;
  policyFile: string;
  account: string;
}

const reasonsOf = (s: StoreSummary) =>
  Object.entries(s.notAnswered)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ') || '–';
const branchesOf = (s: StoreSummary) =>
  Object.entries(s.byBranch)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([branch, n]) => `${branch} ${n}`)
    .join(', ') || '–';
const share = (n: number, of: number) => (of === 0 ? '–' : `${Math.round((n / of) * 100)} %`);

type Row = [label: string, cell: (s: StoreSummary) => string];

/** The rows the terminal table and the HTML report show, per store and for all. */
const ROWS: Row[] = [
  ['Tickets', (s) => String(s.tickets)],
  ['Would have been answered', (s) => `${s.replied} (${share(s.replied, s.tickets)})`],
  ['Dry run (note only)', (s) => String(s.dryRun)],
  ['Not answered, by reason', reasonsOf],
  ['Answered outside business hours', (s) => String(s.outsideHours)],
  ['Answered, by order branch', branchesOf],
  ['Answered by a human or a Rule', (s) => String(s.humanAnswered)],
  [
    'First answer p50 / p90 / p95',
    (s) =>
      s.firstResponseSeconds
        ? [s.firstResponseSeconds.p50, s.firstResponseSeconds.p90, s.firstResponseSeconds.p95]
            .map(readableDuration)
            .join(' / ')
        : '–',
  ],
  ['…covered by the auto-reply first', (s) => `${s.covered} (${share(s.covered, s.humanAnswered)})`],
  ['Stale auto-replies (after the answer)', (s) => String(s.stale)],
];

/** A plain-text table: one column per store, and all stores together when there are several. */
export function textTable(summary: BacktestSummary): string {
  const columns = summary.stores.length > 1 ? [...summary.stores, summary.all] : summary.stores;
  const table = [
    ['', ...columns.map((s) => s.store)],
    ...ROWS.map(([label, cell]) => [label, ...columns.map(cell)]),
  ];
  const widths = table[0]!.map((_, i) =>
    Math.min(48, Math.max(...table.map((row) => (row[i] ?? '').length))),
  );
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(table[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...table.slice(1).map(line)].join(
    '\n',
  );
}

const CSV_COLUMNS = [
  'ticket_id',
  'created_at',
  'store',
  'outcome',
  'reason',
  'order_branch',
  'template',
  'outside_hours',
  'reply_at',
  'first_answer_by',
  'first_answer_after_seconds',
  'covered',
  'stale',
] as const;

/** One line per ticket: what the policy would have done, and what really happened. */
export function verdictsCsv(verdicts: readonly TicketVerdict[]): string {
  return csvText(
    CSV_COLUMNS,
    verdicts.map((v) => [
      v.ticketId,
      v.createdAt,
      v.store,
      v.outcome,
      v.reason,
      v.branch,
      v.template,
      v.outsideHours,
      v.replyAt,
      v.firstResponse?.by ?? null,
      v.firstResponse ? Math.round(v.firstResponse.afterSeconds) : null,
      v.covered,
      v.stale,
    ]),
  );
}

/** A self-contained HTML report: the table, and three charts drawn by Chart.js (inlined). */
export function htmlReport(summary: BacktestSummary, run: BacktestRun): string {
  const columns = summary.stores.length > 1 ? [...summary.stores, summary.all] : summary.stores;
  const head = columns.map((s) => `<th>${escapeHtml(s.store)}</th>`).join('');
  const body = ROWS.map(
    ([label, cell]) =>
      `<tr><th scope="row">${escapeHtml(label)}</th>${columns.map((s) => `<td>${escapeHtml(cell(s))}</td>`).join('')}</tr>`,
  ).join('\n');
  const reasons = [...new Set(summary.stores.flatMap((s) => [...Object.keys(s.notAnswered)]))].sort(
    (a, b) => (summary.all.notAnswered[b] ?? 0) - (summary.all.notAnswered[a] ?? 0),
  );
  const outcomes = {
    labels: ['answered', 'dry run', ...reasons],
    datasets: summary.stores.map((s) => ({
      label: s.store,
      data: [s.replied, s.dryRun, ...reasons.map((r) => s.notAnswered[r] ?? 0)],
    })),
  };
  const data = {
    outcomes,
    firstResponse: {
      labels: summary.firstResponseHistogram.map((b) => b.label),
      datasets: [{ label: 'tickets', data: summary.firstResponseHistogram.map((b) => b.count) }],
    },
    byHour: {
      labels: Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}h`),
      datasets: [
        { label: 'in business hours', data: summary.repliesByHour.inHours },
        { label: 'outside business hours', data: summary.repliesByHour.outsideHours },
      ],
    },
  };
  const table = `<table>
<thead><tr><th></th>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>`;
  return reportPage({
    title: `Backtest ${run.since} → ${run.until}`,
    meta: `Policy ${run.policyFile} on ${run.account}: what it would have done with each ticket, as of the ticket's creation, next to what really happened.`,
    body: table,
    charts: [
      { id: 'outcomes', caption: 'Outcomes by reason' },
      { id: 'firstResponse', caption: 'First answer by a human or a Rule' },
      { id: 'byHour', caption: "Auto-replies by hour of day (each store's time)" },
    ],
    data,
    drawCharts: `function colour(sets) { sets.forEach(function (d, i) { d.backgroundColor = palette[i % palette.length]; }); return sets; }
    new Chart(document.getElementById('outcomes'), { type: 'bar', data: { labels: data.outcomes.labels, datasets: colour(data.outcomes.datasets) },
      options: Object.assign({ indexAxis: 'y', scales: { x: { stacked: true }, y: { stacked: true } } }, common) });
    new Chart(document.getElementById('firstResponse'), { type: 'bar', data: { labels: data.firstResponse.labels, datasets: colour(data.firstResponse.datasets) },
      options: Object.assign({ plugins: { legend: { display: false } } }, common) });
    new Chart(document.getElementById('byHour'), { type: 'bar', data: { labels: data.byHour.labels, datasets: colour(data.byHour.datasets) },
      options: Object.assign({ scales: { x: { stacked: true }, y: { stacked: true } } }, common) });`,
  });
}
