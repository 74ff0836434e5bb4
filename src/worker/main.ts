import { Client, Connection } from '@temporalio/client';
import { loadConfig, readEnvironment } from '../config';
import { createLogger } from '../logging';
import { loadPolicy } from '../policy/load';
import { installTemporalRuntime } from '../telemetry/runtime';
import { connectionOptions, connectWorker } from '../temporal/connection';
import { createAutoReplyWorker, prepareNamespace } from '.';

/** `npm run worker`: runs the ticket workflows and their activities. Run as many as you like. */
async function run(): Promise<void> {
  const config = loadConfig(readEnvironment(), ['temporal', 'gorgias', 'policy', 'worker', 'logging']);
  const policy = loadPolicy(config.policy.POLICY_FILE);
  const logger = createLogger(config.logging, 'worker');
  const { METRICS_HOST, METRICS_PORT } = config.worker;
  installTemporalRuntime(logger, METRICS_PORT ? `${METRICS_HOST}:${METRICS_PORT}` : null);

  const { temporal } = config;
  const clientConnection = await Connection.connect(connectionOptions(temporal));
  const client = new Client({ connection: clientConnection, namespace: temporal.TEMPORAL_NAMESPACE });
  await prepareNamespace({
    client,
    connection: clientConnection,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    policy,
    logger,
  });

  const connection = await connectWorker(temporal);
  const worker = await createAutoReplyWorker({ connection, client, config, policy });
  logger.info(
    { taskQueue: temporal.TEMPORAL_TASK_QUEUE, namespace: temporal.TEMPORAL_NAMESPACE },
    'worker started',
  );
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves once it has.
  await worker.run();
  await connection.close();
  await clientConnection.close();
  logger.info('worker stopped');
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
