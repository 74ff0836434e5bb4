import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICK_TASK_DISPATCH } from '../../src/tools/dev/dev-server';
import { writeWorkflowBundle } from '../../src/worker/workflow-bundle';
import {
  locateTemporalCli,
  SIGNAL_LIMIT,
  TestTemporalServer,
  type TestServerOptions,
} from '../../harness/temporal-server';
import { resolveChromium } from './chromium';
import { freePort } from '../../harness/waiting';

/**
 * Once per `jest` run: one Temporal dev server (each test file or chaos scenario then creates a namespace of its
 * own on it) and, for in-process workers, one workflow bundle. Both reach the test files through environment
 * variables (TEST_TEMPORAL_ADDRESS, TEST_WORKFLOW_BUNDLE), which jest's workers inherit; global-teardown.ts
 * stops the server. TEST_TEMPORAL_ADDRESS set beforehand names a server to use instead (never TEMPORAL_ADDRESS,
 * so a test run cannot touch production).
 */

/** What the teardown stops and removes; jest runs both hooks in its main process. */
export interface TestRun {
  server: TestTemporalServer | null;
  dir: string;
}
export const runState = globalThis as { testRun?: TestRun };

const log = (line: string) => process.stderr.write(`[temporal] ${line}\n`);

export async function setUpRun(options: { bundle: boolean; server: TestServerOptions }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gorgias-autoreply-tests-'));
  const [bundle, server] = await Promise.all([
    options.bundle
      ? writeWorkflowBundle(join(dir, 'workflow-bundle.js'), require.resolve('../../src/workflows'))
      : null,
    startServer(options.server),
  ]);
  if (bundle) process.env.TEST_WORKFLOW_BUNDLE = bundle;
  if (server) {
    process.env.TEST_TEMPORAL_ADDRESS = server.address;
    process.env.TEST_TEMPORAL_UI_URL = server.uiUrl ?? '';
  }
  runState.testRun = { server, dir };
}

/** The run's server, unless TEST_TEMPORAL_ADDRESS names one; the CLI is found either way (tests run it). */
async function startServer(options: TestServerOptions): Promise<TestTemporalServer | null> {
  const cli = await locateTemporalCli(log);
  if (process.env.TEST_TEMPORAL_ADDRESS) {
    log(`Tests use the server at ${process.env.TEST_TEMPORAL_ADDRESS} (TEST_TEMPORAL_ADDRESS)`);
    return null;
  }
  const server = await TestTemporalServer.start(cli, options);
  log(`Dev server for this run on ${server.address}${server.uiUrl ? `, Web UI on ${server.uiUrl}` : ''}`);
  return server;
}

/** The integration tests: workers in process (the bundle), and the Web UI for web-ui.test.ts. */
export default async function globalSetup(): Promise<void> {
  // The page checks' Chromium, found (or unpacked) once for the run: the test files get it as CHROMIUM_PATH.
  const browser = await resolveChromium();
  process.env.CHROMIUM_PATH = browser.path;
  process.stderr.write(`[chromium] For the page checks: ${browser.path} (${browser.source})\n`);
  await setUpRun({
    bundle: true,
    server: {
      uiPort: await freePort(),
      dynamicConfig: {
        ...QUICK_TASK_DISPATCH,
        'history.maximumSignalsPerExecution': SIGNAL_LIMIT,
        // Worker Versioning: a draining version's open pinned workflows are looked for every second, not every 3
        // minutes (worker-versioning.test.ts waits for a version to drain).
        'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
        'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '1s',
        // A closed workflow is deleted once the server has recorded its close task done, which it records every
        // 30 s by default: every second here (retention.test.ts deletes workflows as the namespace's retention does).
        'history.transferProcessorUpdateAckInterval': '1s',
      },
    },
  });
}
