import { rmSync } from 'node:fs';
import { runBacktest } from '../backtest/run';
import { loadConfig, readEnvironment } from '../../config';
import {
  parseReportArguments,
  reportGorgiasEnvironment,
  type ReportArguments,
} from '../reports/command-line';
import { gorgiasClientFrom } from '../../gorgias/from-config';
import { DEFAULT_POLICY_FILE, loadPolicy } from '../../policy/load';

/**
 * `npm run backtest -- --since 2026-10-01 [--until 2026-11-01] [--policy my-policy.yaml] [--out report.html]
 * [--csv tickets.csv] [--cache file] [--fresh]`: what a policy would have done with past tickets, read from the
 * configured Gorgias (GORGIAS_BASE_URL), or the sandbox `npm start` runs. Read-only; resumable.
 */

export interface BacktestArguments extends ReportArguments {
  policyFile: string;
}

const USAGE =
  'Usage: npm run backtest -- --since YYYY-MM-DD [--until YYYY-MM-DD] [--policy file] [--out report.html] [--csv file] [--cache file | --no-cache] [--fresh]';

export function parseBacktestArguments(
  argv: string[],
  env: Record<string, string | undefined>,
  now: Date,
): BacktestArguments {
  const { values, ...range } = parseReportArguments(
    argv,
    { name: 'backtest', usage: USAGE, options: { policy: { type: 'string' } } },
    now,
  );
  const policy = typeof values.policy === 'string' ? values.policy : undefined;
  return { ...range, policyFile: policy ?? env.POLICY_FILE ?? DEFAULT_POLICY_FILE };
}

async function run(): Promise<void> {
  const env = readEnvironment();
  const args = parseBacktestArguments(process.argv.slice(2), env, new Date());
  const policy = loadPolicy(args.policyFile);
  const gorgiasEnv = reportGorgiasEnvironment(env);
  const config = loadConfig(gorgiasEnv, ['gorgias']);
  if (args.fresh && args.cache) rmSync(args.cache, { force: true });
  const result = await runBacktest({
    gorgias: gorgiasClientFrom(config),
    policy,
    since: args.since,
    until: args.until,
    cacheFile: args.cache,
    htmlFile: args.out,
    csvFile: args.csv,
    policyFile: args.policyFile,
    account: new URL(config.gorgias.GORGIAS_BASE_URL).host,
    progress: process.stderr,
  });
  process.stdout.write(`\n${result.table}\n\n`);
  process.stdout.write(`Report: ${args.out}\nCSV (one line per ticket): ${args.csv}\n`);
  if (args.cache)
    process.stdout.write(`Cache (resumes an interrupted run; --fresh reads again): ${args.cache}\n`);
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
