import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
  await setUpRun({ bundle: false, server: {} });
}
