import { loadConfig, readEnvironment } from '../config';
import { createLogger } from '../logging';
import { connectWorker } from '../temporal/connection';
import { createAutoReplyWorker } from '.';

async function run(): Promise<void> {
  const config = loadConfig(readEnvironment(), ['temporal', 'gorgias', 'reply', 'logging']);
  const logger = createLogger(config.logging, 'worker');
  const connection = await connectWorker(config.temporal);
  const worker = await createAutoReplyWorker({ connection, config });
  logger.info(
    { taskQueue: config.temporal.TEMPORAL_TASK_QUEUE, namespace: config.temporal.TEMPORAL_NAMESPACE },
    'worker started',
  );
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves once it has.
  await worker.run();
  await connection.close();
  logger.info('worker stopped');
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
