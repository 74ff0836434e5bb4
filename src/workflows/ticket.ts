import {
  ActivityFailure,
  ApplicationFailure,
  log,
  metricMeter,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
// Type-only: no activity code is bundled into the workflow.
import type { createActivities, NoteContent } from '../activities';
import type { Policy } from '../policy/schema';
import {
  decideAutoReply,
  isDryRun,
  staleAt,
  type Decision,
  type SkipReason,
  type TicketFacts,
} from './decide';
import {
  deliverySignal,
  stateQuery,
  type AutoReplyResult,
  type FailureReason,
  type Outcome,
  type Phase,
  type TicketWorkflowInput,
  type TicketWorkflowState,
} from './definitions';
import { CustomerEmailAttribute, OutcomeAttribute, ReasonAttribute } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

/** Gorgias calls: retried with backoff; an acknowledgement not sent within half an hour is not worth sending. */
const GORGIAS_CALL: ActivityOptions = {
  // Per attempt, a little above the HTTP client's timeout (GORGIAS_HTTP_TIMEOUT_MS, 10 s by default),
  // leaving room for the idempotency look-up a retried send makes first.
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};
const MAX_SEND_MS = 30 * 60_000;

const gorgias = proxyActivities<Activities>(GORGIAS_CALL);
// No Gorgias call in these: they run in the workflow's own worker, without a round trip through the task queue.
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 3 } });

/** One workflow per Gorgias ticket: read it, decide, (wait, read again,) reply, note. */
export async function ticketWorkflow({ ticketId }: TicketWorkflowInput): Promise<AutoReplyResult> {
  const state: TicketWorkflowState = {
    ticketId,
    phase: 'reading-ticket',
    deliveries: [],
    outcome: null,
    reason: null,
    result: null,
  };
  // Every delivery for this ticket lands here; recording it is all there is to do, so redelivery is harmless.
  setHandler(deliverySignal, (delivery) => void state.deliveries.push(delivery));
  setHandler(stateQuery, () => state);
  const policy = await local.loadPolicy();

  let ticket = await readTicket(state);
  let decision = await decide(ticket, policy);
  if (decision.reply && policy.timing.delay_seconds > 0) {
    enter(state, 'waiting', ticket);
    await sleep(policy.timing.delay_seconds * 1000);
    // Reply only if nobody has answered (or closed the ticket) while we waited.
    ticket = await readTicket(state);
    decision = await decide(ticket, policy);
  }
  if ('stale' in decision) {
    const late = `not sent within ${policy.timing.stale_after_minutes} minutes of the ticket's creation`;
    return handBack(state, ticket, policy, 'stale', ApplicationFailure.nonRetryable(late, 'AutoReplyStale'));
  }
  if (!decision.reply) return skip(state, ticket, policy, decision.reason);

  const reply = await local.composeReply(ticket);
  const to = ticket.customer?.email ?? '';
  if (isDryRun(ticket, policy)) {
    const note = await addNote(state, ticket, { kind: 'dry-run', to, reply });
    return finish(state, ticket, { outcome: 'dry-run', ticketId, noteMessageId: note.messageId });
  }

  enter(state, 'sending-reply', ticket);
  let sent;
  try {
    sent = await gorgias.sendReply.executeWithOptions(
      {
        ...GORGIAS_CALL,
        scheduleToCloseTimeout: untilStale(ticket, policy),
        summary: `Email reply to ${to}: ${reply.subject}`,
      },
      [{ ticket, reply }],
    );
  } catch (err) {
    return handBack(state, ticket, policy, failureReason(err), err);
  }
  // Recorded before the note, so the per-customer cooldown of other tickets sees it at once.
  record(state, 'replied', null);
  const note = await addNote(state, ticket, {
    kind: 'replied',
    to,
    sentAt: sent.sentAt,
    replyMessageId: sent.messageId,
    reply,
  });
  return finish(state, ticket, {
    outcome: 'replied',
    ticketId,
    replyMessageId: sent.messageId,
    noteMessageId: note.messageId,
  });
}

async function readTicket(state: TicketWorkflowState): Promise<TicketFacts> {
  enter(state, 'reading-ticket');
  const ticket = await gorgias.fetchTicket.executeWithOptions(
    { ...GORGIAS_CALL, summary: `Read ticket #${state.ticketId} from Gorgias` },
    [state.ticketId],
  );
  if (ticket.customer?.email)
    upsertSearchAttributes([{ key: CustomerEmailAttribute, value: ticket.customer.email }]);
  return ticket;
}

/** The policy's decision, then the per-customer cooldown, which looks at other tickets' workflows. */
async function decide(ticket: TicketFacts, policy: Policy): Promise<Decision> {
  const decision = decideAutoReply(ticket, policy, Date.now());
  const withinMinutes = policy.loop_guard.cooldown_minutes;
  const customerEmail = ticket.customer?.email;
  if (!decision.reply || withinMinutes === 0 || !customerEmail) return decision;
  try {
    const recent = await local.hasRecentAutoReply({
      ticketId: ticket.ticketId,
      customerEmail,
      withinMinutes,
    });
    return recent ? { reply: false, reason: 'cooldown' } : decision;
  } catch (err) {
    log.warn('Could not check the per-customer cooldown; replying anyway', { error: String(err) });
    return decision;
  }
}

async function skip(
  state: TicketWorkflowState,
  ticket: TicketFacts,
  policy: Policy,
  reason: SkipReason,
): Promise<AutoReplyResult> {
  record(state, 'skipped', reason);
  // A ticket we already answered got its note then; every other skip is explained to the agents.
  const explain = policy.notes.on_skip && reason !== 'already-auto-replied';
  const note = explain ? await addNote(state, ticket, { kind: 'skipped', reason }) : null;
  return finish(state, ticket, {
    outcome: 'skipped',
    ticketId: ticket.ticketId,
    reason,
    noteMessageId: note?.messageId ?? null,
  });
}

/** The reply finally failed: tag the ticket and leave a note for the agents, then fail visibly. */
async function handBack(
  state: TicketWorkflowState,
  ticket: TicketFacts,
  policy: Policy,
  reason: FailureReason,
  error: unknown,
): Promise<never> {
  record(state, 'failed', reason);
  enter(state, 'handing-back', ticket);
  const tag = policy.failure.tag;
  await gorgias.tagTicket.executeWithOptions({ ...GORGIAS_CALL, summary: `Tag the ticket "${tag}"` }, [
    { ticketId: ticket.ticketId, tag },
  ]);
  await addNote(state, ticket, { kind: 'failed', reason, error: describeError(error), tag });
  enter(state, 'done', ticket);
  throw error;
}

function addNote(
  state: TicketWorkflowState,
  ticket: TicketFacts,
  note: NoteContent,
): Promise<{ messageId: number }> {
  enter(state, 'adding-note', ticket);
  return gorgias.addInternalNote.executeWithOptions(
    { ...GORGIAS_CALL, summary: `Internal note: ${note.kind}` },
    [{ ticketId: ticket.ticketId, note }],
  );
}

function finish(state: TicketWorkflowState, ticket: TicketFacts, result: AutoReplyResult): AutoReplyResult {
  if (state.outcome !== result.outcome)
    record(state, result.outcome, result.outcome === 'skipped' ? result.reason : null);
  state.result = result;
  enter(state, 'done', ticket);
  return result;
}

/** The decision, where the Web UI, the CLI (search attributes) and the metrics see it. */
function record(
  state: TicketWorkflowState,
  outcome: Outcome,
  reason: SkipReason | FailureReason | null,
): void {
  state.outcome = outcome;
  state.reason = reason;
  upsertSearchAttributes([
    { key: OutcomeAttribute, value: outcome },
    ...(reason ? [{ key: ReasonAttribute, value: reason }] : []),
  ]);
  metricMeter
    .createCounter('autoreply_ticket_outcomes', 'tickets', 'Ticket workflows by outcome and reason')
    .add(1, { outcome, reason: reason ?? 'none' });
  log.info('Auto-reply decision', { ticketId: state.ticketId, outcome, reason });
}

function enter(state: TicketWorkflowState, phase: Phase, ticket?: TicketFacts): void {
  state.phase = phase;
  const lines = [
    `**Phase:** ${phase}`,
    ticket
      ? `**Customer:** ${ticket.customer?.email ?? 'unknown'} · **Subject:** ${ticket.subject ?? '(none)'}`
      : null,
    state.outcome ? `**Outcome:** ${state.outcome}${state.reason ? ` (${state.reason})` : ''}` : null,
    `**Deliveries:** ${state.deliveries.map((d) => `${d.trigger ?? 'webhook'} at ${d.receivedAt}`).join(', ') || 'none yet'}`,
  ];
  setCurrentDetails(lines.filter(Boolean).join('\n\n'));
}

/** How long the reply may keep retrying: until the acknowledgement would be stale, at most half an hour. */
function untilStale(ticket: TicketFacts, policy: Policy): number {
  const deadline = staleAt(ticket, policy);
  return deadline === null ? MAX_SEND_MS : Math.min(MAX_SEND_MS, Math.max(1000, deadline - Date.now()));
}

function failureReason(err: unknown): FailureReason {
  if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) return 'stale';
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable)
    return 'gorgias-rejected';
  return 'gorgias-unavailable';
}

function describeError(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
