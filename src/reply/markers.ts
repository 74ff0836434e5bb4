import { createHash } from 'node:crypto';

/**
 * Markers (`external_id`) on the messages we post, so a retry, a reset or a new run finds what was already
 * posted, and say which deployment of the service wrote them: a staging or a shadow dry run on the same
 * Gorgias account writes markers of its own, and its notes never make production skip a ticket.
 *
 *   gorgias-autoreply:<deployment>:reply:<ticketId>                  one reply per ticket and deployment, ever
 *   gorgias-autoreply:<deployment>:note:<ticketId>:<kind>:<runId>    notes per kind and per workflow run
 *
 * Notes are marked per kind and per run, so a "replied" note is never mistaken for an earlier run's "failed"
 * one, and a ticket gets at most one note of each kind. Versions before deployments wrote the same markers
 * without `<deployment>:` (legacy markers); every deployment reads them as its own (see `markerOn`).
 */
export const MARKER_PREFIX = 'gorgias-autoreply:';

/** What a deployment's name may be: it is written into every marker (Gorgias keeps 255 characters of one). */
export const DEPLOYMENT_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const DEPLOYMENT_NAME_RULE =
  'must be 1 to 64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or a digit';

/**
 * The deployment a worker writes as: AUTOREPLY_DEPLOYMENT, else its Temporal namespace and task queue, which
 * a staging and a production deployment do not share (their workflows would meet). Lower-cased, other
 * characters turned into "-", and a long name cut short with a hash of the whole kept, so it stays distinct.
 */
export function deploymentOf(temporal: {
  AUTOREPLY_DEPLOYMENT?: string;
  TEMPORAL_NAMESPACE: string;
  TEMPORAL_TASK_QUEUE: string;
}): string {
  if (temporal.AUTOREPLY_DEPLOYMENT) return temporal.AUTOREPLY_DEPLOYMENT;
  const whole = `${temporal.TEMPORAL_NAMESPACE}.${temporal.TEMPORAL_TASK_QUEUE}`;
  const slug = whole
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  if (slug.length <= 64 && slug === whole) return slug;
  // Changed or cut: the hash of the name as configured keeps two such names apart.
  const hash = createHash('sha256').update(whole).digest('hex').slice(0, 8);
  return [slug.slice(0, 55), hash].filter(Boolean).join('-');
}

/** The markers one deployment writes. */
export function markersOf(deployment: string) {
  const notePrefix = (ticketId: number, kind: string) =>
    `${MARKER_PREFIX}${deployment}:note:${ticketId}:${kind}:`;
  return {
    deployment,
    reply: (ticketId: number) => `${MARKER_PREFIX}${deployment}:reply:${ticketId}`,
    note: (ticketId: number, kind: string, runId: string) => `${notePrefix(ticketId, kind)}${runId}`,
  };
}

/** A marker read back: what it marks, on which ticket, and which deployment wrote it (null: a legacy marker). */
export type ParsedMarker = { deployment: string | null; ticketId: number } & (
  { kind: 'reply' } | { kind: 'note'; noteKind: string; runId: string }
);

const MARKER = /^gorgias-autoreply:(?:([a-z0-9][a-z0-9._-]*):)?(reply|note):(\d+)(?::([^:]+):(.+))?$/;

/** Reads one of our markers; null for any other external_id (an agent's, another app's, none). */
export function parseMarker(externalId: string | null | undefined): ParsedMarker | null {
  const match = externalId ? MARKER.exec(externalId) : null;
  if (!match) return null;
  const [, deployment, kind, ticket, noteKind, runId] = match;
  const base = { deployment: deployment ?? null, ticketId: Number(ticket) };
  if (kind === 'reply') return noteKind === undefined ? { ...base, kind: 'reply' } : null;
  return noteKind !== undefined && runId !== undefined ? { ...base, kind: 'note', noteKind, runId } : null;
}

/** Whose a marker on this ticket is, as a deployment reads it. */
export type MarkerOnTicket = ParsedMarker & { ours: boolean };

/**
 * A message's marker for this ticket (null: none, or one for another ticket, e.g. a message merged in), and
 * whether it is this deployment's. A legacy marker counts as ours: reading it so can only make a deployment
 * skip or find a reply, while reading it as another's could have a reset run that started before an upgrade
 * post its reply a second time (docs/guarantees.md, "Deployments on one account").
 */
export function markerOn(
  message: { external_id?: string | null },
  ticketId: number,
  deployment: string | null,
): MarkerOnTicket | null {
  const marker = parseMarker(message.external_id);
  if (!marker || marker.ticketId !== ticketId) return null;
  return { ...marker, ours: marker.deployment === null || marker.deployment === deployment };
}

/** Whether a message is this deployment's reply on the ticket. */
export const isOurReply = (
  message: { external_id?: string | null },
  ticketId: number,
  deployment: string,
) => {
  const marker = markerOn(message, ticketId, deployment);
  return marker?.kind === 'reply' && marker.ours;
};

/** Whether a message is this deployment's note of this kind on the ticket. */
export const isOurNote = (
  message: { external_id?: string | null },
  ticketId: number,
  deployment: string,
  kind: string,
) => {
  const marker = markerOn(message, ticketId, deployment);
  return marker?.kind === 'note' && marker.ours && marker.noteKind === kind;
};

/** Whether a message is the service's reply on this ticket, whichever deployment (or version) wrote it. */
export function isServiceReply(message: { external_id?: string | null }, ticketId: number): boolean {
  const marker = parseMarker(message.external_id);
  return marker?.kind === 'reply' && marker.ticketId === ticketId;
}
