import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWorkflowBundle } from '../../src/worker/workflow-bundle';
import { locateTemporalCli, SIGNAL_LIMIT, TestTemporalServer } from './temporal-server';
import { freePort } from './waiting';

/**
 * Once per `jest` run, for the integration tests: one Temporal dev server (each test file then creates a
 * namespace of its own on it) and one workflow bundle. Both reach the test files through environment variables,
 * which jest's workers inherit; global-teardown.ts stops the server.
 */

/** What the teardown stops and removes; jest runs both hooks in its main process. */
export interface TestRun {
  server: TestTemporalServer | null;
  dir: string;
}
export const runState = globalThis as { testRun?: TestRun };

export default async function globalSetup(): Promise<void> {
  const log = (line: string) => process.stderr.write(`[temporal] ${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'gorgias-autoreply-tests-'));
  const [bundle, server] = await Promise.all([
    writeWorkflowBundle(join(dir, 'workflow-bundle.js'), require.resolve('../../src/workflows')),
    startServer(log),
  ]);
  process.env.TEST_WORKFLOW_BUNDLE = bundle;
  if (server) {
    process.env.TEST_TEMPORAL_ADDRESS = server.address;
    process.env.TEST_TEMPORAL_UI_URL = server.uiUrl ?? '';
  }
  runState.testRun = { server, dir };
}

/** The run's server, unless TEST_TEMPORAL_ADDRESS names one; the CLI is found either way (tests run it). */
async function startServer(log: (line: string) => void): Promise<TestTemporalServer | null> {
  const cli = await locateTemporalCli(log);
  if (process.env.TEST_TEMPORAL_ADDRESS) {
    log(`Tests use the server at ${process.env.TEST_TEMPORAL_ADDRESS} (TEST_TEMPORAL_ADDRESS)`);
    return null;
  }
  const server = await TestTemporalServer.start(cli, {
    // The Web UI too: test/integration/web-ui.test.ts looks at a ticket's workflow in a browser.
    uiPort: await freePort(),
    dynamicConfig: { 'history.maximumSignalsPerExecution': SIGNAL_LIMIT },
  });
  log(`Dev server for this run on ${server.address}, Web UI on ${server.uiUrl}`);
  return server;
}
