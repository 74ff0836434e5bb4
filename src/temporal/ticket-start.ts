import type { Client } from '@temporalio/client';
import type { FoundBy } from '../telemetry/coverage';
import {
  deliverySignal,
  OutcomeAttribute,
  ReasonAttribute,
  StoreAttribute,
  TicketIdAttribute,
  workflowIdForTicket,
  type TicketDelivery,
  type TicketWorkflow,
} from './definitions';

export interface TicketStart {
  ticketId: number;
  delivery: TicketDelivery;
  /** Shown in the Web UI's workflow list until the workflow has read the ticket itself; display only. */
  customerEmail?: string | null;
  subject?: string | null;
}

const MAX_SUMMARY_BYTES = 200;
const ELLIPSIS = '…';

/**
 * `text` cut to at most `maxBytes` of UTF-8, on a character boundary, ending in "…" when cut. Linear: it
 * encodes at most `maxBytes` characters once, however long the text (a customer's subject can be megabytes).
 * The result is always well-formed (a lone surrogate becomes U+FFFD).
 */
export function clipText(text: string, maxBytes: number): string {
  // No character is shorter than one byte, so the kept part lies within the first maxBytes characters.
  let head = text.slice(0, maxBytes);
  // Half of a surrogate pair cut off at the end would be encoded as U+FFFD: leave it out instead.
  if (head.length < text.length && isHighSurrogate(head.charCodeAt(head.length - 1)))
    head = head.slice(0, -1);
  const bytes = Buffer.from(head);
  if (head.length === text.length && bytes.length <= maxBytes) return bytes.toString('utf8');
  const room = Math.max(0, maxBytes - Buffer.byteLength(ELLIPSIS));
  // Step back over UTF-8 continuation bytes so the cut never splits a character (or a surrogate pair).
  let end = Math.min(room, bytes.length);
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return `${bytes.subarray(0, end).toString('utf8')}${ELLIPSIS}`;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/** One readable line for the Web UI: `Gorgias ticket #123 · dana@example.org · Where is my order?`. */
export function ticketSummary({ ticketId, customerEmail, subject }: Omit<TicketStart, 'delivery'>): string {
  // Clip before collapsing whitespace so the regular expression never sees more than the summary can show.
  const shownSubject = subject && clipText(subject, MAX_SUMMARY_BYTES).replace(/\s+/g, ' ').trim();
  const line = [`Gorgias ticket #${ticketId}`, customerEmail, shownSubject].filter(Boolean).join(' · ');
  return clipText(line, MAX_SUMMARY_BYTES);
}

/**
 * Signal-with-start on the ticket's workflow: the first delivery starts it, later ones are recorded in its
 * history. A finished workflow is never started again for the same ticket (REJECT_DUPLICATE: the call throws
 * WorkflowExecutionAlreadyStartedError), so a late delivery cannot cause a second reply. Resolves once
 * Temporal has persisted the delivery, or rejects after `timeoutMs`.
 */
export async function startTicketWorkflow(
  client: Client,
  taskQueue: string,
  start: TicketStart,
  timeoutMs: number,
): Promise<string> {
  const workflowId = workflowIdForTicket(start.ticketId);
  await client.withDeadline(Date.now() + timeoutMs, () =>
    client.workflow.signalWithStart<TicketWorkflow, [TicketDelivery]>('ticketWorkflow', {
      workflowId,
      taskQueue,
      args: [{ ticketId: start.ticketId }],
      signal: deliverySignal,
      signalArgs: [start.delivery],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: TicketIdAttribute, value: start.ticketId }],
      staticSummary: ticketSummary(start),
      // Read back by later catch-up runs: a ticket it had to start is one whose webhook never came.
      ...(start.delivery.trigger === 'catch-up' ? { memo: { startedBy: 'catch-up' } } : {}),
    }),
  );
  return workflowId;
}

/** Whether the ticket has a workflow (running, or closed and still within the namespace's retention). */
export async function ticketWorkflowExists(client: Client, ticketId: number): Promise<boolean> {
  return (await describeTicketWorkflow(client, ticketId)) !== null;
}

/** What the catch-up reads of a ticket's workflow: its status, who started it, and what it recorded. */
export interface TicketWorkflowSummary {
  /** `RUNNING`, `COMPLETED`, `FAILED`, `TERMINATED`, ... */
  status: string;
  startedBy: FoundBy;
  store: string | null;
  outcome: string | null;
  reason: string | null;
}

/** The ticket's workflow as Temporal describes it, or null when it has none (or Temporal cannot say). */
export async function describeTicketWorkflow(
  client: Client,
  ticketId: number,
): Promise<TicketWorkflowSummary | null> {
  try {
    const described = await client.workflow.getHandle(workflowIdForTicket(ticketId)).describe();
    const attributes = described.typedSearchAttributes;
    return {
      status: described.status.name,
      startedBy: described.memo?.startedBy === 'catch-up' ? 'catch-up' : 'webhook',
      store: attributes.get(StoreAttribute) ?? null,
      outcome: attributes.get(OutcomeAttribute) ?? null,
      reason: attributes.get(ReasonAttribute) ?? null,
    };
  } catch {
    return null;
  }
}
