import { randomBytes } from 'node:crypto';
import { answeredChannels, bannerLines } from '../../gorgias/account-check';
import { loadConfig, readEnvironment } from '../../config';
import { createLogger } from '../../logging';
import { startSandbox } from '../sandbox';
import { WEBHOOK_PATH } from '../../server/app';
import { accountCheckFrom, intakeFromConfig } from '../../server/from-config';
import { listenApp } from '../../server/http-server';
import { describeCli, ensureTemporalCli } from '../dev/temporal-cli';
import { lazyClientConnection } from '../../temporal/connection';
import { QUICK_TASK_DISPATCH, startDevServer } from '../dev/dev-server';
import { launchWorker, workerTuning } from '../../worker';
import { policyFromConfig } from '../../policy/load';
import { IntakeMetrics } from '../../telemetry/intake-metrics';
import { installTemporalRuntime } from '../../telemetry/runtime';
import { writeLocalStack } from '../dev/local-stack';
import { StopList } from '../dev/stop-list';

/**
 * `npm start`: the whole service on one machine. A Temporal dev server (state in .data/, Web UI on 8233)
 * unless TEMPORAL_ADDRESS names one; the Gorgias sandbox unless GORGIAS_BASE_URL names a real account;
 * then a worker and the webhook server. Ctrl-C stops everything, in reverse order.
 */

const SANDBOX_USERNAME = 'autoreply@example.com';
const SANDBOX_API_KEY = 'sandbox-api-key';

const say = (line = '') => process.stdout.write(`${line}\n`);

async function run(): Promise<void> {
  const env = { ...readEnvironment() };
  env.LOG_PRETTY ??= 'true';
  const { local, logging, worker: workerSettings } = loadConfig(env, ['local', 'logging', 'worker']);
  const logger = createLogger(logging, 'start');
  // Before anything touches the SDK's native runtime (the Temporal CLI download does).
  const { METRICS_HOST, METRICS_PORT } = workerSettings;
  installTemporalRuntime(
    createLogger(logging, 'worker'),
    METRICS_PORT ? `${METRICS_HOST}:${METRICS_PORT}` : null,
  );
  const stops = new StopList((err) => logger.error({ err }, 'error while stopping'));

  try {
    // One machine, one worker: each build it runs becomes current at once, so a code change applies to the next
    // ticket. Tickets pinned to the build before wait for it; the worker says how many (README, "Changing the
    // workflow").
    env.TEMPORAL_WORKER_SET_CURRENT ||= 'always';
    const generatedSecret = !env.WEBHOOK_SECRET;
    env.WEBHOOK_SECRET ||= randomBytes(24).toString('hex');

    if (env.TEMPORAL_ADDRESS) {
      say(
        `[temporal] Using the Temporal server at ${env.TEMPORAL_ADDRESS} (TEMPORAL_ADDRESS); no dev server`,
      );
    } else {
      const cli = await ensureTemporalCli({
        explicitPath: local.TEMPORAL_CLI_PATH,
        searchPath: env.PATH,
        log: (line) => say(`[temporal] ${line}`),
      });
      say(`[temporal] ${describeCli(cli)}`);
      const devServer = await startDevServer({
        cli,
        port: local.TEMPORAL_DEV_PORT,
        uiPort: local.TEMPORAL_UI_PORT,
        dbFilename: local.TEMPORAL_DB_FILE,
        namespace: env.TEMPORAL_NAMESPACE || 'default',
        dynamicConfig: QUICK_TASK_DISPATCH,
      });
      stops.push(() => devServer.stop());
      env.TEMPORAL_ADDRESS = devServer.address;
      env.TEMPORAL_UI_URL ||= devServer.uiUrl;
    }

    let sandboxCredentials: { url: string; username: string; apiKey: string } | null = null;
    if (!env.GORGIAS_BASE_URL) {
      env.GORGIAS_USERNAME ||= SANDBOX_USERNAME;
      env.GORGIAS_API_KEY ||= SANDBOX_API_KEY;
      const sandbox = await startSandbox({
        port: local.SANDBOX_PORT,
        username: env.GORGIAS_USERNAME,
        apiKey: env.GORGIAS_API_KEY,
        // The sandbox forgets its tickets on restart but the dev server keeps its workflows: ids that follow
        // the clock never meet an earlier run's workflow.
        firstTicketId: Math.floor(Date.now() / 1000) - 1_700_000_000,
        ...(local.SANDBOX_RATE_LIMIT ? {} : { rateLimit: false }),
      });
      stops.push(() => sandbox.close());
      env.GORGIAS_BASE_URL = sandbox.url;
      sandboxCredentials = { url: sandbox.url, username: env.GORGIAS_USERNAME, apiKey: env.GORGIAS_API_KEY };
    }

    const config = loadConfig(env, ['temporal', 'webhook', 'gorgias', 'policy', 'logging']);
    const { temporal, webhook } = config;
    const policy = policyFromConfig(config.policy);

    // A lazy client connection: the intake keeps answering (503) if Temporal goes away, and recovers.
    const clientConnection = lazyClientConnection(temporal);
    stops.push(() => clientConnection.close());
    const { worker, client, workerConnection, version, account } = await launchWorker({
      clientConnection,
      config,
      policy,
      logger,
      killSwitchFile: config.policy.KILL_SWITCH_FILE,
      dryRunForced: config.policy.DRY_RUN,
      tuning: workerTuning(workerSettings),
    });
    stops.push(() => workerConnection.close());
    const workerRun = worker.run();
    stops.push(async () => {
      // The SDK may already be shutting the worker down on the same signal.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
    });

    const app = intakeFromConfig(config, {
      client,
      logger: createLogger(config.logging, 'webhook-server'),
      metrics: new IntakeMetrics({ processMetrics: true }),
      account: accountCheckFrom(config, answeredChannels(policy)),
    });
    const server = await listenApp(app, webhook.PORT, webhook.HOST);
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const webhookUrl = `http://localhost:${webhook.PORT}${WEBHOOK_PATH}`;
    writeLocalStack({
      webhookUrl,
      webhookSecret: webhook.WEBHOOK_SECRET,
      temporalAddress: temporal.TEMPORAL_ADDRESS,
      namespace: temporal.TEMPORAL_NAMESPACE,
      uiUrl: temporal.TEMPORAL_UI_URL,
      sandbox: sandboxCredentials,
    });

    say();
    say('gorgias-autoreply is running');
    say(`  Webhook URL      ${webhookUrl}?event=ticket-created`);
    say(
      `  Webhook token    Authorization: Bearer ${generatedSecret ? webhook.WEBHOOK_SECRET : '<your WEBHOOK_SECRET>'}`,
    );
    if (generatedSecret) say('                   (generated for this run; set WEBHOOK_SECRET to keep one)');
    say(`  Temporal Web UI  ${temporal.TEMPORAL_UI_URL}/namespaces/${temporal.TEMPORAL_NAMESPACE}/workflows`);
    say(`  Temporal server  ${temporal.TEMPORAL_ADDRESS}`);
    say(
      `  Worker version   ${version ? `${version.deploymentName} · ${version.buildId} (new tickets start on it)` : 'unversioned (TEMPORAL_WORKER_VERSIONING=false)'}`,
    );
    say(
      `  Metrics          http://localhost:${webhook.PORT}/metrics (webhooks)` +
        (METRICS_PORT ? `, http://localhost:${METRICS_PORT}/metrics (worker)` : ''),
    );
    say(
      `  Policy           ${config.policy.POLICY_FILE ?? 'policy/default.yaml'}${policy.dry_run ? ' (DRY RUN: notes only, no replies)' : ''}`,
    );
    if (sandboxCredentials) {
      const key = sandboxCredentials.apiKey === SANDBOX_API_KEY ? SANDBOX_API_KEY : '<your GORGIAS_API_KEY>';
      say(
        `  Gorgias sandbox  ${sandboxCredentials.url}  (user ${sandboxCredentials.username}, API key ${key})`,
      );
    } else {
      say(`  Gorgias          ${config.gorgias.GORGIAS_BASE_URL}`);
    }
    for (const line of bannerLines(account)) say(line);
    say('  Try it           npm run demo   (in another terminal)');
    say('  Stop             Ctrl-C');
    say();
  } catch (err) {
    await stops.stopAll();
    throw err;
  }

  stops.stopOnSignals(say, 'the webhook server, the worker, the sandbox and the dev server');
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
