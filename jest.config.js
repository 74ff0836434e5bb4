// `npm test` runs both projects: `unit` (pure logic, no Temporal) and `integration` (the real service against one
// Temporal dev server for the whole run, a namespace per file, so files never see each other's workflows), four
// files at a time. The integration files mostly wait (confirmation reads, retries' backoff, timeouts): on the
// 2-core machine, cold caches, the lint beside, 2026-12-03: two at a time 4 min 0 s, three 2 min 56 s, four
// 2 min 32 s and 2 min 34 s, all green. (Four at once failed 16 timing-bound tests in November, when the
// ts-jest transform kept both cores busy; SWC does not.) The chaos and cluster suites have their own configs and
// scripts: npm run test:chaos, npm run test:cluster.
const shared = require('./jest.shared.js');

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      // One dev server and one workflow bundle for the run; each file creates its own namespace on it.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  // Per test, for the whole run (jest reads it from here only).
  testTimeout: 60_000,
  // For both projects (jest reads it from here only).
  maxWorkers: 4,
  // The longest files first, also on a clean clone (see jest.test-sequencer.js).
  testSequencer: '<rootDir>/jest.test-sequencer.js',
  // The Temporal native runtime keeps a handle open after the last test.
  forceExit: true,
};
