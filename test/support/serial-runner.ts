import TestRunner from 'jest-runner';

/**
 * Jest's own runner, one test file at a time (a runner with `isSerial` runs its files in band): the
 * integration files share one Temporal dev server and a machine of two cores, and some of them measure time.
 * `maxWorkers` is one number for the whole run, so this is how the unit files still run in parallel.
 */
export default class SerialRunner extends TestRunner {
  override readonly isSerial = true;
}
