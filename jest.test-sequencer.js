// The order of `npm test`'s files (jest.config.js): the longest first (jest.longest-first.js), so that no long
// integration file starts last. Seconds per file on the 2-core machine, four at a time, the lint beside
// (2026-12-03); a file not listed counts as a short one (3 s): list a new file that takes longer.
const { longestFirst } = require('./jest.longest-first.js');

const MEASURED_SECONDS = {
  'integration/autoreply': 45,
  'integration/catch-up': 43,
  'integration/one-voice': 42,
  'integration/retries': 40,
  'integration/worker-modes': 39,
  'integration/policy': 38,
  'integration/worker-versioning': 33,
  'integration/resets': 31,
  'unit/backtest': 23,
  'integration/first-day': 22,
  'integration/scorecard': 22,
  'integration/orders-e2e': 20,
  'unit/gorgias-connection': 15,
  'integration/deployments': 15,
  'integration/hostile-input': 10,
  'integration/retention': 10,
  'unit/scorecard': 9,
  'integration/backtest-report': 9,
  'integration/intake': 8,
  'integration/web-ui': 8,
  'integration/large-fields': 7,
  'unit/compose': 7,
  'integration/setup-namespace': 6,
  'integration/real-shapes': 6,
  'integration/holdout': 6,
};

module.exports = longestFirst(MEASURED_SECONDS, 3);
