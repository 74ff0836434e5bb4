// The cluster suite (`npm run test:cluster`): the service on the local production stack (src/tools/dev/cluster:
// PostgreSQL, two Temporal server nodes, compose's setup scripts), with nodes killed and PostgreSQL restarted
// under load. Needs `npm run build` first (the npm script does it) and PostgreSQL installed. Minutes.
/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.shared.js'),
  roots: ['<rootDir>/test/cluster'],
  globalSetup: '<rootDir>/test/cluster/support/global-setup.ts',
  // One stack on fixed addresses (127.0.0.2-4): one file at a time.
  maxWorkers: 1,
  testTimeout: 600_000,
  // The Temporal native runtime keeps a handle open after the last test.
  forceExit: true,
};
