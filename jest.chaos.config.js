// The chaos suite (`npm run test:chaos`): kills, stops and floods the real service processes built in dist/,
// so it needs `npm run build` first (the npm script does it). Slow: minutes, not seconds.
/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/chaos'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // Each scenario runs its own dev server and several processes on a 2-core machine: one file at a time.
  maxWorkers: 1,
  testTimeout: 300_000,
  // The Temporal native runtime keeps a handle open after the last test.
  forceExit: true,
};
