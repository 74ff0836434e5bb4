import type { Client } from '@temporalio/client';
import { BacktestCache } from '../backtest/cache';
import { writeReportFile } from '../reports/write';
import type { CallMeter } from './call-use';
import { readDecisions } from './decisions';
import { figuresCsv, htmlReport, textReport, ticketsCsv, type ScorecardRun } from './output';
import { readScorecardTickets, type ScorecardGorgias } from './source';
import { scorecardTickets, summarizeScorecard, type ScorecardSummary, type ScorecardTicket } from './summary';

export interface ScorecardOptions {
  /** A client whose call budget has the report's share (gorgiasClientFrom's `share`), counted by `calls`. */
  gorgias: ScorecardGorgias;
  calls: CallMeter;
  temporal: Pick<Client, 'workflow'>;
  since: Date;
  until: Date;
  /** The cache file (null: keep nothing, read everything). */
  cacheFile: string | null;
  /** Where the HTML report and the CSVs go (null: not written). */
  htmlFile: string | null;
  csvFile: string | null;
  figuresCsvFile: string | null;
  account: string;
  progress: { write(text: string): unknown; isTTY?: boolean } | null;
  sleep?: (ms: number) => Promise<void>;
}

export interface ScorecardResult {
  tickets: ScorecardTicket[];
  summary: ScorecardSummary;
  run: ScorecardRun;
  text: string;
}

/** Reads the range from Gorgias (resumably) and the decisions from Temporal, compares the arms, writes the files. */
export async function runScorecard(options: ScorecardOptions): Promise<ScorecardResult> {
  const { tickets, surveys } = await readScorecardTickets(options.gorgias, {
    since: options.since,
    until: options.until,
    cache: new BacktestCache(options.cacheFile),
    progress: options.progress,
    sleep: options.sleep,
  });
  const decisions = await readDecisions(options.temporal, options.since);
  const joined = scorecardTickets(tickets, surveys, decisions);
  const summary = summarizeScorecard(joined);
  const run: ScorecardRun = {
    since: options.since.toISOString().slice(0, 10),
    until: options.until.toISOString().slice(0, 10),
    account: options.account,
    calls: options.calls.use(),
  };
  if (options.csvFile) writeReportFile(options.csvFile, ticketsCsv(joined));
  if (options.figuresCsvFile) writeReportFile(options.figuresCsvFile, figuresCsv(summary));
  if (options.htmlFile) writeReportFile(options.htmlFile, htmlReport(summary, joined, run));
  return { tickets: joined, summary, run, text: textReport(summary, run) };
}
