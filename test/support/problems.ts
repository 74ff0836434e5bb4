/**
 * The `problems` listed by the error of type `kind` that `call` throws, or an empty list when it throws none.
 * Any other error is thrown on: the test should fail on it, not count it as a problem.
 */
export function problemsThrown(
  call: () => unknown,
  kind: abstract new (...args: never[]) => { problems: string[] },
): string[] {
  try {
    call();
  } catch (err) {
    if (err instanceof kind) return err.problems;
    throw err;
  }
  return [];
}
