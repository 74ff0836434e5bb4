import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './compose';

/**
 * The service's built entry points (`node dist/worker/main.js`, `node dist/server/main.js`: the commands of
 * the compose services `worker` and `webhook`) as child processes with exactly the given environment, their
 * output appended to a log file.
 */

export interface EntryProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

export function startEntry(
  entry: 'worker' | 'server',
  name: string,
  env: Record<string, string>,
  logFile: string,
  cwd: string,
): EntryProcess {
  const main = join(REPO_ROOT, 'dist', entry, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const fd = openSync(logFile, 'a');
  // cwd is not the repository: a developer's .env must not change what compose would pass.
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', fd, fd],
    cwd,
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    logFile,
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` until it holds; throws after `timeoutMs` or when `process` exits first. */
export async function waitReady(
  process: EntryProcess,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null) throw new Error(`${process.name} exited; see ${process.logFile}`);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${process.name} was not ready within ${timeoutMs} ms; see ${process.logFile}`);
}
