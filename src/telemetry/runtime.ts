import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from '../logging';
import { ACKNOWLEDGEMENT_BUCKETS_SECONDS, METRICS } from './coverage';

const TICKET_WORKFLOW_ID = /^gorgias-ticket-(\d+)$/;

/** The Temporal SDK's logs (worker, workflows, activities) as pino lines, with the ticket id where known. */
export function temporalLoggerFor(logger: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    const ticket =
      typeof meta.workflowId === 'string' ? TICKET_WORKFLOW_ID.exec(meta.workflowId)?.[1] : undefined;
    const fields = ticket ? { ticketId: Number(ticket), ...meta } : meta;
    const method = ({ TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const)[
      level
    ];
    logger[method](fields, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/**
 * Installs the process-wide Temporal runtime: SDK logs through our logger, and the worker's metrics (SDK
 * metrics plus ours: ticket outcomes, Gorgias calls) in Prometheus format on `metricsAddress`/metrics.
 * Must run before the first worker or native connection is created.
 */
export function installTemporalRuntime(
  logger: Logger,
  metricsAddress: string | null,
  options: { sigusr2ReportsMemory?: boolean } = {},
): Runtime {
  return Runtime.install({
    logger: temporalLoggerFor(logger),
    // The SDK's default list adds SIGUSR2 (nodemon's restart signal); in the worker process SIGUSR2 asks for a
    // memory report (see MemoryPhases) and must not stop it.
    ...(options.sigusr2ReportsMemory ? { shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'] } : {}),
    ...(metricsAddress
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: metricsAddress,
                // The SDK's default buckets are for milliseconds (50 to 10000).
                histogramBucketOverrides: {
                  [METRICS.acknowledgementSeconds]: ACKNOWLEDGEMENT_BUCKETS_SECONDS,
                },
              },
            },
          },
        }
      : {}),
  });
}
