import { catchUpActivities } from './catch-up';
import type { ActivityDependencies } from './dependencies';
import { recipientClaimActivities } from './recipient-claims';
import { ticketReadActivities } from './ticket-reads';
import { ticketWriteActivities } from './ticket-writes';

// The types the workflows name in their activity calls (imported there as types only).
export type { ActivityDependencies } from './dependencies';
export type { PostRun } from './post-once';
export type { ReplyDelivery, TicketReading } from './ticket-reads';
export type { SentReply } from './ticket-writes';
export type { ComposedReply, NoteContent } from '../reply/content';
export type { ClaimOutcome } from './recipient-claims';

/** Every activity the worker registers, built from its injected dependencies. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...ticketReadActivities(deps),
    ...ticketWriteActivities(deps),
    ...catchUpActivities(deps),
    ...recipientClaimActivities(deps),
  };
}
