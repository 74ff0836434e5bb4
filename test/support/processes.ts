import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import axios from 'axios';

/**
 * The service's real entry points (`dist/worker/main.js`, `dist/server/main.js`, `dist/sandbox/main.js`)
 * as child processes, for tests and benchmarks that kill, stop or measure them. Needs `npm run build`.
 */

export type Entry = 'worker' | 'server' | 'sandbox';

const ROOT = join(__dirname, '..', '..');

export interface ServiceProcess {
  entry: Entry;
  child: ChildProcess;
  pid: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Sends a signal and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export function entryPath(entry: Entry): string {
  const path = join(ROOT, 'dist', entry, 'main.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return path;
}

/** Starts one entry point with exactly the given environment (plus PATH and HOME) and waits until it is ready. */
export async function startServiceProcess(
  entry: Entry,
  env: Record<string, string>,
  /** Polled until true; gets what the process printed so far. */
  ready: (output: string) => boolean | Promise<boolean> = () => true,
  timeoutMs = 60_000,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [entryPath(entry)], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'info',
      // Several workers run side by side in tests: no fixed metrics port unless a test asks for one.
      METRICS_PORT: '0',
      ...env,
    },
    // Not the repo root: a developer's .env must not leak into the test's configuration.
    cwd: join(ROOT, 'dist'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => (output += chunk.toString('utf8'));
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const service: ServiceProcess = {
    entry,
    child,
    pid: child.pid ?? -1,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (!hasExited) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) throw new Error(`${entry} exited before it was ready:\n${output}`);
    if (await Promise.resolve(ready(output)).catch(() => false)) return service;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await service.stop('SIGKILL');
  throw new Error(`${entry} was not ready within ${timeoutMs} ms:\n${output}`);
}

/** Ready checks for the entry points. */
export const readyWhen = {
  /** The worker logs "worker started" once it polls its task queue. */
  workerStarted: (output: string) => output.includes('worker started'),
  httpOk: (url: string) => async () =>
    (await axios.get(url, { timeout: 1000, validateStatus: () => true })).status === 200,
};
