import { z } from 'zod';

/**
 * Chaos switches for tests and benchmarks. Faults act on `/api` requests that passed auth and the rate
 * limit, i.e. on what a real outage or a slow network would hit. Three of them commit the request and still
 * leave the client unsure whether it did, which is what an exactly-once design has to survive:
 * - slow answers (`lateResponseRate`): performed at once, answered `lateResponseMs` later;
 * - late commits (`lateCommitRate`): held without an answer, performed after a random delay in
 *   `lateCommitMs` (when a client with a shorter timeout has given up, and even if it disconnected), then
 *   answered if the connection is still open;
 * - resets after commit (`resetAfterCommitRate`): performed, then the connection is destroyed without an
 *   answer (the client sees ECONNRESET, "socket hang up").
 */

const rate = z.number().min(0).max(1);
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;

export const faultsSchema = z.strictObject({
  /** Share of requests answered with one of `errorStatuses`, without doing anything. */
  errorRate: rate,
  errorStatuses: z.array(z.number().int().min(400).max(599)).min(1),
  /** Added to every answer. */
  latencyMs: z.number().int().min(0),
  /** Slow answers: share of requests performed fully (committed) and then answered `lateResponseMs` later. */
  lateResponseRate: rate,
  lateResponseMs: z.number().int().min(0),
  /** Late commits: share of requests held unanswered, then performed after [min, max] ms and answered. */
  lateCommitRate: rate,
  lateCommitMs: z
    .tuple([z.number().int().min(0), z.number().int().min(0)])
    .refine(([min, max]) => min <= max, { message: 'min must not exceed max' }),
  /** Share of requests performed and then left without an answer: the connection is destroyed. */
  resetAfterCommitRate: rate,
  /** The methods faults apply to; all when absent. */
  methods: z.array(z.enum(METHODS)).optional(),
});
export type SandboxFaults = z.infer<typeof faultsSchema>;

// JSON cannot say `undefined`, so a PUT clears the method filter with `"methods": null`.
export const faultsPatchSchema = faultsSchema
  .partial()
  .extend({ methods: faultsSchema.shape.methods.nullable() });
export type SandboxFaultsPatch = z.infer<typeof faultsPatchSchema>;

export const NO_FAULTS: SandboxFaults = {
  errorRate: 0,
  errorStatuses: [500, 502, 503],
  latencyMs: 0,
  lateResponseRate: 0,
  lateResponseMs: 0,
  lateCommitRate: 0,
  lateCommitMs: [1000, 3000],
  resetAfterCommitRate: 0,
};

/** What to do with one request. */
export type FaultDecision =
  | { kind: 'fail'; status: number; delayMs: number }
  | { kind: 'answer'; delayMs: number; late: boolean }
  | { kind: 'late-commit'; holdMs: number }
  | { kind: 'reset-after-commit' };

export function applyFaultsPatch(current: SandboxFaults, patch: unknown): SandboxFaults {
  const parsed = faultsPatchSchema.parse(patch);
  const merged: SandboxFaults = { ...current };
  for (const [key, value] of Object.entries(parsed)) {
    // `methods: undefined` (from code) or `null` (from JSON) means all methods again; other empty keys keep
    // their value.
    const field = key as keyof SandboxFaults;
    if (value === undefined || value === null) {
      if (field === 'methods') delete merged.methods;
    } else {
      Object.assign(merged, { [field]: value });
    }
  }
  return merged;
}

export function decideFault(faults: SandboxFaults, method: string, random: () => number): FaultDecision {
  if (faults.methods && !faults.methods.some((m) => m === method)) {
    return { kind: 'answer', delayMs: 0, late: false };
  }
  // Draw only for active switches, so a test's sequence of random values maps to one decision each.
  if (faults.errorRate > 0 && random() < faults.errorRate) {
    const statuses = faults.errorStatuses;
    const index =
      statuses.length > 1 ? Math.min(statuses.length - 1, Math.floor(random() * statuses.length)) : 0;
    return { kind: 'fail', status: statuses[index] ?? 500, delayMs: faults.latencyMs };
  }
  if (faults.lateCommitRate > 0 && random() < faults.lateCommitRate) {
    const [min, max] = faults.lateCommitMs;
    return { kind: 'late-commit', holdMs: Math.round(min + random() * (max - min)) };
  }
  if (faults.resetAfterCommitRate > 0 && random() < faults.resetAfterCommitRate) {
    return { kind: 'reset-after-commit' };
  }
  const late = faults.lateResponseRate > 0 && random() < faults.lateResponseRate;
  return { kind: 'answer', late, delayMs: faults.latencyMs + (late ? faults.lateResponseMs : 0) };
}
