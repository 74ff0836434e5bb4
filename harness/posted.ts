/**
 * What the service posted on a ticket, found among all its messages by the marker every one of ours carries
 * (`external_id` starting `gorgias-autoreply:`): the replies, and the internal notes. The tests, the chaos
 * suite and the bench all count them this way.
 */

export interface MarkedMessage {
  external_id?: string | null;
  channel?: string;
}

export function ourMessages<T extends MarkedMessage>(messages: readonly T[]): T[] {
  return messages.filter((m) => String(m.external_id ?? '').startsWith('gorgias-autoreply:'));
}

export function postedBy<T extends MarkedMessage>(messages: readonly T[]): { replies: T[]; notes: T[] } {
  const ours = ourMessages(messages);
  return {
    replies: ours.filter((m) => m.channel !== 'internal-note'),
    notes: ours.filter((m) => m.channel === 'internal-note'),
  };
}
