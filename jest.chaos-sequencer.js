// The order of the chaos scenarios (jest.chaos.config.js).
// The chaos scenarios run several at a time and take from 10 s to about two minutes each. Jest orders files by
// the durations it cached on an earlier run, which a clean clone (CI) does not have: it would order them by file
// size and could leave the longest for last. This order is the measured one, longest first: seconds per file in
// a clean-clone `.ci/run` on the 2-core machine (2026-12-02, two at a time). A scenario not listed runs first, as
// it may be long.
const MEASURED_SECONDS = {
  'worker-paused': 114,
  'reset-storm': 110,
  'expired-api-key': 98,
  'worker-killed': 63,
  'rate-limit': 62,
  'late-commits': 56,
  'gorgias-failing': 55,
  'temporal-down': 49,
  'catch-up': 42,
  'reset-in-flight': 38,
  'worker-stopped': 35,
  'one-voice': 33,
  'kill-switch-retry': 24,
  'intake-restarted': 18,
  'unversioned-workers': 15,
  'broken-template': 14,
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
