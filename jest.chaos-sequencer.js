// The order of the chaos scenarios (jest.chaos.config.js).
// The chaos scenarios run several at a time and take from 10 s to about two minutes each. Jest orders files by
// the durations it cached on an earlier run, which a clean clone (CI) does not have: it would order them by file
// size and could leave the longest for last. This order is the measured one, longest first: seconds per file on
// the 2-core machine, three at a time (2026-12-03). A scenario not listed runs first, as it may be long.
const MEASURED_SECONDS = {
  'worker-paused': 112,
  'rate-limit': 89,
  'worker-killed': 62,
  'gorgias-failing': 58,
  'late-commits': 55,
  'temporal-down': 51,
  'expired-api-key': 48,
  'reset-in-flight': 40,
  'catch-up': 39,
  'one-voice': 35,
  'worker-stopped': 34,
  'reset-storm': 34,
  'kill-switch-retry': 32,
  'intake-restarted': 23,
  'unversioned-workers': 23,
  'broken-template': 16,
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
