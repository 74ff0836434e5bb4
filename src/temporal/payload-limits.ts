import { ApplicationFailure } from '@temporalio/common';

/**
 * Temporal's limits on what a workflow's history holds (server defaults; the dev server's too). Over them, the
 * server does not fail a call, it ends the workflow: a command whose payload passes the blob limit (an activity's
 * input, a local activity's result) or a search attribute over its size fails the workflow task, and the server
 * terminates the workflow (`BadScheduleActivityAttributes`, `BadSearchAttributes`): no hand-back, no note.
 */
export const TEMPORAL_LIMITS = {
  /** `limit.blobSize.error`: one payload. */
  blobBytes: 2 * 1024 * 1024,
  /** `limit.blobSize.warn`: the server logs a warning past it. */
  blobWarnBytes: 512 * 1024,
  /** `limit.searchAttributesSizeOfValue`: one search attribute's value (CustomerEmail, say). */
  searchAttributeValueBytes: 2 * 1024,
} as const;

/**
 * Our bound on one activity's input or result that carries customer text: far below the blob limits, so that no
 * input the workflow builds out of a few of them (the facts, the reply, a note) comes near them. What Gorgias
 * gives is clipped where the facts are built (gorgias/field-limits.ts) to stay well within it.
 */
export const ACTIVITY_PAYLOAD_BYTES = 64 * 1024;

/** The failure type of a payload over ACTIVITY_PAYLOAD_BYTES: not retried, handed back as an internal error. */
export const PAYLOAD_TOO_LARGE = 'PayloadTooLarge';

/** A value's size as the default data converter encodes it (JSON, UTF-8). Workflow code may call it. */
export function payloadBytes(value: unknown): number {
  return value === undefined ? 0 : new TextEncoder().encode(JSON.stringify(value)).length;
}

/**
 * The value, if it is within ACTIVITY_PAYLOAD_BYTES; else a non-retryable failure naming what it is and its size,
 * so the ticket is handed back instead of its workflow terminated (a bug: some field was not clipped). Checked on
 * the results that bring customer text into the workflow (the activities) and on the inputs it builds from them
 * (the workflow, before it schedules the activity).
 */
export function withinPayloadLimit<T>(what: string, value: T): T {
  const bytes = payloadBytes(value);
  if (bytes <= ACTIVITY_PAYLOAD_BYTES) return value;
  throw ApplicationFailure.create({
    type: PAYLOAD_TOO_LARGE,
    message: `${what}: ${bytes} bytes, over the ${ACTIVITY_PAYLOAD_BYTES} bytes an activity may carry`,
    nonRetryable: true,
  });
}
