import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';

// Worker state changes are noise in test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

/**
 * A real Temporal dev server for one test file: the CLI found by the global setup, or an existing server
 * named by TEST_TEMPORAL_ADDRESS (never TEMPORAL_ADDRESS, so tests cannot touch a production namespace).
 */
export async function createTemporalEnv(): Promise<TestWorkflowEnvironment> {
  if (process.env.TEST_TEMPORAL_ADDRESS) {
    const env = await TestWorkflowEnvironment.createFromExistingServer({
      address: process.env.TEST_TEMPORAL_ADDRESS,
    });
    await ensureSearchAttributes(env.connection, 'default');
    return env;
  }
  const path = process.env.TEMPORAL_CLI_PATH;
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(path ? { executable: { type: 'existing-path', path } } : {}),
      searchAttributes: SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow code, bundled once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: quietBundlerLogger,
  });
  return bundle;
}

const noop = () => undefined;
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: console.error,
  log: noop,
};
