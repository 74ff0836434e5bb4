// The order of the chaos scenarios (jest.chaos.config.js): the longest first (jest.longest-first.js). The chaos
// scenarios run several at a time and take from 10 s to about two minutes each. Seconds per file on the 2-core
// machine, three at a time (2026-12-03). A scenario not listed runs first, as it may be long.
const { longestFirst } = require('./jest.longest-first.js');

const MEASURED_SECONDS = {
  'chaos/worker-paused': 112,
  'chaos/rate-limit': 89,
  'chaos/worker-killed': 62,
  'chaos/gorgias-failing': 58,
  'chaos/late-commits': 55,
  'chaos/temporal-down': 51,
  'chaos/expired-api-key': 48,
  'chaos/reset-in-flight': 40,
  'chaos/catch-up': 39,
  'chaos/one-voice': 35,
  'chaos/worker-stopped': 34,
  'chaos/reset-storm': 34,
  'chaos/kill-switch-retry': 32,
  'chaos/intake-restarted': 23,
  'chaos/unversioned-workers': 23,
  'chaos/broken-template': 16,
};

module.exports = longestFirst(MEASURED_SECONDS, Infinity);
