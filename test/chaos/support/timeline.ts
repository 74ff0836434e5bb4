import type { temporal } from '@temporalio/proto';
import { workflowIdForTicket } from '../../../src/temporal/definitions';
import type { ChaosRig } from './rig';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** An event's time in ms since the epoch. */
export function eventTimeMs(event: HistoryEvent): number {
  return Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
}

/** When the sandbox committed a message (its created_datetime: UTC without an offset, in ms). */
export function committedAt(message: { created_datetime?: string }): number {
  return Date.parse(`${String(message.created_datetime).slice(0, 23)}Z`);
}

/**
 * What happened to one ticket, in time order, relative to `since`: every Gorgias call the sandbox saw (with its
 * answer, or none), every message it committed, and the activity events of every run of the ticket's workflow
 * (which worker, which attempt, after what failure). Printed when a scenario finds a ticket answered twice.
 */
export async function ticketTimeline(rig: ChaosRig, ticketId: number, since: number): Promise<string> {
  const lines: [number, string][] = [];
  for (const r of rig.sandbox.requests.filter((q) => q.ticketId === ticketId)) {
    lines.push([r.receivedAt, `sandbox  ${r.method} ${r.url} → ${r.status ?? 'no answer'}`]);
  }
  for (const m of rig.sandbox.sandbox.messagesOf(ticketId) as {
    id: number;
    external_id?: string | null;
    created_datetime?: string;
  }[]) {
    lines.push([committedAt(m), `sandbox  committed message ${m.id} ${m.external_id ?? '(customer/rule)'}`]);
  }
  const workflowId = workflowIdForTicket(ticketId);
  const runs = rig.temporal.client.workflow.list({ query: `WorkflowId = "${workflowId}"` });
  for await (const run of runs) {
    const history = await rig.temporal.client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    const activityName = (scheduledId: unknown) =>
      events.find((e) => String(e.eventId) === String(scheduledId))?.activityTaskScheduledEventAttributes
        ?.activityType?.name ?? '?';
    for (const e of events) {
      const at = eventTimeMs(e);
      const run8 = run.runId.slice(0, 8);
      const s = e.activityTaskStartedEventAttributes;
      const c = e.activityTaskCompletedEventAttributes;
      const f = e.activityTaskFailedEventAttributes;
      const t = e.activityTaskTimedOutEventAttributes;
      const sch = e.activityTaskScheduledEventAttributes;
      if (sch) lines.push([at, `run ${run8} scheduled ${sch.activityType?.name}`]);
      if (s) {
        const last = s.lastFailure ? ` after: ${s.lastFailure.message}` : '';
        lines.push([
          at,
          `run ${run8} started ${activityName(s.scheduledEventId)} attempt ${s.attempt} on ${s.identity}${last}`,
        ]);
      }
      if (c) lines.push([at, `run ${run8} completed ${activityName(c.scheduledEventId)}`]);
      if (f)
        lines.push([at, `run ${run8} failed ${activityName(f.scheduledEventId)}: ${f.failure?.message}`]);
      if (t)
        lines.push([at, `run ${run8} timed out ${activityName(t.scheduledEventId)}: ${t.failure?.message}`]);
    }
  }
  return lines
    .sort(([a], [b]) => a - b)
    .map(([at, text]) => `${((at - since) / 1000).toFixed(3).padStart(8)} s  ${text}`)
    .join('\n');
}
