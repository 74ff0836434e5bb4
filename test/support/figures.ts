import { parseMarker } from '../../src/reply/markers';
import type { AutoReplyResult } from '../../src/temporal/definitions';
import { ourMessages as ours, postedBy, type MarkedMessage } from '../../harness/posted';
import type { RecordedSandbox } from '../../harness/recorded-sandbox';

/** What a scenario did to the service and what came out of it: the figures docs/guarantees.md reports. */
export interface ScenarioFigures {
  scenario: string;
  tickets: number;
  faults: string;
  replies: number;
  notes: number;
  /** Replies and notes beyond the first on a ticket. */
  duplicates: number;
  /** Tickets without exactly one reply and one note, or whose workflow did not end "replied". */
  lost: number;
  /** 429 answers the service caused. */
  rateLimited: number;
  /** Per ticket, for precise assertions. */
  perTicket: Map<number, { replies: number; notes: number; outcome: string }>;
}

/** What the service posted on a ticket (its messages carry an external_id starting `gorgias-autoreply:`). */
export function ourMessages(sandbox: RecordedSandbox, ticketId: number): MarkedMessage[] {
  return ours(sandbox.sandbox.messagesOf(ticketId) as MarkedMessage[]);
}

/** Our notes on a ticket, counted by kind (`replied`, `failed`, `skipped`, …), as their markers name it. */
export function notesByKind(sandbox: RecordedSandbox, ticketId: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const m of ourMessages(sandbox, ticketId)) {
    const marker = parseMarker(m.external_id);
    if (marker?.kind === 'note') kinds[marker.noteKind] = (kinds[marker.noteKind] ?? 0) + 1;
  }
  return kinds;
}

/** Tickets that carry two notes of the same kind (a note repeated by a retry or a reset run). */
export function repeatedNotes(
  sandbox: RecordedSandbox,
  ticketIds: number[],
): { ticketId: number; notes: Record<string, number> }[] {
  return ticketIds
    .map((ticketId) => ({ ticketId, notes: notesByKind(sandbox, ticketId) }))
    .filter(({ notes }) => Object.values(notes).some((n) => n > 1));
}

/** Counts what the service posted on each ticket (found by its external_id marker). */
export function tally(
  scenario: string,
  faults: string,
  sandbox: RecordedSandbox,
  ticketIds: number[],
  results: Map<number, AutoReplyResult | Error>,
  rateLimitedSince = 0,
): ScenarioFigures {
  const perTicket = new Map<number, { replies: number; notes: number; outcome: string }>();
  let replies = 0;
  let notes = 0;
  let duplicates = 0;
  let lost = 0;
  for (const ticketId of ticketIds) {
    const posted = postedBy(ourMessages(sandbox, ticketId));
    const r = posted.replies.length;
    const n = posted.notes.length;
    const result = results.get(ticketId);
    const outcome = result === undefined ? 'none' : result instanceof Error ? result.name : result.outcome;
    perTicket.set(ticketId, { replies: r, notes: n, outcome });
    replies += r;
    notes += n;
    duplicates += Math.max(0, r - 1) + Math.max(0, n - 1);
    if (r < 1 || n < 1 || outcome !== 'replied') lost += 1;
  }
  const rateLimited = sandbox.requests.slice(rateLimitedSince).filter((r) => r.status === 429).length;
  return {
    scenario,
    tickets: ticketIds.length,
    faults,
    replies,
    notes,
    duplicates,
    lost,
    rateLimited,
    perTicket,
  };
}

/** One line per scenario, to copy into docs/guarantees.md. */
export function printFigures(f: ScenarioFigures): void {
  console.log(
    `[chaos] ${f.scenario}: tickets=${f.tickets} faults="${f.faults}" replies=${f.replies} notes=${f.notes} ` +
      `duplicates=${f.duplicates} lost=${f.lost} 429s=${f.rateLimited}`,
  );
}

/** Tickets that did not get exactly one reply and one note, or whose workflow does not say "replied". */
export function ticketsNotRepliedExactlyOnce(
  f: ScenarioFigures,
): { ticketId: number; replies: number; notes: number; outcome: string }[] {
  return [...f.perTicket.entries()]
    .filter(([, t]) => t.replies !== 1 || t.notes !== 1 || t.outcome !== 'replied')
    .map(([ticketId, t]) => ({ ticketId, ...t }));
}
