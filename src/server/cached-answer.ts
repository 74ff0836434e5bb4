import { performance } from 'node:perf_hooks';

/**
 * A check whose answer is kept for a while and shared: every caller meanwhile gets the same answer (the one in
 * flight, or the last), so a burst of `/readyz` (unauthenticated, reachable by anyone) makes one call behind it,
 * not one per request. `keepMs` says how long an answer holds (a failure can be asked again sooner). The check
 * must not reject: it answers with its own failure value. The clock is monotonic (tests pass their own).
 */
export function cachedAnswer<T>(
  check: () => Promise<T>,
  keepMs: (answer: T) => number,
  now: () => number = () => performance.now(),
): () => Promise<T> {
  let last: { askedAt: number; answer: Promise<T>; keptUntil: number } | null = null;
  return () => {
    const at = now();
    if (last && at < last.keptUntil) return last.answer;
    const entry = { askedAt: at, answer: check(), keptUntil: Infinity };
    // Shared while in flight; once settled, kept for as long as the answer says.
    void entry.answer.then((answer) => (entry.keptUntil = entry.askedAt + keepMs(answer)));
    last = entry;
    return entry.answer;
  };
}
