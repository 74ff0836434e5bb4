// The chaos suite (`npm run test:chaos`): kills, stops and floods the real service processes built in dist/,
// so it needs `npm run build` first (the npm script does it). One Temporal dev server for the run, a namespace
// per scenario; the scenario that stops Temporal (temporal-down) runs a server of its own.
/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.shared.js'),
  roots: ['<rootDir>/test/chaos'],
  globalSetup: '<rootDir>/test/chaos/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Two scenarios at a time: they spend most of their time waiting (timeouts, retries, outages), each in its
  // own namespace with its own sandbox and processes.
  maxWorkers: 2,
  // The longest scenarios first, also on a clean clone (see jest.chaos-sequencer.js).
  testSequencer: '<rootDir>/jest.chaos-sequencer.js',
  testTimeout: 300_000,
  // The Temporal native runtime keeps a handle open after the last test.
  forceExit: true,
};
