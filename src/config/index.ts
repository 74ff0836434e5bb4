import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { DEPLOYMENT_NAME, DEPLOYMENT_NAME_RULE } from '../reply/markers';
import { GORGIAS_ATTEMPT_MS, WRITE_MARGIN_MS } from '../gorgias/attempt';

/**
 * Configuration is read once, at start-up, from the environment (and an optional `.env` loaded by the entry
 * points), validated by one zod schema per concern, and passed down as one object. Nothing else in the code
 * reads `process.env`.
 */

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const temporalSchema = z.object({
  TEMPORAL_ADDRESS: z.string().trim().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('gorgias-autoreply'),
  /**
   * The deployment named in the markers of what the service posts on tickets, so another deployment on the
   * same Gorgias account (staging, a shadow dry run) is told apart; by default the namespace and task queue.
   */
  AUTOREPLY_DEPLOYMENT: optionalString.pipe(
    z.string().regex(DEPLOYMENT_NAME, { message: DEPLOYMENT_NAME_RULE }).optional(),
  ),
  /** Temporal Cloud API key; implies TLS. */
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: flag(false),
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  /** Base URL of the Temporal Web UI, used for trace links in notes and logs. */
  TEMPORAL_UI_URL: z
    .url({ message: 'must be a URL such as http://localhost:8233' })
    .default('http://localhost:8233'),
  /**
   * Worker Versioning (docs/production.md, "Deploying a workflow change"): the worker declares a Worker Deployment
   * version, and each ticket workflow runs to its end on the version it started on.
   */
  TEMPORAL_WORKER_VERSIONING: flag(true),
  /** The Worker Deployment's name; the task queue's name when unset. */
  TEMPORAL_WORKER_DEPLOYMENT_NAME: optionalString.pipe(
    z
      .string()
      .regex(/^[^.:]+$/, { message: 'must not contain "." or ":"' })
      .optional(),
  ),
  /** The version's build id; by default derived from the workflow bundle the worker runs (`wf-<sha256 prefix>`). */
  TEMPORAL_WORKER_BUILD_ID: optionalString,
  /**
   * When a starting worker makes its version the deployment's current one (where new tickets start):
   * `if-none` (only while the deployment has none: the first deploy), `always`, or `never` (the operator does).
   */
  TEMPORAL_WORKER_SET_CURRENT: z
    .enum(['if-none', 'always', 'never'], { message: 'must be if-none, always or never' })
    .default('if-none'),
});

export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 10 * 1024 * 1024;

const webhookSchema = z.object({
  PORT: port(3000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  WEBHOOK_SECRET: z
    .string({ message: 'is required: the token Gorgias sends as "Authorization: Bearer <token>"' })
    .min(16, { message: 'must be at least 16 characters (use a long random value)' }),
  /** How long the intake waits for Temporal before answering 503. */
  WEBHOOK_TEMPORAL_TIMEOUT_MS: positiveInt(5000),
  /** Larger bodies get 413. A `{{context}}` body carries the whole ticket thread, often over 1 MB. */
  WEBHOOK_MAX_BODY_BYTES: positiveInt(DEFAULT_WEBHOOK_MAX_BODY_BYTES),
});

/**
 * Hosts the API key may be sent to over plain http: this machine (a sandbox next to the service, tests) and a host
 * name without dots (a compose service such as `gorgias-sandbox`, reachable on the compose network only).
 * Anything else would carry the key in clear across networks; a Gorgias account is always https.
 */
function mayUsePlainHttp(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host) || /^[a-z0-9-]+$/.test(host)
  );
}

const gorgiasFields = z.object({
  /** The account's URL. Gorgias documents its API base as `https://{account}.gorgias.com/api/`: that works too. */
  GORGIAS_BASE_URL: z
    .url({ message: 'must be the account URL, e.g. https://acme.gorgias.com' })
    .refine(
      (url) =>
        !URL.canParse(url) || new URL(url).protocol === 'https:' || mayUsePlainHttp(new URL(url).hostname),
      {
        message:
          'must start with https:// (over http:// the API key travels in clear); http:// is accepted only for a ' +
          'sandbox on this machine (localhost, 127.x.x.x, [::1]) or a host name without dots, such as the compose ' +
          'service http://gorgias-sandbox:4010',
      },
    )
    .transform((url) => url.replace(/\/+$/, '').replace(/\/api$/i, '')),
  GORGIAS_USERNAME: z
    .string({ message: 'is required: the email of the Gorgias user who owns the API key' })
    .min(1),
  GORGIAS_API_KEY: z.string({ message: 'is required: a Gorgias REST API key' }).min(1),
  /** The helpdesk user the reply is sent as; defaults to the user identified by GORGIAS_USERNAME. */
  GORGIAS_SENDER_USER_ID: z.coerce.number().int().positive().optional(),
  GORGIAS_HTTP_TIMEOUT_MS: positiveInt(10_000),
  /**
   * Gorgias's leaky bucket: GORGIAS_RATE_LIMIT_BURST calls per GORGIAS_RATE_LIMIT_WINDOW_SECONDS (20 when unset),
   * draining burst / window a second. API-key integrations 40 per 20 s, OAuth apps 80 per 20 s, some plans
   * 40 per 10 s; the worker learns the account's burst from Gorgias's answers and keeps the window.
   */
  GORGIAS_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().positive().optional(),
  GORGIAS_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(40),
  /**
   * A POST that got no answer (timeout, reset connection) may still land at Gorgias: its retry waits this long
   * before looking for it, so it is found instead of posted twice.
   */
  GORGIAS_UNKNOWN_OUTCOME_WAIT_MS: positiveInt(30_000),
  /** The reply's From when the customer's email integration is unknown (default: the address they wrote to). */
  GORGIAS_REPLY_FROM: z.email({ message: 'must be an email address' }).optional(),
  GORGIAS_REPLY_FROM_NAME: optionalString,
  /** Replaced by GORGIAS_RATE_LIMIT_WINDOW_SECONDS; still read when that is unset (window = burst / rate). */
  GORGIAS_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().optional(),
  /** Workers calling Gorgias with the same account (e.g. `--scale worker=N`): each leaves room for the others. */
  GORGIAS_WORKERS_SHARING_ACCOUNT: z.coerce.number().int().positive().default(1),
  /** Gorgias calls one worker makes at once (its activity slots); the rest wait in the task queue. */
  GORGIAS_MAX_CONCURRENT_CALLS: z.coerce.number().int().positive().default(10),
});

/**
 * GORGIAS_HTTP_TIMEOUT_MS against the time an activity attempt has (src/gorgias/attempt.ts) and against the wait
 * before a retry looks for a POST whose answer was lost. Each problem names the variables, never their values.
 */
function timingProblems(g: z.infer<typeof gorgiasFields>, ctx: z.RefinementCtx): void {
  // A send reads (its integration; on a retry, the look-up for its earlier POST) and then writes, and a write
  // starts only with its timeout + 2 s left: both in one attempt, or every POST is refused until the ticket is stale.
  const maxTimeout = Math.floor((GORGIAS_ATTEMPT_MS - WRITE_MARGIN_MS) / 2);
  if (g.GORGIAS_HTTP_TIMEOUT_MS > maxTimeout) {
    ctx.addIssue({
      code: 'custom',
      path: ['GORGIAS_HTTP_TIMEOUT_MS'],
      message:
        `must be at most ${maxTimeout}: an attempt of a Gorgias activity lasts ${GORGIAS_ATTEMPT_MS / 1000} s, and a ` +
        `send's read and its POST (which starts only with its timeout + ${WRITE_MARGIN_MS / 1000} s left) must fit in it`,
    });
  }
  // A POST may be committed until its own timeout; a retry that looks for it sooner does not find it and posts again.
  if (g.GORGIAS_UNKNOWN_OUTCOME_WAIT_MS <= g.GORGIAS_HTTP_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['GORGIAS_UNKNOWN_OUTCOME_WAIT_MS'],
      message:
        'must be longer than GORGIAS_HTTP_TIMEOUT_MS: a POST can still be committed by Gorgias until its timeout, ' +
        'and a retry that looks for it sooner posts it again',
    });
  }
}

// The window defaults to 20 s, or comes from the old GORGIAS_RATE_LIMIT_PER_SECOND when only that is set.
const gorgiasSchema = gorgiasFields
  .superRefine(timingProblems)
  .transform(({ GORGIAS_RATE_LIMIT_PER_SECOND: perSecond, ...g }) => ({
    ...g,
    GORGIAS_RATE_LIMIT_WINDOW_SECONDS:
      g.GORGIAS_RATE_LIMIT_WINDOW_SECONDS ?? (perSecond ? g.GORGIAS_RATE_LIMIT_BURST / perSecond : 20),
  }));

const policySchema = z.object({
  /** The reply policy (YAML or JSON); the documented policy/default.yaml when unset. */
  POLICY_FILE: optionalString,
  /** Forces a dry run for every channel, whatever the policy file says: notes only, no replies. */
  DRY_RUN: flag(false),
  /**
   * The kill switch: while this file exists, no reply is sent, also by workflows already waiting or retrying
   * (checked immediately before each send). Their tickets get a note instead.
   */
  KILL_SWITCH_FILE: optionalString,
});

const loggingSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: flag(false),
});

const workerSchema = z.object({
  /** The worker's Prometheus metrics (SDK metrics, ticket outcomes, Gorgias calls) at :METRICS_PORT/metrics; 0 turns them off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METRICS_HOST: z.string().trim().min(1).default('0.0.0.0'),
  /**
   * Workflows a worker keeps in memory between their tasks (the SDK's maxCachedWorkflows). An evicted one is
   * replayed from its history at its next task: less memory, more CPU. The SDK's default grows with V8's heap
   * limit (2,310 with a 4 GB limit). Keep it at least WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, or 0 for no cache.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(100),
  /**
   * Workflow tasks a worker runs at once (the SDK's maxConcurrentWorkflowTaskExecutions; the SDK's default is
   * 40). A ticket's workflow task takes milliseconds and Gorgias's rate limit paces the work anyway, so 10 keep
   * up; with 40, a burst of new tickets had the worker's tasks compete with the intake for Temporal and took
   * ~60 MB more memory (docs/benchmarks.md, footprint).
   */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(10),
});

/** Settings of `npm start`, which runs the whole stack on one machine. */
const localSchema = z.object({
  /** A Temporal CLI to run instead of looking one up (PATH, cache), downloading or building it. */
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  /** SQLite file that keeps the dev server's workflows across restarts. */
  TEMPORAL_DB_FILE: z.string().min(1).default('.data/temporal.db'),
  SANDBOX_PORT: port(4010),
  SANDBOX_RATE_LIMIT: flag(true),
});

export type TemporalConfig = z.infer<typeof temporalSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;
export type GorgiasConfig = z.infer<typeof gorgiasSchema>;
export type PolicyConfig = z.infer<typeof policySchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
export type LoggingConfig = z.infer<typeof loggingSchema>;
export type LocalConfig = z.infer<typeof localSchema>;

const sections = {
  temporal: temporalSchema,
  webhook: webhookSchema,
  gorgias: gorgiasSchema,
  policy: policySchema,
  worker: workerSchema,
  logging: loggingSchema,
  local: localSchema,
};
type Sections = typeof sections;
export type SectionName = keyof Sections;

/** The configuration of a process: only the sections it asked for. */
export type Config<S extends SectionName = SectionName> = { [K in S]: z.infer<Sections[K]> };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the sections a process needs. Every bad variable is reported at once, by name and reason,
 * never with its value.
 */
export function loadConfig<S extends SectionName>(
  env: Record<string, string | undefined>,
  wanted: readonly S[],
): Config<S> {
  const problems: string[] = [];
  const result: Partial<Record<SectionName, unknown>> = {};
  for (const name of wanted) {
    const parsed = sections[name].safeParse(env);
    if (parsed.success) {
      result[name] = parsed.data;
    } else {
      for (const issue of parsed.error.issues) {
        const variable = issue.path.join('.') || name;
        const missing = env[variable] === undefined && issue.message.startsWith('Invalid input');
        const reason = missing ? 'is required' : issue.message;
        problems.push(`${variable}: ${reason}`);
      }
    }
  }
  if (wanted.includes('temporal' as S) && result.temporal) {
    problems.push(...temporalTlsProblems(result.temporal as TemporalConfig));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as Config<S>;
}

function temporalTlsProblems(t: TemporalConfig): string[] {
  const hasCert = t.TEMPORAL_TLS_CLIENT_CERT_PATH !== undefined;
  const hasKey = t.TEMPORAL_TLS_CLIENT_KEY_PATH !== undefined;
  if (hasCert === hasKey) return [];
  return [
    hasCert
      ? 'TEMPORAL_TLS_CLIENT_KEY_PATH: is required when TEMPORAL_TLS_CLIENT_CERT_PATH is set (mTLS needs both)'
      : 'TEMPORAL_TLS_CLIENT_CERT_PATH: is required when TEMPORAL_TLS_CLIENT_KEY_PATH is set (mTLS needs both)',
  ];
}

/** The variables that name a Gorgias account: a process for which it is optional loads `gorgias` when one is set. */
export const GORGIAS_ACCOUNT_VARIABLES = ['GORGIAS_BASE_URL', 'GORGIAS_USERNAME', 'GORGIAS_API_KEY'] as const;

export function namesGorgiasAccount(env: Record<string, string | undefined>): boolean {
  return GORGIAS_ACCOUNT_VARIABLES.some((name) => (env[name] ?? '').trim() !== '');
}

/** The process environment, with a `.env` file in the working directory filled in underneath it. */
export function readEnvironment(): Record<string, string | undefined> {
  loadDotenv({ quiet: true });
  return process.env;
}
