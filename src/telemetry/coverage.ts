/**
 * What "coverage" means, for the metrics the workflows record and the catch-up's summary: which tickets were owed
 * an acknowledgement and what became of each. Pure and free of Node built-ins: the workflows import it.
 */

/** The worker's metrics as `/metrics` shows them (custom metrics get no prefix and counters no `_total`). */
export const METRICS = {
  ticketOutcomes: 'autoreply_ticket_outcomes',
  ticketsDue: 'autoreply_tickets_due',
  acknowledgementSeconds: 'autoreply_acknowledgement_seconds',
  catchUpTickets: 'autoreply_catch_up_tickets',
  webhookSilentRuns: 'autoreply_webhook_silent_runs',
} as const;

/** Buckets of the time to acknowledgement: from seconds (a webhook) to the default 30-minute staleness window. */
export const ACKNOWLEDGEMENT_BUCKETS_SECONDS = [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/**
 * Gorgias's ticket channels (docs/gorgias.md); any other value is labelled `other`, so a new channel or a
 * malformed one cannot add time series without bound.
 */
const CHANNELS = new Set([
  'email',
  'contact_form',
  'chat',
  'api',
  'sms',
  'phone',
  'aircall',
  'facebook',
  'facebook-messenger',
  'facebook-mention',
  'instagram-comment',
  'instagram-direct-message',
  'instagram-ad-comment',
  'twitter',
  'twitter-direct-message',
  'whatsapp',
  'help-center',
  'yotpo-review',
]);

export function channelLabel(channel: string | null | undefined): string {
  if (!channel) return 'unknown';
  return CHANNELS.has(channel) ? channel : 'other';
}

/**
 * What became of a ticket that was owed an acknowledgement; null when none was owed (the policy skipped it:
 * spam, answered already, another channel...). `held`: the decision was to reply but nothing was sent on
 * purpose (dry run, kill switch).
 */
export type DueResult = 'acknowledged' | 'held' | 'stale' | 'failed';

export function dueResult(outcome: string | null, reason: string | null): DueResult | null {
  if (reason === 'stale') return 'stale';
  switch (outcome) {
    case 'replied':
    case 'unconfirmed':
      return 'acknowledged';
    case 'dry-run':
      return 'held';
    case 'failed':
      return 'failed';
    default:
      return null;
  }
}

/** Who started a ticket's workflow: a webhook delivery, or the catch-up (the ticket's webhook was missed). */
export type FoundBy = 'webhook' | 'catch-up';
