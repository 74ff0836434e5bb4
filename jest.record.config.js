// `npm run record-histories`: runs the in-process service on a dev server once per ticket outcome and writes each
// ticket workflow's history to test/fixtures/histories/, which test/integration/replay.test.ts replays. Run it when
// the workflow changes shape on purpose (0.x: instead of patched() branches), and commit the histories it writes.
const shared = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.shared.js'),
  roots: ['<rootDir>/test/record'],
  testMatch: ['**/*.record.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: shared.testTimeout,
  forceExit: true,
};
