import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { LocatedCli } from './temporal-cli';
import { SEARCH_ATTRIBUTES } from '../../temporal/definitions';
import { ensureSearchAttributes } from '../../temporal/search-attributes';

/**
 * The dev server has one history shard, and it reads the transfer queue (which hands out every workflow and activity
 * task) at most 20 times a second by default: tickets back to back then wait 30–45 ms at each of their six
 * hand-offs. Reading it as often as work arrives brings the end-to-end p50 from about 225 ms to about 73 ms
 * (docs/benchmarks.md, "4. End-to-end latency"). `npm start` and the test runs use it; a cluster has many shards.
 */
export const QUICK_TASK_DISPATCH = { 'history.transferProcessorMaxPollRPS': 1000 } as const;

export interface DevServerOptions {
  /** The CLI to run (see ensureTemporalCli). */
  cli: LocatedCli;
  port: number;
  /** The Web UI's port; without one the server runs headless (the tests). */
  uiPort?: number;
  /** SQLite file that keeps the server's state across restarts; without one the state lives in memory. */
  dbFilename?: string;
  namespace: string;
  ip?: string;
  /** `--dynamic-config-value` settings (server limits the tests and benchmarks lower). */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/** Starts the Temporal dev server (with its Web UI) and resolves once it answers. */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  if (options.dbFilename) mkdirSync(dirname(options.dbFilename), { recursive: true });
  const ip = options.ip ?? '127.0.0.1';
  const uiUrl = options.uiPort === undefined ? '' : `http://localhost:${options.uiPort}`;
  const child = spawn(
    options.cli.path,
    [
      'server',
      'start-dev',
      '--ip',
      ip,
      '--port',
      String(options.port),
      ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
      ...(options.dbFilename ? ['--db-filename', options.dbFilename] : []),
      ...Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => [
        '--dynamic-config-value',
        `${key}=${JSON.stringify(value)}`,
      ]),
      '--namespace',
      options.namespace,
      '--log-level',
      'warn',
      // Registered when the namespace is created; ensureSearchAttributes covers state saved before them.
      ...SEARCH_ATTRIBUTES.flatMap((key) => [
        '--search-attribute',
        `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`,
      ]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const address = `${ip}:${options.port}`;
  await waitUntilServing(address, options.namespace, child, () => stderr);
  return { address, uiUrl, stop: () => stopProcess(child) };
}

/** Waits until the server answers, then registers the search attributes (also when its saved state predates them). */
async function waitUntilServing(
  address: string,
  namespace: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new Error(`The Temporal dev server exited (code ${exited}) before it was ready:\n${stderr()}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        await ensureSearchAttributes(connection, namespace);
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`The Temporal dev server did not answer on ${address} within 60 s:\n${stderr()}`);
}

export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
