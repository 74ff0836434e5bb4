import type { Client } from '@temporalio/client';
import type express from 'express';
import { checkAccount, type AccountCheck } from '../gorgias/account-check';
import type { Config } from '../config';
import { gorgiasClientFrom } from '../gorgias/from-config';
import type { Logger } from '../logging';
import type { IntakeMetrics } from '../telemetry/intake-metrics';
import { createIntakeApp } from './app';
import { cachedAnswer } from './cached-answer';

/**
 * The webhook intake as the configuration describes it. Callers pass only what differs between them: the
 * Temporal client, the logger, (optionally) the metrics and the Gorgias account check.
 */
export function intakeFromConfig(
  config: Config<'temporal' | 'webhook'>,
  deps: {
    client: Client;
    logger: Logger;
    metrics?: IntakeMetrics;
    account?: () => Promise<AccountCheck>;
  },
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

/** How long /readyz keeps a good account check (a few Gorgias calls), and a failed one (to see the fix soon). */
export const ACCOUNT_KEPT_MS = { ok: 5 * 60_000, otherwise: 30_000 };

/**
 * The Gorgias account check (src/gorgias/account-check.ts) as /readyz asks it: with its own Gorgias client, answered from
 * a cache so that requests to /readyz (no token needed) cost Gorgias a few calls per 5 minutes at most.
 */
export function accountCheckFrom(
  config: Config<'gorgias'>,
  channels: readonly string[] | null,
  now?: () => number,
): () => Promise<AccountCheck> {
  const gorgias = gorgiasClientFrom(config);
  return cachedAnswer(
    () => checkAccount({ gorgias, channels, replyFrom: config.gorgias.GORGIAS_REPLY_FROM ?? null }),
    (check) => (check.status === 'ok' ? ACCOUNT_KEPT_MS.ok : ACCOUNT_KEPT_MS.otherwise),
    now,
  );
}
