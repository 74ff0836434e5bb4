import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DATA_DIR, readLocalStack } from '../dev/local-stack';

/**
 * What the reports' command lines share (`npm run backtest`, `npm run scorecard`): the range, the output files,
 * the cache, and the Gorgias account they read (GORGIAS_BASE_URL, or the sandbox `npm start` runs).
 */

export interface ReportArguments {
  since: Date;
  until: Date;
  out: string;
  csv: string;
  cache: string | null;
  fresh: boolean;
}

const REPORT_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  out: { type: 'string' },
  csv: { type: 'string' },
  cache: { type: 'string' },
  'no-cache': { type: 'boolean', default: false },
  fresh: { type: 'boolean', default: false },
} satisfies NonNullable<ParseArgsConfig['options']>;

/** A date (`2026-10-01`, midnight UTC) or a full datetime. */
function dateArgument(name: string, value: string, usage: string): Date {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(ms)) throw new Error(`--${name}: not a date: ${value}\n${usage}`);
  return new Date(ms);
}

/**
 * The shared arguments, and the report's own (`options`) as parsed: `--out` defaults to `<report>-report.html`,
 * `--csv` to the same name in .csv, the cache to `.data/<report>/<since>.jsonl`.
 */
export function parseReportArguments<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  report: { name: string; usage: string; options?: O },
  now: Date,
): ReportArguments & { values: Record<string, string | boolean | undefined> } {
  const values = parseArgs({
    args: argv,
    options: { ...REPORT_OPTIONS, ...report.options },
    strict: true,
  }).values as Record<string, string | boolean | undefined>;
  const text = (key: string) => (typeof values[key] === 'string' ? values[key] : undefined);
  const sinceText = text('since');
  if (!sinceText) throw new Error(`--since is required.\n${report.usage}`);
  const since = dateArgument('since', sinceText, report.usage);
  const untilText = text('until');
  const until = untilText ? dateArgument('until', untilText, report.usage) : now;
  if (until <= since) throw new Error(`--until must come after --since.\n${report.usage}`);
  const out = text('out') ?? `${report.name}-report.html`;
  return {
    since,
    until,
    out,
    csv: text('csv') ?? out.replace(/\.html?$/i, '') + '.csv',
    cache: values['no-cache'] ? null : (text('cache') ?? join(DATA_DIR, report.name, `${sinceText}.jsonl`)),
    fresh: values.fresh === true,
    values,
  };
}

/** The environment with the Gorgias account to read: GORGIAS_BASE_URL's, else the sandbox `npm start` runs. */
export function reportGorgiasEnvironment(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  if (env.GORGIAS_BASE_URL) return env;
  const sandbox = readLocalStack().sandbox;
  if (!sandbox)
    throw new Error('Set GORGIAS_BASE_URL (and credentials), or run `npm start` for the sandbox.');
  return {
    ...env,
    GORGIAS_BASE_URL: sandbox.url,
    GORGIAS_USERNAME: sandbox.username,
    GORGIAS_API_KEY: sandbox.apiKey,
  };
}
