import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { RATE_LIMITS } from './options';
import { DEFAULT_SENDING } from './sending';
import { startSandbox } from './server';

/** Runs the sandbox on its own: `node dist/tools/sandbox/main.js`. Settings come from the environment. */

const settingsSchema = z.object({
  SANDBOX_PORT: z.coerce
    .number({ message: 'must be a port number' })
    .int({ message: 'must be a port number' })
    .min(0, { message: 'must be a port number (0-65535)' })
    .max(65535, { message: 'must be a port number (0-65535)' })
    .default(4010),
  SANDBOX_HOST: z.string().trim().min(1).default('127.0.0.1'),
  GORGIAS_USERNAME: z.string().trim().min(1).default('autoreply@example.com'),
  GORGIAS_API_KEY: z.string().min(1).default('sandbox-api-key'),
  SANDBOX_RATE_LIMIT: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('true')
    .transform((value) => value === 'true'),
  // An API key's limit by default; 80 and 20 for an OAuth app, 40 and 10 on some plans (docs/gorgias.md).
  SANDBOX_RATE_LIMIT_CAPACITY: z.coerce
    .number({ message: 'must be a whole number of calls' })
    .int({ message: 'must be a whole number of calls' })
    .min(1, { message: 'must be at least 1' })
    .default(RATE_LIMITS.apiKey.capacity),
  SANDBOX_RATE_LIMIT_WINDOW_SECONDS: z.coerce
    .number({ message: 'must be a number of seconds' })
    .positive({ message: 'must be more than 0 seconds' })
    .default(RATE_LIMITS.apiKey.windowSeconds),
  SANDBOX_SEND_DELAY_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int({ message: 'must be a whole number of milliseconds' })
    .min(0, { message: 'must not be negative' })
    .default(DEFAULT_SENDING.delayMs),
  /** Comma-separated recipient addresses whose messages fail to send. */
  SANDBOX_FAIL_SENDS_TO: z
    .string()
    .default('')
    .transform((list) =>
      list
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
    ),
});

async function run(): Promise<void> {
  loadDotenv({ quiet: true });
  const parsed = settingsSchema.safeParse(process.env);
  if (!parsed.success) {
    // Name the variable and the reason, never the value: it may be the API key.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    console.error(`Invalid sandbox settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  const settings = parsed.data;

  const sandbox = await startSandbox({
    port: settings.SANDBOX_PORT,
    host: settings.SANDBOX_HOST,
    username: settings.GORGIAS_USERNAME,
    apiKey: settings.GORGIAS_API_KEY,
    rateLimit: settings.SANDBOX_RATE_LIMIT
      ? {
          capacity: settings.SANDBOX_RATE_LIMIT_CAPACITY,
          windowSeconds: settings.SANDBOX_RATE_LIMIT_WINDOW_SECONDS,
        }
      : false,
    sendDelayMs: settings.SANDBOX_SEND_DELAY_MS,
    failSendsTo: settings.SANDBOX_FAIL_SENDS_TO,
  });
  const limit = settings.SANDBOX_RATE_LIMIT
    ? `rate limit ${settings.SANDBOX_RATE_LIMIT_CAPACITY}/${settings.SANDBOX_RATE_LIMIT_WINDOW_SECONDS} s`
    : 'rate limit off';
  console.log(`Gorgias sandbox listening on ${sandbox.url} (user ${settings.GORGIAS_USERNAME}, ${limit})`);

  const stop = () => {
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
