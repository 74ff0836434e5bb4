/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // The chaos and cluster suites are slow and have their own scripts: npm run test:chaos, test:cluster.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/chaos/', '<rootDir>/test/cluster/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // One Temporal dev server per test file on a 2-core machine: run files one at a time.
  maxWorkers: 1,
  testTimeout: 60_000,
  // The Temporal native runtime keeps a handle open after the last test.
  forceExit: true,
};
