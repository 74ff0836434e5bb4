// `npm test` runs both projects: `unit` (pure logic, no Temporal: files in parallel) and `integration` (the real
// service against one Temporal dev server for the whole run, a namespace per file: files one at a time). The
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
      runner: '<rootDir>/test/support/serial-runner.ts',
      // One dev server and one workflow bundle for the run; each file creates its own namespace on it.
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  // Per test, for the whole run (jest reads it from here only).
  testTimeout: 60_000,
  // The unit files on both cores; the integration runner ignores this and runs its files in band.
  maxWorkers: 2,
  // The Temporal native runtime keeps a handle open after the last test.
  forceExit: true,
};
