import { ApplicationFailure, log, setWorkflowOptions, sleep } from '@temporalio/workflow';
import type { Policy } from '../policy/schema';
import {
  decideAutoReply,
  isDryRun,
  isSkipNoted,
  recipientOf,
  type SkipReason,
  type TicketFacts,
} from '../reply/decision';
import { experimentArm } from '../reply/holdout';
import { orderAnswer } from '../reply/orders/branch';
import type { AutoReplyResult, TicketWorkflowInput } from '../temporal/definitions';
import { describeError, HandBack, isTicketGone } from './hand-back';
import {
  addNote,
  atStore,
  claimAcknowledgement,
  compose,
  HAND_BACK_CALL,
  localActivities,
  noteUnsent,
  readTicket,
  reportReply,
  send,
  tag,
  withOrders,
} from './ticket-steps';
import { TicketRun } from './ticket-run';
import { whenVersioned } from './versioning';

/**
 * Pinned (Worker Versioning): a ticket runs to its end on the worker version it started on, however long it waits
 * (`delay_seconds`, the delivery check), so a workflow change never meets a half-run ticket. Unversioned workers
 * declare nothing (see versioning.ts).
 */
setWorkflowOptions(whenVersioned('PINNED'), ticketWorkflow);

/** One workflow per Gorgias ticket: read it, decide, (wait, read again,) reply, confirm it was sent, note. */
export async function ticketWorkflow({ ticketId }: TicketWorkflowInput): Promise<AutoReplyResult> {
  const run = new TicketRun(ticketId);
  const policy = await localActivities.recordPolicy();
  try {
    return await autoReply(run, policy);
  } catch (err) {
    // Deleted, or merged into another ticket (Gorgias merges a customer's open tickets): nothing is owed here.
    if (isTicketGone(err)) return finishSkipped(run, 'gone', null);
    return handBack(run, policy, HandBack.from(err));
  }
}

async function autoReply(run: TicketRun, topLevel: Policy): Promise<AutoReplyResult> {
  let ticket = await readTicket(run, topLevel);
  let store = atStore(run, ticket, topLevel);
  // Our notes on the ticket in its first run: a workflow of this ticket ran before and is gone (past the namespace's
  // retention), and a later delivery (an update, a new message) started this one. The agents were told then.
  if (ticket.notedBefore && !ticket.autoReplyPresent && run.isFirstRun) {
    return skip(run, ticket, store.policy, 'handled-before');
  }
  let decision = decideAutoReply(ticket, store.policy, Date.now());
  if (decision.reply && store.policy.timing.delay_seconds > 0) {
    run.enter('waiting');
    await sleep(store.policy.timing.delay_seconds * 1000);
    // Reply only if nobody has answered (or closed the ticket) while we waited.
    ticket = await readTicket(run, topLevel);
    store = atStore(run, ticket, topLevel);
    decision = decideAutoReply(ticket, store.policy, Date.now());
  }
  const policy = store.policy;
  if (!decision.reply) return skip(run, ticket, policy, decision.reason);

  ticket = await withOrders(run, ticket, topLevel);
  const answer = orderAnswer(ticket, policy.orders, Date.now());
  if (answer.branch === 'delayed') {
    return skip(run, ticket, policy, 'order-delayed', {
      detail: answer.detail,
      tag: policy.orders.delayed.tag,
    });
  }
  // Held out (the policy's experiment) where the reply would be composed: both arms passed every check alike.
  const arm = experimentArm(ticket, policy);
  run.inExperiment(arm);
  if (arm === 'holdout') return finishSkipped(run, 'holdout', null);

  const reply = await compose(ticket, answer, store);
  const to = recipientOf(ticket);
  if (isDryRun(ticket, policy)) return noteUnsent(run, to, reply, null);
  // One voice per customer: claimed after the last read, so a ticket skipped for any other reason takes no slot.
  const denied = await claimAcknowledgement(run, ticket, policy);
  if (denied) return skip(run, ticket, policy, denied);
  const sent = await send(run, ticket, policy, reply);
  if (sent.status === 'stale') return skip(run, ticket, policy, 'stale');
  if (sent.status === 'held') return noteUnsent(run, to, reply, sent.reason);
  return reportReply(run, policy, { to, reply, replyMessageId: sent.messageId });
}

/** No reply owed (or not now): recorded for the operator; a note only where a human must act (isSkipNoted). */
async function skip(
  run: TicketRun,
  ticket: TicketFacts,
  policy: Policy,
  reason: SkipReason,
  handOff: { detail: string | null; tag: string } | null = null,
): Promise<AutoReplyResult> {
  run.record('skipped', reason);
  // A ticket handed to a human (a late order) is tagged for them; the note always says why.
  if (handOff) await tag(run, handOff.tag);
  const explain = handOff !== null || isSkipNoted(reason, policy);
  const note = explain
    ? await addNote(run, ticket.ticketId, {
        kind: 'skipped',
        reason,
        detail: handOff?.detail ?? null,
        tag: handOff?.tag ?? null,
      })
    : null;
  return finishSkipped(run, reason, note?.messageId ?? null);
}

function finishSkipped(run: TicketRun, reason: SkipReason, noteMessageId: number | null): AutoReplyResult {
  return run.finish({ outcome: 'skipped', ticketId: run.ticketId, reason, noteMessageId });
}

/**
 * The ticket did not get its reply: record why, tag the ticket and leave a note for the agents where Gorgias
 * allows it, then fail visibly (failed workflows are what alerting watches).
 */
async function handBack(run: TicketRun, policy: Policy, failure: HandBack): Promise<never> {
  run.record('failed', failure.reason);
  run.enter('handing-back');
  const { tag: failedTag } = policy.failure;
  await tag(run, failedTag, HAND_BACK_CALL).catch((err) =>
    log.error('Could not tag the ticket', { error: describeError(err) }),
  );
  await addNote(
    run,
    run.ticketId,
    { kind: 'failed', reason: failure.reason, error: failure.message, tag: failedTag },
    HAND_BACK_CALL,
  ).catch((err) => log.error('Could not add the hand-back note', { error: describeError(err) }));
  run.enter('done');
  throw ApplicationFailure.create({
    type: 'AutoReplyFailed',
    message: `${failure.reason}: ${failure.message}`,
    nonRetryable: true,
    details: [{ reason: failure.reason, replyMessageId: failure.replyMessageId }],
  });
}
