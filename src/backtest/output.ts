import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { escapeHtml } from '../activities/reply-content';
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

function csvCell(value: string | number | boolean | null): string {
  const text = value === null ? '' : String(value);
  // Quote what needs it; a leading = + - @ is neutralised so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One line per ticket: what the policy would have done, and what really happened. */
export function verdictsCsv(verdicts: readonly TicketVerdict[]): string {
  const lines = verdicts.map((v) =>
    [
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
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...lines].join('\n')}\n`;
}

/** Chart.js's self-contained browser build, inlined into the report so it opens offline. */
function chartJsSource(): string {
  // The package exports its module builds only; the UMD build sits beside them in dist/.
  const file = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  return readFileSync(file, 'utf8');
}

/** JSON for a <script> element: nothing in it can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
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
  const title = `Backtest ${run.since} → ${run.until}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px 32px; color: #1f2933; }
  h1 { font-size: 22px; margin: 0 0 4px; } .meta { color: #52606d; margin: 0 0 18px; }
  table { border-collapse: collapse; margin-bottom: 24px; }
  th, td { border-bottom: 1px solid #e4e7eb; padding: 5px 12px; text-align: left; vertical-align: top; }
  thead th { background: #f5f7fa; } tbody th { font-weight: 500; color: #3e4c59; }
  .charts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 24px; }
  figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 6px; } .chart { position: relative; height: 300px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Policy ${escapeHtml(run.policyFile)} on ${escapeHtml(run.account)}: what it would have done with each ticket, as of the ticket's creation, next to what really happened.</p>
<table>
<thead><tr><th></th>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
<div class="charts">
  <figure><figcaption>Outcomes by reason</figcaption><div class="chart"><canvas id="outcomes"></canvas></div></figure>
  <figure><figcaption>First answer by a human or a Rule</figcaption><div class="chart"><canvas id="firstResponse"></canvas></div></figure>
  <figure><figcaption>Auto-replies by hour of day (each store's time)</figcaption><div class="chart"><canvas id="byHour"></canvas></div></figure>
</div>
<script type="application/json" id="backtest-data">${scriptJson(data)}</script>
<script>${chartJsSource()}</script>
<script>
  (function () {
    var data = JSON.parse(document.getElementById('backtest-data').textContent);
    var palette = ['#3e7cb1', '#e07a5f', '#81b29a', '#f2cc8f', '#6d597a', '#3d405b'];
    function colour(sets) { sets.forEach(function (d, i) { d.backgroundColor = palette[i % palette.length]; }); return sets; }
    var common = { responsive: true, maintainAspectRatio: false, animation: false };
    new Chart(document.getElementById('outcomes'), { type: 'bar', data: { labels: data.outcomes.labels, datasets: colour(data.outcomes.datasets) },
      options: Object.assign({ indexAxis: 'y', scales: { x: { stacked: true }, y: { stacked: true } } }, common) });
    new Chart(document.getElementById('firstResponse'), { type: 'bar', data: { labels: data.firstResponse.labels, datasets: colour(data.firstResponse.datasets) },
      options: Object.assign({ plugins: { legend: { display: false } } }, common) });
    new Chart(document.getElementById('byHour'), { type: 'bar', data: { labels: data.byHour.labels, datasets: colour(data.byHour.datasets) },
      options: Object.assign({ scales: { x: { stacked: true }, y: { stacked: true } } }, common) });
    document.body.setAttribute('data-charts', 'drawn');
  })();
</script>
</body>
</html>
`;
}
