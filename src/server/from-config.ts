import type { Client } from '@temporalio/client';
import type express from 'express';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { IntakeMetrics } from '../telemetry/intake-metrics';
import { createIntakeApp } from './app';

/**
 * The webhook intake as the configuration describes it. Callers pass only what differs between them: the
 * Temporal client, the logger and (optionally) the metrics.
 */
export function intakeFromConfig(
  config: Config<'temporal' | 'webhook'>,
  deps: { client: Client; logger: Logger; metrics?: IntakeMetrics },
): express.Express {
  const { temporal, webhook } = config;
  return createIntakeApp({
    ...deps,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    webhookSecret: webhook.WEBHOOK_SECRET,
    temporalTimeoutMs: webhook.WEBHOOK_TEMPORAL_TIMEOUT_MS,
    maxBodyBytes: webhook.WEBHOOK_MAX_BODY_BYTES,
    temporalUiUrl: temporal.TEMPORAL_UI_URL,
  });
}
