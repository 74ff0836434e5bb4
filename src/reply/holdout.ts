import type { Policy } from '../policy/schema';
import { isDryRun, type TicketFacts } from './decision';

/**
 * The holdout experiment (`experiment.holdout_percent`): a share of the tickets the policy would acknowledge get
 * nothing, so `npm run scorecard` can compare them with the acknowledged ones. Pure: the workflow calls it where
 * the reply would be composed, after every check and any delay, so both arms are the same kind of ticket
 * (docs/scorecard.md says why there).
 */

export type ExperimentArm = 'acknowledged' | 'holdout';

/** Buckets per percent point: a holdout of 2.5 % is 250 buckets of 10,000. */
const BUCKETS = 10_000;

/**
 * The ticket's bucket, 0 to 9,999, from its id alone: the same for every delivery, reset or later run of the
 * ticket, and spread evenly over consecutive ids (a 32-bit integer hash, the "lowbias32" mixer).
 */
export function holdoutBucket(ticketId: number): number {
  const high = Math.floor(ticketId / 2 ** 32) >>> 0;
  return mix(mix(high ^ 0x5ca1ab1e) ^ (ticketId >>> 0)) % BUCKETS;
}

/** Whether a ticket is held out at this percent; a larger percent keeps every ticket a smaller one held out. */
export function isHeldOut(ticketId: number, holdoutPercent: number): boolean {
  return holdoutBucket(ticketId) < Math.round(holdoutPercent * (BUCKETS / 100));
}

/**
 * The arm of a ticket the policy would acknowledge; null where nothing would be sent either way (a dry run), so
 * it is in neither arm.
 */
export function experimentArm(ticket: TicketFacts, policy: Policy): ExperimentArm | null {
  if (isDryRun(ticket, policy)) return null;
  // A run whose policy was recorded before the experiment existed holds out nothing.
  const experiment = policy.experiment as Policy['experiment'] | undefined;
  return isHeldOut(ticket.ticketId, experiment?.holdout_percent ?? 0) ? 'holdout' : 'acknowledged';
}

function mix(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}
