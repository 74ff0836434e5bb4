// A jest test sequencer that runs the longest files first, from seconds measured on the 2-core machine. Jest orders
// files by the durations it cached on an earlier run, which a clean clone (CI) does not have: it then orders them
// by file size, and a long file starting late stretches the whole run. Files are named by their path under test/,
// without `.test.ts` (`integration/resets`). Used by jest.chaos-sequencer.js and jest.test-sequencer.js.
const { join, relative } = require('node:path');

const TEST_ROOT = join(__dirname, 'test');

/** The sequencer class for one suite: `unknownSeconds` for a file the table does not list. */
function longestFirst(measured, unknownSeconds) {
  const seconds = (test) =>
    measured[relative(TEST_ROOT, test.path).replace(/\.test\.ts$/, '')] ?? unknownSeconds;
  return class LongestFirst {
    sort(tests) {
      return [...tests].sort((a, b) => seconds(b) - seconds(a));
    }

    // Jest asks every sequencer to remember durations; this one needs none.
    cacheResults() {}
  };
}

module.exports = { longestFirst };
