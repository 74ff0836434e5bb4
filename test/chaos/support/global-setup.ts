import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QUICK_TASK_DISPATCH } from '../../../src/tools/dev/dev-server';
import { setUpRun } from '../../support/global-setup';
import { entryPath, REPO_ROOT } from '../../../harness/service-processes';

/**
 * The chaos suite's run: one dev server that the scenarios share, a namespace each (the one that stops Temporal
 * runs its own server). The service runs from its build, workflow bundle included: `npm run test:chaos` builds
 * it first.
 */
export default async function globalSetup(): Promise<void> {
  entryPath('worker');
  entryPath('server');
  if (!existsSync(join(REPO_ROOT, 'dist', 'workflow-bundle.js'))) {
    throw new Error('dist/workflow-bundle.js is missing: run `npm run build` first');
  }
  // Tasks handed out as soon as they are due, as on a cluster's many shards (the dev server has one, read at most
  // 20 times a second by default): the 100-ticket scenarios are not paced by the transfer queue.
  await setUpRun({ bundle: false, server: { dynamicConfig: QUICK_TASK_DISPATCH } });
}
