import { z } from 'zod';

/**
 * Chaos switches for tests and benchmarks. Faults act on `/api` requests that passed auth and the rate
 * limit, i.e. on what a real outage or a slow network would hit.
 */

export const faultsSchema = z.strictObject({
  /** Share of requests answered with one of `errorStatuses`, without doing anything. */
  errorRate: z.number().min(0).max(1),
  errorStatuses: z.array(z.number().int().min(400).max(599)).min(1),
  /** Added to every answer. */
  latencyMs: z.number().int().min(0),
  /** Share of requests performed fully (committed) and then answered `lateResponseMs` later. */
  lateResponseRate: z.number().min(0).max(1),
  lateResponseMs: z.number().int().min(0),
  /** The methods faults apply to; all when absent. */
  methods: z.array(z.enum(['GET', 'POST'])).optional(),
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
};

/** What to do with one request. */
export type FaultDecision =
  { kind: 'fail'; status: number; delayMs: number } | { kind: 'answer'; delayMs: number; late: boolean };

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
  if (faults.methods && !faults.methods.includes(method as 'GET' | 'POST')) {
    return { kind: 'answer', delayMs: 0, late: false };
  }
  // Draw only for active switches, so a test's sequence of random values maps to one decision each.
  if (faults.errorRate > 0 && random() < faults.errorRate) {
    const statuses = faults.errorStatuses;
    const index =
      statuses.length > 1 ? Math.min(statuses.length - 1, Math.floor(random() * statuses.length)) : 0;
    return { kind: 'fail', status: statuses[index] ?? 500, delayMs: faults.latencyMs };
  }
  const late = faults.lateResponseRate > 0 && random() < faults.lateResponseRate;
  return { kind: 'answer', late, delayMs: faults.latencyMs + (late ? faults.lateResponseMs : 0) };
}
