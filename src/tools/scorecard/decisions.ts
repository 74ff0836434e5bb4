import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import {
  ArmAttribute,
  OutcomeAttribute,
  PolicyVersionAttribute,
  ReasonAttribute,
  StoreAttribute,
  TicketIdAttribute,
} from '../../temporal/definitions';
import type { ExperimentArm } from '../../reply/holdout';

/**
 * Temporal's record of what the service decided for each ticket: the ticket workflows' search attributes, read
 * from visibility (a list query, no Gorgias call). Where a ticket has several runs (an operator reset it), the
 * one that ended the ticket counts: not the run a reset replaced (Terminated), else the latest.
 */

export interface DecisionRecord {
  ticketId: number;
  outcome: string | null;
  reason: string | null;
  store: string | null;
  policyVersion: string | null;
  /** The holdout arm, for tickets the policy would have acknowledged; null for the others. */
  arm: ExperimentArm | null;
}

/** The list query: ticket workflows started since `since` (a ticket's starts after it is created). */
export function decisionsQuery(since: Date): string {
  return `WorkflowType = 'ticketWorkflow' AND StartTime >= '${since.toISOString()}'`;
}

export async function readDecisions(
  client: Pick<Client, 'workflow'>,
  since: Date,
): Promise<Map<number, DecisionRecord>> {
  const runs = new Map<number, WorkflowExecutionInfo>();
  for await (const run of client.workflow.list({ query: decisionsQuery(since) })) {
    const ticketId = ticketIdOf(run);
    if (ticketId === null) continue;
    const kept = runs.get(ticketId);
    if (!kept || endsTheTicket(run, kept)) runs.set(ticketId, run);
  }
  return new Map([...runs].map(([ticketId, run]) => [ticketId, recordOf(ticketId, run)]));
}

function ticketIdOf(run: WorkflowExecutionInfo): number | null {
  const id = run.typedSearchAttributes.get(TicketIdAttribute);
  if (typeof id === 'number') return id;
  const match = /^gorgias-ticket-(\d+)$/.exec(run.workflowId);
  return match ? Number(match[1]) : null;
}

/** Whether `run` rather than `kept` is the run that ended its ticket. */
function endsTheTicket(run: WorkflowExecutionInfo, kept: WorkflowExecutionInfo): boolean {
  const replaced = (r: WorkflowExecutionInfo) => r.status.name === 'TERMINATED';
  if (replaced(run) !== replaced(kept)) return replaced(kept);
  return run.startTime.getTime() > kept.startTime.getTime();
}

function recordOf(ticketId: number, run: WorkflowExecutionInfo): DecisionRecord {
  const attributes = run.typedSearchAttributes;
  const arm = attributes.get(ArmAttribute);
  return {
    ticketId,
    outcome: attributes.get(OutcomeAttribute) ?? null,
    reason: attributes.get(ReasonAttribute) ?? null,
    store: attributes.get(StoreAttribute) ?? null,
    policyVersion: attributes.get(PolicyVersionAttribute) ?? null,
    arm: arm === 'acknowledged' || arm === 'holdout' ? arm : null,
  };
}
