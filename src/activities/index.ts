import { catchUpActivities } from './catch-up';
import type { ActivityDependencies } from './dependencies';
import { messageActivities } from './messages';
import { recipientClaimActivities } from './recipient-claims';

// The types the workflows name in their activity calls (imported there as types only).
export type { ActivityDependencies } from './dependencies';
export type { SentReply, ReplyDelivery, TicketReading } from './messages';
export type { ComposedReply, NoteContent } from '../reply/content';
export type { ClaimOutcome } from './recipient-claims';

/** Every activity the worker registers, built from its injected dependencies. */
export function createActivities(deps: ActivityDependencies) {
  return { ...messageActivities(deps), ...catchUpActivities(deps), ...recipientClaimActivities(deps) };
}
