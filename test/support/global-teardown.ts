import { rmSync } from 'node:fs';
import { runState } from './global-setup';

/** Stops the run's dev server and removes the workflow bundle (see global-setup.ts). */
export default async function globalTeardown(): Promise<void> {
  const run = runState.testRun;
  if (!run) return;
  await run.server?.stop();
  rmSync(run.dir, { recursive: true, force: true });
}
