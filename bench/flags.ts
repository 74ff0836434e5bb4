import type { TemporalDb } from './stack';

/**
 * `npm run bench -- --duration 10 --connections 10 ...`. The defaults finish the whole run in about eight
 * minutes on a 2-core machine (the drain scenario alone takes ~2 minutes, bounded by the rate limit); about
 * fifteen with --cluster.
 */
export interface BenchFlags {
  /** Seconds of each intake run: the service, ceiling (a) and ceiling (b) each run this long. */
  duration: number;
  /** The service's and ceiling (a)'s seconds are split over this many rounds (one run of each per round). */
  rounds: number;
  /**
   * Seconds of load on each intake arm before anything is measured. Node's JIT is still compiling the
   * webhook server's code over its first 10-30 s under load (its CPU per delivery halves over that time), so
   * a short warm-up measures a process younger than any that serves for real. The service's warm-up goes on
   * (up to four times as long) until its CPU per delivery has settled.
   */
  warmup: number;
  /** Requests (or signal-with-start calls) in flight during the intake runs. */
  connections: number;
  collapseTickets: number;
  drainTickets: number;
  /** The worker's drain rate in the drain scenario (GORGIAS_RATE_LIMIT_WINDOW_SECONDS = 40 / it; production: 2). */
  drainWorkerRate: number;
  e2eTickets: number;
  baselineTickets: number;
  /** Tickets of each kind in the calls-per-ticket scenario. */
  callsPerKind: number;
  /** Share of Gorgias calls answered with a 5xx in the baseline scenario (the chaos suite's setting). */
  faultRate: number;
  /** Only these scenarios (comma-separated names); all by default. */
  only: Set<ScenarioName> | null;
  /** Write V8 CPU profiles of the worker and webhook server of the intake scenario to this directory. */
  profileDir: string | null;
  /** The dev server's persistence: in-memory SQLite (as the tests) or a file (as `npm start`). */
  temporalDb: TemporalDb;
  /** `--dynamic-config-value KEY=JSON` for the dev server, repeatable (e.g. task-queue partitions). */
  temporalDynamicConfig: string[];
  /**
   * Also run every scenario on the local production stack (PostgreSQL, two Temporal nodes: src/tools/dev/cluster),
   * reported beside the dev server's figures.
   */
  cluster: boolean;
  /** Extra environment of the intake, collapse and end-to-end scenarios' worker and webhook server, repeatable. */
  serviceEnv: Record<string, string>;
  /** Also run the intake's Temporal call behind a bare Node HTTP server in every intake round. */
  bareRelay: boolean;
  /** Also run ceiling (a) a second time in every intake round: an A/A check of the rounds' own noise. */
  aaCheck: boolean;
  /** Where the JSON goes. */
  out: string;
}

export const SCENARIOS = ['intake', 'collapse', 'drain', 'e2e', 'baseline', 'calls'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const DEFAULTS: BenchFlags = {
  duration: 24,
  rounds: 12,
  warmup: 15,
  connections: 10,
  collapseTickets: 500,
  drainTickets: 60,
  drainWorkerRate: 2,
  e2eTickets: 100,
  baselineTickets: 100,
  callsPerKind: 10,
  faultRate: 0.3,
  only: null,
  profileDir: null,
  temporalDb: 'memory',
  temporalDynamicConfig: [],
  cluster: false,
  serviceEnv: {},
  bareRelay: false,
  aaCheck: false,
  out: 'bench/results/latest.json',
};

const USAGE = `Usage: npm run bench -- [flags]
  --duration <s>           seconds of each intake run (default ${DEFAULTS.duration})
  --rounds <n>             the service's and ceiling (a)'s seconds split into this many rounds, alternating
                           which runs first; the figures are the rounds' medians (default ${DEFAULTS.rounds})
  --warmup <s>             seconds of load on each intake arm before measuring, while the JIT compiles; the service's
                           goes on until its CPU per delivery settles (default ${DEFAULTS.warmup})
  --connections <n>        intake concurrency (default ${DEFAULTS.connections})
  --collapse-tickets <n>   tickets with 3 concurrent deliveries each (default ${DEFAULTS.collapseTickets})
  --drain-tickets <n>      tickets delivered at once under the rate limit (default ${DEFAULTS.drainTickets})
  --drain-worker-rate <n>  the worker's calls a second there, i.e. GORGIAS_RATE_LIMIT_WINDOW_SECONDS = 40 / n (default ${DEFAULTS.drainWorkerRate})
  --e2e-tickets <n>        tickets delivered one after another (default ${DEFAULTS.e2eTickets})
  --baseline-tickets <n>   tickets for the inline-handler comparison (default ${DEFAULTS.baselineTickets})
  --calls-per-kind <n>     tickets of each kind in the calls-per-ticket scenario (default ${DEFAULTS.callsPerKind})
  --fault-rate <0..1>      share of Gorgias calls failing with 5xx in the baseline (default ${DEFAULTS.faultRate})
  --only <a,b>             run only these scenarios: ${SCENARIOS.join(', ')}
  --profile <dir>          write CPU profiles of the intake scenario's worker and server to <dir>
  --temporal-db <m|f>      dev server persistence: memory (default, as the tests) or file (as npm start)
  --temporal-config <k=v>  a dev server --dynamic-config-value, repeatable
  --cluster                also run the scenarios on the local production stack (PostgreSQL, two
                           Temporal nodes; npm run cluster's), side by side with the dev server's
  --service-env <k=v>      environment of the intake, collapse and e2e scenarios' worker and webhook server, repeatable
                           (e.g. WORKER_MAX_CACHED_WORKFLOWS=2000)
  --bare-relay             also run, in every intake round, the same Temporal call behind a bare Node HTTP
                           server in its own process (prices the extra process hop apart from the intake's code)
  --aa-check               also run ceiling (a) a second time, in every intake round, and compare it with itself
                           like the intake (an A/A check: how far identical arms land apart in these rounds)
  --out <file>             JSON output (default ${DEFAULTS.out})`;

function positive(name: string, value: string | undefined, integer: boolean): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} needs a positive ${integer ? 'integer' : 'number'}\n${USAGE}`);
  }
  return n;
}

export function parseFlags(argv: readonly string[]): BenchFlags {
  const flags: BenchFlags = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]?.replace(/^--/, '');
    const value = argv[i + 1];
    i++;
    switch (name) {
      case 'duration':
        flags.duration = positive(name, value, false);
        break;
      case 'rounds':
        flags.rounds = positive(name, value, true);
        break;
      case 'warmup':
        flags.warmup = positive(name, value, false);
        break;
      case 'service-env': {
        const eq = value?.indexOf('=') ?? -1;
        if (!value || eq <= 0) throw new Error(`--service-env needs KEY=VALUE\n${USAGE}`);
        flags.serviceEnv = { ...flags.serviceEnv, [value.slice(0, eq)]: value.slice(eq + 1) };
        break;
      }
      case 'connections':
        flags.connections = positive(name, value, true);
        break;
      case 'collapse-tickets':
        flags.collapseTickets = positive(name, value, true);
        break;
      case 'drain-tickets':
        flags.drainTickets = positive(name, value, true);
        break;
      case 'drain-worker-rate':
        flags.drainWorkerRate = positive(name, value, false);
        break;
      case 'e2e-tickets':
        flags.e2eTickets = positive(name, value, true);
        break;
      case 'baseline-tickets':
        flags.baselineTickets = positive(name, value, true);
        break;
      case 'calls-per-kind':
        flags.callsPerKind = positive(name, value, true);
        break;
      case 'fault-rate': {
        const rate = Number(value);
        if (!(rate >= 0 && rate < 1)) throw new Error(`--fault-rate needs a number in [0, 1)\n${USAGE}`);
        flags.faultRate = rate;
        break;
      }
      case 'only': {
        const names = (value ?? '').split(',').filter(Boolean);
        const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
        if (names.length === 0 || unknown.length > 0) {
          throw new Error(`--only: unknown scenario ${unknown.join(', ') || '(none)'}\n${USAGE}`);
        }
        flags.only = new Set(names as ScenarioName[]);
        break;
      }
      case 'profile':
        if (!value) throw new Error(`--profile needs a directory\n${USAGE}`);
        flags.profileDir = value;
        break;
      case 'temporal-db':
        if (value !== 'memory' && value !== 'file')
          throw new Error(`--temporal-db: memory or file\n${USAGE}`);
        flags.temporalDb = value;
        break;
      case 'temporal-config':
        if (!value?.includes('=')) throw new Error(`--temporal-config needs KEY=JSON\n${USAGE}`);
        flags.temporalDynamicConfig = [...flags.temporalDynamicConfig, value];
        break;
      case 'bare-relay':
        i--;
        flags.bareRelay = true;
        break;
      case 'aa-check':
        i--;
        flags.aaCheck = true;
        break;
      case 'cluster':
        // A switch: it takes no value.
        i--;
        flags.cluster = true;
        break;
      case 'out':
        if (!value) throw new Error(`--out needs a file\n${USAGE}`);
        flags.out = value;
        break;
      case 'help':
      case 'h':
        throw new Error(USAGE);
      default:
        throw new Error(`Unknown flag ${argv[i - 1]}\n${USAGE}`);
    }
  }
  return flags;
}
