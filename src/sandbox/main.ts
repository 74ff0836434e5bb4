import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { startSandbox } from './server';

/** Runs the sandbox on its own: `node dist/sandbox/main.js`. Settings come from the environment. */

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
    rateLimit: settings.SANDBOX_RATE_LIMIT ? undefined : false,
  });
  const limit = settings.SANDBOX_RATE_LIMIT ? 'rate limit on' : 'rate limit off';
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
