import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { FAILURE_TYPES } from '../gorgias/failure-types';
import { PAYLOAD_TOO_LARGE } from '../temporal/payload-limits';
import type { FailureReason } from '../temporal/definitions';

/** Why the ticket did not get its reply, on its way to the hand-back. */
export class HandBack extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly replyMessageId: number | null = null,
  ) {
    super(message);
  }

  /** A failed activity, classified by the failure type the activity gave it (gorgias/failure-types.ts). */
  static from(err: unknown): HandBack {
    if (err instanceof HandBack) return err;
    const cause = causeOf(err);
    const type = cause instanceof ApplicationFailure ? cause.type : null;
    // Over our payload bound: some field of the ticket was not clipped, a bug of ours.
    if (type === PAYLOAD_TOO_LARGE) return new HandBack('internal-error', describeError(err));
    const reason: FailureReason =
      type === FAILURE_TYPES.auth
        ? 'gorgias-auth'
        : type === FAILURE_TYPES.unreadable
          ? 'unreadable-ticket'
          : cause instanceof ApplicationFailure && cause.nonRetryable
            ? 'gorgias-rejected'
            : err instanceof ActivityFailure
              ? 'gorgias-unavailable'
              : 'internal-error';
    return new HandBack(reason, describeError(err));
  }
}

/** The ticket no longer exists at Gorgias: a call about it answered 404 (deleted, or merged into another). */
export function isTicketGone(err: unknown): boolean {
  const cause = causeOf(err);
  return cause instanceof ApplicationFailure && cause.type === FAILURE_TYPES.notFound;
}

export function describeError(err: unknown): string {
  const cause = causeOf(err) ?? err;
  return cause instanceof Error ? cause.message : String(cause);
}

function causeOf(err: unknown): unknown {
  return err instanceof ActivityFailure ? err.cause : err;
}
