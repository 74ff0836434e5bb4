import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { escapeHtml } from '../../reply/content';

/**
 * The HTML page the backtest and the scorecard write: self-contained (Chart.js's browser build inlined, the
 * figures as JSON in the page), so it opens offline and can be mailed as one file. The charts are drawn by the
 * report's own script from that JSON; the page says `data-charts="drawn"` on its body once they are.
 */

export interface ReportPage {
  title: string;
  /** The line under the title: what the report is of. */
  meta: string;
  /** HTML built by the report (tables), already escaped. */
  body: string;
  charts: { id: string; caption: string }[];
  /** The figures the charts are drawn from, as `data` in the chart script. */
  data: unknown;
  /** Script that draws each chart into `document.getElementById(id)`, with `data`, `palette` and `common` in scope. */
  drawCharts: string;
  /** Extra CSS. */
  style?: string;
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

export function reportPage(page: ReportPage): string {
  const figures = page.charts
    .map(
      ({ id, caption }) =>
        `  <figure><figcaption>${escapeHtml(caption)}</figcaption><div class="chart"><canvas id="${escapeHtml(id)}"></canvas></div></figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(page.title)}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px 32px; color: #1f2933; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; } .meta { color: #52606d; margin: 0 0 18px; }
  table { border-collapse: collapse; margin-bottom: 24px; }
  th, td { border-bottom: 1px solid #e4e7eb; padding: 5px 12px; text-align: left; vertical-align: top; }
  thead th { background: #f5f7fa; } tbody th { font-weight: 500; color: #3e4c59; }
  .charts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 24px; }
  figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 6px; } .chart { position: relative; height: 300px; }
${page.style ?? ''}
</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<p class="meta">${escapeHtml(page.meta)}</p>
${page.body}
<div class="charts">
${figures}
</div>
<script type="application/json" id="report-data">${scriptJson(page.data)}</script>
<script>${chartJsSource()}</script>
<script>
  (function () {
    var data = JSON.parse(document.getElementById('report-data').textContent);
    var palette = ['#3e7cb1', '#e07a5f', '#81b29a', '#f2cc8f', '#6d597a', '#3d405b'];
    var common = { responsive: true, maintainAspectRatio: false, animation: false };
    ${page.drawCharts}
    document.body.setAttribute('data-charts', 'drawn');
  })();
</script>
</body>
</html>
`;
}
