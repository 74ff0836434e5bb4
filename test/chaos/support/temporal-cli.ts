import { execFile } from 'node:child_process';
import type { ChaosTemporal } from './temporal-server';

export interface CliRun {
  /** The command line as an operator would type it (without the rig's --address and --namespace). */
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** Quotes an argument for display, as a shell would need it. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs the Temporal CLI (the one the global setup found, TEMPORAL_CLI_PATH) against the scenario's namespace, as
 * an operator would: `temporal <args> --address <server> --namespace <scenario's>`. Never throws for a non-zero
 * exit.
 */
export function temporalCli(temporal: ChaosTemporal, args: string[], timeoutMs = 60_000): Promise<CliRun> {
  const path = process.env.TEMPORAL_CLI_PATH;
  if (!path) throw new Error('TEMPORAL_CLI_PATH is unset: run the chaos suite through jest.chaos.config.js');
  const command = ['temporal', ...args].map(shellQuote).join(' ');
  return new Promise((resolve) => {
    execFile(
      path,
      [...args, '--address', temporal.address, '--namespace', temporal.namespace, '--color', 'never'],
      {
        timeout: timeoutMs,
        // No developer's CLI profile or TEMPORAL_* variables: only what the arguments say.
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ command, code, stdout, stderr });
      },
    );
  });
}

/**
 * Waits until the batch job a `--query` command started (its output says "Started batch for job ID: …") has
 * finished; resolves with what `temporal batch describe` says about it.
 */
export async function waitForBatch(
  temporal: ChaosTemporal,
  started: CliRun,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const jobId = /job ID:\s*(\S+)/i.exec(started.stdout)?.[1];
  if (!jobId) throw new Error(`no batch job in:\n${started.stdout}${started.stderr}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await temporalCli(temporal, ['batch', 'describe', '--job-id', jobId, '--output', 'json']);
    const job = run.code === 0 ? (JSON.parse(run.stdout) as Record<string, unknown>) : {};
    const state = String(job.state ?? '').toLowerCase();
    if (state.includes('completed') || state.includes('failed')) return job;
    if (Date.now() > deadline)
      throw new Error(`batch ${jobId} not finished within ${timeoutMs} ms:\n${run.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
