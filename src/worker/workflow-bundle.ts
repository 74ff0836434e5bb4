import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/**
 * The workflow code as one file, built once: `npm run build` writes it to dist/workflow-bundle.js, and every
 * worker started from dist/ loads it instead of bundling the workflows itself at start (seconds of webpack
 * per process). Tests build their own once per run from src/.
 */

/** Where `npm run build` puts the bundle: next to the compiled workflows, in dist/. */
export const BUILT_WORKFLOW_BUNDLE = join(__dirname, '..', 'workflow-bundle.js');

/** The built bundle, when this code runs from a build that has one (not from src/ in development). */
export function builtWorkflowBundle(): { codePath: string } | undefined {
  return existsSync(BUILT_WORKFLOW_BUNDLE) ? { codePath: BUILT_WORKFLOW_BUNDLE } : undefined;
}

const quiet = () => undefined;
/** The bundler's logger: errors only. */
export const QUIET_BUNDLER = {
  trace: quiet,
  debug: quiet,
  info: quiet,
  warn: quiet,
  log: quiet,
  error: console.error,
};

/** Bundles the workflows (`src/workflows` or its build) into one file and returns its path. */
export async function writeWorkflowBundle(
  file: string,
  workflowsPath = require.resolve('../workflows'),
): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: QUIET_BUNDLER,
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, code);
  return file;
}
