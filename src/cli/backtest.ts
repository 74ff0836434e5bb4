import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBacktest } from '../backtest/run';
import { loadConfig, readEnvironment } from '../config';
import { DATA_DIR, readLocalStack } from '../dev/local-stack';
import { gorgiasClientFrom } from '../gorgias/from-config';
import { DEFAULT_POLICY_FILE, loadPolicy } from '../policy/load';

/**
 * `npm run backtest -- --since 2026-10-01 [--until 2026-11-01] [--policy my-policy.yaml] [--out report.html]
 * [--csv tickets.csv] [--cache file] [--fresh]`: what a policy would have done with past tickets, read from the
 * configured Gorgias (GORGIAS_BASE_URL), or the sandbox `npm start` runs. Read-only; resumable.
 */

export interface BacktestArguments {
  since: Date;
  until: Date;
  policyFile: string;
  out: string;
  csv: string;
  cache: string | null;
  fresh: boolean;
}

const USAGE =
  'Usage: npm run backtest -- --since YYYY-MM-DD [--until YYYY-MM-DD] [--policy file] [--out report.html] [--csv file] [--cache file | --no-cache] [--fresh]';

/** A date (`2026-10-01`, midnight UTC) or a full datetime. */
function dateArgument(name: string, value: string): Date {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(ms)) throw new Error(`--${name}: not a date: ${value}\n${USAGE}`);
  return new Date(ms);
}

export function parseBacktestArguments(
  argv: string[],
  env: Record<string, string | undefined>,
  now: Date,
): BacktestArguments {
  const { values } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      policy: { type: 'string' },
      out: { type: 'string', default: 'backtest-report.html' },
      csv: { type: 'string' },
      cache: { type: 'string' },
      'no-cache': { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.since) throw new Error(`--since is required.\n${USAGE}`);
  const since = dateArgument('since', values.since);
  const until = values.until ? dateArgument('until', values.until) : now;
  if (until <= since) throw new Error(`--until must come after --since.\n${USAGE}`);
  const out = values.out ?? 'backtest-report.html';
  return {
    since,
    until,
    policyFile: values.policy ?? env.POLICY_FILE ?? DEFAULT_POLICY_FILE,
    out,
    csv: values.csv ?? out.replace(/\.html?$/i, '') + '.csv',
    cache: values['no-cache'] ? null : (values.cache ?? join(DATA_DIR, 'backtest', `${values.since}.jsonl`)),
    fresh: values.fresh ?? false,
  };
}

async function run(): Promise<void> {
  const env = readEnvironment();
  const args = parseBacktestArguments(process.argv.slice(2), env, new Date());
  const policy = loadPolicy(args.policyFile);
  let gorgiasEnv = env;
  if (!env.GORGIAS_BASE_URL) {
    const sandbox = readLocalStack().sandbox;
    if (!sandbox)
      throw new Error('Set GORGIAS_BASE_URL (and credentials), or run `npm start` for the sandbox.');
    gorgiasEnv = {
      ...env,
      GORGIAS_BASE_URL: sandbox.url,
      GORGIAS_USERNAME: sandbox.username,
      GORGIAS_API_KEY: sandbox.apiKey,
    };
  }
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
