// The order of the chaos scenarios (jest.chaos.config.js).
// The chaos scenarios run two at a time and take from 10 s to well over a minute each. Jest orders files by the
// durations it cached on an earlier run, which a clean clone (CI) does not have: it would order them by file
// size and could leave the longest for last. This order is the measured one, longest first (seconds on the
// 2-core machine, 2026-11-26; the reset scenarios 2026-11-27; one-voice and kill-switch-retry 2026-12-02); a scenario not listed runs
// first, as it may be long.
const MEASURED_SECONDS = {
  'worker-paused': 104,
  'unversioned-workers': 80,
  'reset-storm': 96,
  'one-voice': 70,
  'gorgias-failing': 62,
  'rate-limit': 62,
  'temporal-down': 57,
  'worker-killed': 55,
  'late-commits': 46,
  'expired-api-key': 44,
  'reset-in-flight': 36,
  'kill-switch-retry': 35,
  'worker-stopped': 19,
  'intake-restarted': 14,
  'broken-template': 11,
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
