import pino, { type Logger } from 'pino';
import type { LoggingConfig } from './config';

export type { Logger };

/**
 * One JSON line per event (or human-readable lines with LOG_PRETTY=true). Secrets never reach a log line:
 * nothing logs headers or configuration values, and the usual places are redacted as a second guard.
 */
export function createLogger(config: LoggingConfig, name: string): Logger {
  return pino({
    name,
    level: config.LOG_LEVEL,
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'authorization',
        'apiKey',
        'password',
        'secret',
      ],
      censor: '[redacted]',
    },
    ...(config.LOG_PRETTY
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' },
          },
        }
      : {}),
  });
}
