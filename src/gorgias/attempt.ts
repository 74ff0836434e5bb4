/**
 * The time one Gorgias activity attempt has, in one place: the workflow's activity options (start-to-close), the
 * client's rule for starting a write, and the configuration's check of GORGIAS_HTTP_TIMEOUT_MS all read it, so
 * they cannot drift apart. Plain constants: the workflow bundle imports them.
 */

/** Start-to-close of every Gorgias activity attempt (src/workflows/ticket.ts). */
export const GORGIAS_ATTEMPT_MS = 30_000;

/** Room a write keeps after its HTTP timeout before the attempt's end: for the answer to reach the activity. */
export const WRITE_MARGIN_MS = 2_000;
