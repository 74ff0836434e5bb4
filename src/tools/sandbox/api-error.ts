import type { z } from 'zod';

/**
 * Errors in the shape the sandbox answers them: `{"error": {"msg": "...", "data": {field: [reasons]}}}`.
 * The real nesting is undocumented (docs/gorgias.md, "Errors"); this one is what the service's client parses.
 */

/** Reasons per field, keyed by dotted path such as `source.to.0.address`. */
export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly data?: FieldErrors,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(msg: string, data?: FieldErrors): { error: { msg: string; data?: FieldErrors } } {
  return { error: data ? { msg, data } : { msg } };
}

export function addFieldError(errors: FieldErrors, field: string, reason: string): void {
  (errors[field] ??= []).push(reason);
}

/** Parses a request body or query; a mismatch is a 400 naming every offending field. */
export function parseRequest<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  // reportInput lets us tell a missing field (no input) from a wrong one.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw invalid(what, fieldErrorsFromZod(result.error));
}

export function invalid(what: string, data: FieldErrors): ApiError {
  const fields = Object.keys(data);
  const named = fields.length > 0 ? `: ${fields.slice(0, 5).join(', ')}` : '';
  return new ApiError(400, `Invalid ${what}${named}.`, data);
}

export function fieldErrorsFromZod(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) addFieldError(errors, [...at, key].join('.'), 'Unknown field.');
    } else if (issue.code === 'invalid_type' && !('input' in issue)) {
      addFieldError(errors, at.join('.') || '_schema', 'Missing data for required field.');
    } else {
      addFieldError(errors, at.join('.') || '_schema', issue.message);
    }
  }
  return errors;
}
