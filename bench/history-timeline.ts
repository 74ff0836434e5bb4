import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { percentile } from './load';

/**
 * Where one ticket's time went before its reply, from the server's own event times in the workflow's
 * history: each workflow task and each activity split into its wait for a worker (scheduled → started) and its
 * run (started → completed). Medians over many tickets say which step makes the end-to-end latency.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

export interface TicketTimeline {
  /** Steps up to the reply's activity completing, each in ms, in order: name → duration. */
  steps: [string, number][];
  /** From the workflow's start to the completion of the reply's activity. */
  totalMs: number;
}

function ms(event: HistoryEvent): number {
  const t = event.eventTime;
  if (!t) return NaN;
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
}

/** The steps of one history, up to the completion of the activity named `until` (e.g. `sendReply`). */
export function timelineOf(events: readonly HistoryEvent[], until: string): TicketTimeline | null {
  const start = events[0];
  if (!start) return null;
  const steps: [string, number][] = [];
  const activityNames = new Map<number, string>();
  let previous = ms(start);
  let wft = 0;
  const step = (name: string, at: number) => {
    steps.push([name, at - previous]);
    previous = at;
  };
  for (const event of events.slice(1)) {
    const at = ms(event);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        wft++;
        step(`before workflow task ${wft}`, at);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        step(`workflow task ${wft}: wait for a worker`, at);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        step(`workflow task ${wft}: run (with its local activities)`, at);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const name = event.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity';
        activityNames.set(Number(event.eventId), name);
        step(`(workflow task ${wft} completion recorded)`, at);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const name = activityNames.get(Number(event.activityTaskStartedEventAttributes?.scheduledEventId));
        step(`${name}: wait for a worker`, at);
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const name = activityNames.get(Number(event.activityTaskCompletedEventAttributes?.scheduledEventId));
        step(`${name}: run`, at);
        if (name === until) return { steps, totalMs: at - ms(start) };
        break;
      }
      default:
        break;
    }
  }
  return null;
}

/** The histories of the given workflows, read after the run (a few at a time). */
export async function timelinesOf(
  client: Client,
  workflowIds: readonly string[],
  until: string,
): Promise<TicketTimeline[]> {
  const out: TicketTimeline[] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const timeline = timelineOf(history.events ?? [], until);
    if (timeline) out.push(timeline);
  }
  return out;
}

/** Median of each step over timelines that have the same steps (the usual path), in ms. */
export function medianSteps(timelines: readonly TicketTimeline[]): { step: string; p50_ms: number }[] {
  const shape = (t: TicketTimeline) => t.steps.map(([name]) => name).join('|');
  const counts = new Map<string, number>();
  for (const t of timelines) counts.set(shape(t), (counts.get(shape(t)) ?? 0) + 1);
  const usual = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const same = timelines.filter((t) => shape(t) === usual);
  const first = same[0];
  if (!first) return [];
  return first.steps.map(([name], i) => ({
    step: name,
    p50_ms:
      Math.round(
        percentile(
          same.map((t) => t.steps[i]?.[1] ?? NaN).sort((a, b) => a - b),
          50,
        ) * 10,
      ) / 10,
  }));
}
