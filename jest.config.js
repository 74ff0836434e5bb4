// `npm test` runs both projects: `unit` (pure logic, no Temporal) and `integration` (the real service against one
// Temporal dev server for the whole run, a namespace per file, so files never see each other's workflows), files
// in parallel on both cores. More files at once than cores starves the timing-sensitive ones (measured: four at
// once with the lint beside failed 16 tests). The
// chaos and cluster suites have their own configs and scripts: npm run test:chaos, npm run test:cluster.
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
  // Both cores, for both projects (jest reads it from here only).
  maxWorkers: 2,
  // The Temporal native runtime keeps a handle open after the last test.
  forceExit: true,
};
