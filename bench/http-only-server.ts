import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { loadConfig, readEnvironment } from '../src/config';
import { createLogger } from '../src/logging';
import { intakeFromConfig } from '../src/server/from-config';
import { runMeasuringServer } from './measuring-server';

/**
 * Ceiling (b) of the intake benchmark: the service's own webhook app (auth, body parsing, validation,
 * logging, JSON answer) in its own process, with a Temporal client that answers at once. What it serves
 * per second is the HTTP overhead alone.
 */

function instantClient(namespace: string): Client {
  const stub = {
    options: { namespace },
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    workflow: { signalWithStart: async () => ({ workflowId: 'stub' }) },
    workflowService: { getSystemInfo: async () => ({}) },
  };
  return stub as unknown as Client;
}

function run(): Server {
  const config = loadConfig(readEnvironment(), ['temporal', 'webhook', 'logging']);
  const logger = createLogger(config.logging, 'http-only-server');
  const app = intakeFromConfig(config, { client: instantClient(config.temporal.TEMPORAL_NAMESPACE), logger });
  return app.listen(config.webhook.PORT, config.webhook.HOST);
}

runMeasuringServer(run);
