import { Client } from '@temporalio/client';
import { ACCOUNT_NOT_CHECKED, answeredChannels, type AccountCheck } from '../gorgias/account-check';
import { loadConfig, namesGorgiasAccount, readEnvironment, type Config } from '../config';
import { createLogger, type Logger } from '../logging';
import { policyFromConfig } from '../policy/load';
import { IntakeMetrics } from '../telemetry/intake-metrics';
import { lazyClientConnection } from '../temporal/connection';
import { WEBHOOK_PATH } from './app';
import { accountCheckFrom, intakeFromConfig } from './from-config';
import { listenApp } from './http-server';

async function run(): Promise<void> {
  const env = readEnvironment();
  const config = loadConfig(env, ['temporal', 'webhook', 'logging']);
  const logger = createLogger(config.logging, 'webhook-server');
  // The Gorgias account is optional here: given, /readyz checks it; else /readyz says it is not checked.
  const account = namesGorgiasAccount(env) ? loadConfig(env, ['gorgias', 'policy']) : null;
  const accountCheck = account ? accountCheckFrom(account, channelsOf(account, logger)) : undefined;
  const connection = lazyClientConnection(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.TEMPORAL_NAMESPACE });
  const app = intakeFromConfig(config, {
    client,
    logger,
    metrics: new IntakeMetrics({ processMetrics: true }),
    account: accountCheck,
  });
  // A port in use (or any other failure to listen) ends the process with its message, via run().catch.
  const server = await listenApp(app, config.webhook.PORT, config.webhook.HOST);
  logger.info({ port: config.webhook.PORT, path: WEBHOOK_PATH }, 'webhook server listening');
  if (accountCheck) void accountCheck().then((check) => logAccountCheck(check, logger));
  else logger.info(`Gorgias account not checked: ${ACCOUNT_NOT_CHECKED.reason}`);
  const stop = () => {
    logger.info('stopping: no new webhooks; finishing requests in flight');
    // close() stops accepting and waits for requests in flight; idle keep-alive connections would hold it open.
    server.close(() => void connection.close().then(() => process.exit(0)));
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * The channels the policy answers, for the account check's warnings. A policy that does not load leaves them
 * unchecked: the worker refuses such a policy, and the intake must keep taking deliveries all the same.
 */
function channelsOf(config: Config<'policy'>, logger: Logger): string[] | null {
  try {
    return answeredChannels(policyFromConfig(config.policy));
  } catch (err) {
    logger.error(
      `The reply policy did not load here, so Rules and reply addresses are not checked: ${String(err)}`,
    );
    return null;
  }
}

function logAccountCheck(check: AccountCheck, logger: Logger): void {
  if (check.status === 'ok') logger.info({ domain: check.domain }, 'Gorgias account checked');
  else if (check.status === 'misconfigured') logger.error(`Gorgias account misconfigured: ${check.reason}`);
  else logger.warn(`Gorgias account not checked: ${check.reason}`);
  for (const warning of check.warnings) logger.warn({ warning: warning.kind }, warning.message);
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
