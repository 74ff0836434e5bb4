import pino, { type Logger, type LoggerOptions } from 'pino';
import type { LoggingConfig } from './config';

export type { Logger };

const LOG_BUFFER_MAX_CHARS = 16 * 1024 * 1024;

/**
 * One JSON line per event (or human-readable lines with LOG_PRETTY=true). Secrets never reach a log line:
 * nothing logs headers or configuration values, and the usual places are redacted as a second guard.
 */
export function createLogger(config: LoggingConfig, name: string): Logger {
  const options: LoggerOptions = {
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
  };
  if (config.LOG_PRETTY) {
    const pretty = { colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' };
    return pino({ ...options, transport: { target: 'pino-pretty', options: pretty } });
  }
  // Written asynchronously and in batches (4 KB, or every 250 ms, whichever comes first), so the intake's event
  // loop never waits on stdout and a busy intake makes one write for many lines; pino flushes what is left when
  // the process exits. If stdout stops being read, at most LOG_BUFFER_MAX_CHARS wait in memory and later lines
  // are dropped, not the process.
  return pino(
    options,
    pino.destination({
      dest: 1,
      sync: false,
      minLength: 4096,
      periodicFlush: 250,
      maxLength: LOG_BUFFER_MAX_CHARS,
    }),
  );
}
