// The order of the chaos scenarios (jest.chaos.config.js).
// The chaos scenarios run several at a time and take from 10 s to about two minutes each. Jest orders files by
// the durations it cached on an earlier run, which a clean clone (CI) does not have: it would order them by file
// size and could leave the longest for last. This order is the measured one, longest first: seconds per file on
// the 2-core machine, four at a time (2026-12-03). A scenario not listed runs first, as it may be long.
const MEASURED_SECONDS = {
  'worker-paused': 119,
  'expired-api-key': 102,
  'rate-limit': 92,
  'reset-storm': 68,
  'worker-killed': 67,
  'late-commits': 61,
  'gorgias-failing': 56,
  'temporal-down': 53,
  'reset-in-flight': 44,
  'catch-up': 43,
  'one-voice': 39,
  'worker-stopped': 37,
  'broken-template': 27,
  'intake-restarted': 27,
  'unversioned-workers': 26,
  'kill-switch-retry': 23,
};

const { basename } = require('node:path');

const seconds = (test) => MEASURED_SECONDS[basename(test.path, '.test.ts')] ?? Infinity;

class LongestFirst {
  sort(tests) {
    return [...tests].sort((a, b) => seconds(b) - seconds(a));
  }

  // Jest asks every sequencer to remember durations; this one needs none.
  cacheResults() {}
}

module.exports = LongestFirst;
