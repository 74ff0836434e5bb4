import { rmSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, readEnvironment } from '../../config';
import { readLocalStack } from '../dev/local-stack';
import { gorgiasClientFrom } from '../../gorgias/from-config';
import {
  parseReportArguments,
  reportGorgiasEnvironment,
  type ReportArguments,
} from '../reports/command-line';
import { CallMeter } from '../scorecard/call-use';
import { runScorecard } from '../scorecard/run';
import { connectionOptions } from '../../temporal/connection';

/**
 * `npm run scorecard -- --since 2026-10-01 [--until 2026-11-01] [--share 0.2] [--out report.html] [--csv file]
 * [--figures file] [--cache file | --no-cache] [--fresh]`: does the acknowledgement help? The tickets the policy
 * held out against the acknowledged ones (docs/scorecard.md), read from the configured Gorgias (or the sandbox
 * `npm start` runs) within a share of its rate limit, joined with Temporal's record of each decision.
 */

/** The share of the account's rate limit a report takes by default: the acknowledgements keep the rest. */
export const DEFAULT_SHARE = 0.2;

export interface ScorecardArguments extends ReportArguments {
  /** The CSV with one line per figure (the other has one per ticket). */
  figures: string;
  share: number;
}

const USAGE =
  'Usage: npm run scorecard -- --since YYYY-MM-DD [--until YYYY-MM-DD] [--share 0.2] [--out report.html] [--csv file] [--figures file] [--cache file | --no-cache] [--fresh]';

export function parseScorecardArguments(argv: string[], now: Date): ScorecardArguments {
  const { values, ...range } = parseReportArguments(
    argv,
    { name: 'scorecard', usage: USAGE, options: { share: { type: 'string' }, figures: { type: 'string' } } },
    now,
  );
  const share = typeof values.share === 'string' ? Number(values.share) : DEFAULT_SHARE;
  if (!(share > 0 && share <= 1)) {
    throw new Error(
      `--share: the share of the account's rate limit, above 0 and at most 1 (e.g. 0.2).\n${USAGE}`,
    );
  }
  const figures =
    typeof values.figures === 'string' ? values.figures : range.csv.replace(/\.csv$/i, '') + '-figures.csv';
  return { ...range, share, figures };
}

async function run(): Promise<void> {
  const env = readEnvironment();
  const args = parseScorecardArguments(process.argv.slice(2), new Date());
  // Temporal: TEMPORAL_ADDRESS's, else the dev server `npm start` runs.
  const local = env.TEMPORAL_ADDRESS ? null : readLocalStackIfAny();
  const config = loadConfig(
    {
      ...reportGorgiasEnvironment(env),
      ...(local ? { TEMPORAL_ADDRESS: local.temporalAddress, TEMPORAL_NAMESPACE: local.namespace } : {}),
    },
    ['gorgias', 'temporal'],
  );
  if (args.fresh && args.cache) rmSync(args.cache, { force: true });
  const calls = new CallMeter({
    share: args.share,
    capacity: config.gorgias.GORGIAS_RATE_LIMIT_BURST,
    windowSeconds: config.gorgias.GORGIAS_RATE_LIMIT_WINDOW_SECONDS,
  });
  // A report waits for its turn as long as it takes: the acknowledgements go first.
  const gorgias = gorgiasClientFrom(config, calls.onCall, { share: args.share, maxWaitMs: 10 * 60_000 });
  const connection = await Connection.connect(connectionOptions(config.temporal));
  try {
    const result = await runScorecard({
      gorgias,
      calls,
      temporal: new Client({ connection, namespace: config.temporal.TEMPORAL_NAMESPACE }),
      since: args.since,
      until: args.until,
      cacheFile: args.cache,
      htmlFile: args.out,
      csvFile: args.csv,
      figuresCsvFile: args.figures,
      account: new URL(config.gorgias.GORGIAS_BASE_URL).host,
      progress: process.stderr,
    });
    process.stdout.write(`\n${result.text}\n\n`);
    process.stdout.write(
      `Report: ${args.out}\nCSV (one line per ticket): ${args.csv}\nCSV (one line per figure): ${args.figures}\n`,
    );
    if (args.cache)
      process.stdout.write(`Cache (resumes an interrupted run; --fresh reads again): ${args.cache}\n`);
  } finally {
    await connection.close();
  }
}

function readLocalStackIfAny() {
  try {
    return readLocalStack();
  } catch {
    return null;
  }
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
