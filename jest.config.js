// `npm test` runs both projects: `unit` (pure logic, no Temporal) and `integration` (the real service against one
// Temporal dev server for the whole run, a namespace per file, so files never see each other's workflows), files
// in parallel on both cores: the integration files mostly wait (timers, Gorgias's send delay, backoffs). The
// chaos and cluster suites have their own configs and scripts: npm run test:chaos, npm run test:cluster.
const shared = { preset: 'ts-jest', testEnvironment: 'node' };

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
  // Both cores, for both projects.
  maxWorkers: 2,
  // The Temporal native runtime keeps a handle open after the last test.
  forceExit: true,
};
