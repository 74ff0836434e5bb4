import type { Server } from 'node:http';

/**
 * The entry of a measuring server the bench starts as a process of its own: `start` builds and listens; SIGTERM
 * closes it; a configuration error is printed and ends the process.
 */
export function runMeasuringServer(start: () => Server): void {
  try {
    const server = start();
    process.once('SIGTERM', () => server.close(() => process.exit(0)));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
