import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from '../config';
import { GorgiasClient } from '../gorgias/client';

export interface AutoReplyWorkerOptions {
  connection: NativeConnection;
  config: Config<'temporal' | 'gorgias' | 'reply'>;
  /** A pre-built workflow bundle (tests build one per file); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function gorgiasClientFrom(config: Config<'gorgias'>): GorgiasClient {
  const g = config.gorgias;
  return new GorgiasClient({
    baseUrl: g.GORGIAS_BASE_URL,
    username: g.GORGIAS_USERNAME,
    apiKey: g.GORGIAS_API_KEY,
    timeoutMs: g.GORGIAS_HTTP_TIMEOUT_MS,
  });
}

/** The worker runs the ticket workflows and their Gorgias activities. */
export function createAutoReplyWorker({
  connection,
  config,
  workflowBundle,
}: AutoReplyWorkerOptions): Promise<Worker> {
  const { temporal, gorgias, reply } = config;
  return Worker.create({
    connection,
    namespace: temporal.TEMPORAL_NAMESPACE,
    taskQueue: temporal.TEMPORAL_TASK_QUEUE,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({
      gorgias: gorgiasClientFrom(config),
      reply,
      sender: { id: gorgias.GORGIAS_SENDER_USER_ID, email: gorgias.GORGIAS_USERNAME },
      temporalUiUrl: temporal.TEMPORAL_UI_URL,
    }),
    // Enforced by the server for the whole task queue, so Gorgias's per-account limit holds across workers.
    maxTaskQueueActivitiesPerSecond: gorgias.GORGIAS_RATE_LIMIT_PER_SECOND,
  });
}
