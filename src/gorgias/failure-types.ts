/**
 * The failure types a Gorgias call ends with, as Temporal carries them (ApplicationFailure.type): set by the
 * activities (activities/gorgias-call.ts), read by the ticket workflow's retry policy and hand-back, and seen by
 * an operator. No imports: the workflow bundle imports this module.
 */
export const FAILURE_TYPES = {
  'rate-limited': 'GorgiasRateLimited',
  retryable: 'GorgiasUnavailable',
  permanent: 'GorgiasRejected',
  auth: 'GorgiasAuth',
  /** 404: the ticket (or whatever the call named) no longer exists, e.g. deleted or merged into another. */
  notFound: 'GorgiasNotFound',
  unreadable: 'GorgiasUnreadable',
} as const;
export type FailureType = (typeof FAILURE_TYPES)[keyof typeof FAILURE_TYPES];
