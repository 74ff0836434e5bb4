import type { Policy } from '../../policy/schema';
import { BacktestCache } from './cache';
import { evaluateTickets, type TicketVerdict } from './evaluate';
import { htmlReport, textTable, verdictsCsv, type BacktestRun } from './output';
import { readPastTickets, type BacktestGorgias } from './source';
import { summarizeVerdicts, type BacktestSummary } from './summary';
import { writeReportFile } from '../reports/write';

export interface BacktestOptions {
  gorgias: BacktestGorgias;
  policy: Policy;
  since: Date;
  until: Date;
  /** The cache file (null: keep nothing, read everything). */
  cacheFile: string | null;
  /** Where the HTML report and the CSV go (null: not written). */
  htmlFile: string | null;
  csvFile: string | null;
  /** For the report's heading. */
  policyFile: string;
  account: string;
  progress: { write(text: string): unknown; isTTY?: boolean } | null;
  sleep?: (ms: number) => Promise<void>;
}

export interface BacktestResult {
  verdicts: TicketVerdict[];
  summary: BacktestSummary;
  table: string;
}

/** Reads the range (resumably), runs the policy over it, writes the CSV and the HTML report. */
export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const cache = new BacktestCache(options.cacheFile);
  const tickets = await readPastTickets(options.gorgias, {
    since: options.since,
    until: options.until,
    policy: options.policy,
    cache,
    progress: options.progress,
    sleep: options.sleep,
  });
  const verdicts = evaluateTickets(tickets, options.policy, (id) => cache.customers.get(id));
  const summary = summarizeVerdicts(verdicts);
  const run: BacktestRun = {
    since: options.since.toISOString().slice(0, 10),
    until: options.until.toISOString().slice(0, 10),
    policyFile: options.policyFile,
    account: options.account,
  };
  if (options.csvFile) writeReportFile(options.csvFile, verdictsCsv(verdicts));
  if (options.htmlFile) writeReportFile(options.htmlFile, htmlReport(summary, run));
  return { verdicts, summary, table: textTable(summary) };
}
