import { Client } from '@temporalio/client';
import { loadConfig, readEnvironment } from '../config';
import { createLogger } from '../logging';
import { IntakeMetrics } from '../telemetry/intake-metrics';
import { lazyClientConnection } from '../temporal/connection';
import { WEBHOOK_PATH } from './app';
import { intakeFromConfig } from './from-config';
import { listenApp } from './http-server';

async function run(): Promise<void> {
  const config = loadConfig(readEnvironment(), ['temporal', 'webhook', 'logging']);
  const logger = createLogger(config.logging, 'webhook-server');
  const connection = lazyClientConnection(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.TEMPORAL_NAMESPACE });
  const app = intakeFromConfig(config, {
    client,
    logger,
    metrics: new IntakeMetrics({ processMetrics: true }),
  });
  // A port in use (or any other failure to listen) ends the process with its message, via run().catch.
  const server = await listenApp(app, config.webhook.PORT, config.webhook.HOST);
  logger.info({ port: config.webhook.PORT, path: WEBHOOK_PATH }, 'webhook server listening');
  const stop = () => {
    logger.info('stopping: no new webhooks; finishing requests in flight');
    // close() stops accepting and waits for requests in flight; idle keep-alive connections would hold it open.
    server.close(() => void connection.close().then(() => process.exit(0)));
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
