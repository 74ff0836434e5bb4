import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * What an operator searches by in the Web UI or CLI, e.g. `GorgiasTicketId = 123` or
 * `AutoReplyOutcome = "skipped" AND AutoReplyReason = "no-reply-sender"`. The customer's email is there on
 * purpose (support looks tickets up by customer); nothing else personal is.
 */
export const TicketIdAttribute = defineSearchAttributeKey('GorgiasTicketId', SearchAttributeType.INT);
export const CustomerEmailAttribute = defineSearchAttributeKey('CustomerEmail', SearchAttributeType.KEYWORD);
export const OutcomeAttribute = defineSearchAttributeKey('AutoReplyOutcome', SearchAttributeType.KEYWORD);
export const ReasonAttribute = defineSearchAttributeKey('AutoReplyReason', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [
  TicketIdAttribute,
  CustomerEmailAttribute,
  OutcomeAttribute,
  ReasonAttribute,
];
