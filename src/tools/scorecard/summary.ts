import type { SatisfactionSurvey, Ticket } from '../../gorgias/schemas';
import type { ExperimentArm } from '../../reply/holdout';
import type { DecisionRecord } from './decisions';
import { compareArms, type Comparison } from './metrics';
import { ticketOutcome, type TicketOutcome } from './outcomes';

/**
 * The scorecard's figures: each ticket of the range joined with Temporal's record of its decision, then, per
 * store, channel and policy version (and for all tickets), the acknowledged tickets against the held-out ones.
 * Pure.
 */

export interface ScorecardTicket extends TicketOutcome {
  /** The decision Temporal recorded; null: no workflow of this ticket was found (before the service ran, or gone). */
  decision: DecisionRecord | null;
  arm: ExperimentArm | null;
}

export interface ScorecardGroup {
  label: string;
  store: string | null;
  channel: string | null;
  policyVersion: string | null;
  /** Tickets of the group in either arm. */
  heldOut: number;
  acknowledged: number;
  comparisons: Comparison[];
}

export interface ScorecardSummary {
  /** Tickets created in the range (Gorgias). */
  tickets: number;
  /** Of those, the ones Temporal has a decision for. */
  recorded: number;
  /** Tickets with a decision but in neither arm, by what was decided (`skipped: spam`, `dry-run`, ...). */
  notInExperiment: Record<string, number>;
  groups: ScorecardGroup[];
}

/** Joins the tickets with their surveys and decisions. */
export function scorecardTickets(
  tickets: readonly Ticket[],
  surveys: ReadonlyMap<number, SatisfactionSurvey>,
  decisions: ReadonlyMap<number, DecisionRecord>,
): ScorecardTicket[] {
  return tickets
    .map((ticket) => {
      const decision = decisions.get(ticket.id) ?? null;
      return {
        ...ticketOutcome(ticket, surveys.get(ticket.id) ?? null),
        decision,
        arm: decision?.arm ?? null,
      };
    })
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.ticketId - b.ticketId);
}

export function summarizeScorecard(tickets: readonly ScorecardTicket[]): ScorecardSummary {
  const inArms = tickets.filter((t) => t.arm !== null);
  const notInExperiment: Record<string, number> = {};
  for (const t of tickets) {
    if (!t.decision || t.arm) continue;
    const what = [t.decision.outcome ?? 'running', t.decision.reason].filter(Boolean).join(': ');
    notInExperiment[what] = (notInExperiment[what] ?? 0) + 1;
  }
  return {
    tickets: tickets.length,
    recorded: tickets.filter((t) => t.decision).length,
    notInExperiment,
    groups: groupsOf(inArms),
  };
}

const byName = (a: string, b: string) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b));
const distinct = (values: (string | null)[]) => [...new Set(values.map((v) => v ?? 'unknown'))].sort(byName);

/**
 * All tickets, then each store, then each store's channel and policy version where a store has more than one
 * (a store with one channel and one version would repeat its own figures).
 */
function groupsOf(tickets: readonly ScorecardTicket[]): ScorecardGroup[] {
  const groups = [group('All tickets', { store: null, channel: null, policyVersion: null }, tickets)];
  for (const store of distinct(tickets.map((t) => t.decision?.store ?? null))) {
    const ofStore = tickets.filter((t) => (t.decision?.store ?? 'unknown') === store);
    groups.push(group(store, { store, channel: null, policyVersion: null }, ofStore));
    const parts = new Map<string, ScorecardTicket[]>();
    for (const t of ofStore) {
      const key = JSON.stringify([t.channel, t.decision?.policyVersion ?? 'unknown']);
      parts.set(key, [...(parts.get(key) ?? []), t]);
    }
    if (parts.size < 2) continue;
    for (const [key, part] of [...parts].sort(([a], [b]) => a.localeCompare(b))) {
      const [channel, policyVersion] = JSON.parse(key) as [string, string];
      groups.push(
        group(`${store} · ${channel} · policy ${policyVersion}`, { store, channel, policyVersion }, part),
      );
    }
  }
  return groups;
}

function group(
  label: string,
  where: Pick<ScorecardGroup, 'store' | 'channel' | 'policyVersion'>,
  tickets: readonly ScorecardTicket[],
): ScorecardGroup {
  const holdout = tickets.filter((t) => t.arm === 'holdout');
  const acknowledged = tickets.filter((t) => t.arm === 'acknowledged');
  return {
    label,
    ...where,
    heldOut: holdout.length,
    acknowledged: acknowledged.length,
    comparisons: compareArms(holdout, acknowledged),
  };
}
