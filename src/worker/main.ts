import { Connection } from '@temporalio/client';
import { loadConfig, readEnvironment } from '../config';
import { createLogger } from '../logging';
import { policyFromConfig } from '../policy/load';
import { MemoryPhases } from '../telemetry/memory';
import { installTemporalRuntime } from '../telemetry/runtime';
import { connectionOptions } from '../temporal/connection';
import { launchWorker, workerTuning } from '.';

/** `npm run worker`: runs the ticket workflows and their activities. Run as many as you like. */
async function run(): Promise<void> {
  const config = loadConfig(readEnvironment(), ['temporal', 'gorgias', 'policy', 'worker', 'logging']);
  const policy = policyFromConfig(config.policy);
  const logger = createLogger(config.logging, 'worker');
  const memory = new MemoryPhases();
  memory.mark('started');
  memory.reportOnSignal(logger);
  const { METRICS_HOST, METRICS_PORT } = config.worker;
  installTemporalRuntime(logger, METRICS_PORT ? `${METRICS_HOST}:${METRICS_PORT}` : null, {
    sigusr2ReportsMemory: true,
  });

  const clientConnection = await Connection.connect(connectionOptions(config.temporal));
  const { worker, workerConnection } = await launchWorker({
    clientConnection,
    config,
    policy,
    logger,
    killSwitchFile: config.policy.KILL_SWITCH_FILE,
    dryRunForced: config.policy.DRY_RUN,
    tuning: workerTuning(config.worker),
  });
  memory.mark('worker created (workflow bundle loaded)');
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves once it has.
  await worker.run();
  await workerConnection.close();
  await clientConnection.close();
  logger.info('worker stopped');
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
