import { createHash } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import {
  claimAcknowledgementUpdate,
  CustomerEmailAttribute,
  type RecipientWorkflow,
} from '../temporal/definitions';
import type { Recipient, RecipientClaim } from '../reply/recipient-grants';
import type { ActivityDependencies } from './dependencies';

/** How long one attempt waits for the recipient's workflow to answer (the activity's timeout is a little longer). */
export const CLAIM_WAIT_MS = 10_000;

/**
 * The recipient's workflow: one per address or domain, its ID a digest of it (addresses are not shown in lists of
 * workflow IDs; support finds a customer's by the CustomerEmail search attribute).
 */
export function recipientWorkflowId(recipient: Recipient): string {
  const digest = createHash('sha256').update(`${recipient.kind}:${recipient.name}`).digest('hex');
  return `gorgias-${recipient.kind === 'address' ? 'customer' : 'domain'}-${digest.slice(0, 32)}`;
}

/** The outcome of a ticket's claims: granted by every recipient, or denied by one (with the holders' tickets). */
export type ClaimOutcome =
  { granted: true } | { granted: false; deniedAs: RecipientClaim['deniedAs']; heldBy: number[] };

/** The activity that asks the recipients' workflows for a ticket's acknowledgement. */
export function recipientClaimActivities({ temporal }: ActivityDependencies) {
  /** One recipient's answer: Update-with-Start, so the first claim starts its workflow and later ones meet it. */
  function claimFrom(ticketId: number, { recipient, max, withinMs }: RecipientClaim) {
    const startWorkflowOperation = new WithStartWorkflowOperation<RecipientWorkflow>('recipientWorkflow', {
      workflowId: recipientWorkflowId(recipient),
      taskQueue: temporal.taskQueue,
      args: [{ recipient, grants: [] }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary:
        recipient.kind === 'address'
          ? 'Auto-replies to one customer (per-customer cooldown)'
          : `Auto-replies to ${recipient.name} (per-domain limit)`,
      ...(recipient.kind === 'address'
        ? { typedSearchAttributes: [{ key: CustomerEmailAttribute, value: recipient.name }] }
        : {}),
    });
    return temporal.client.withDeadline(Date.now() + CLAIM_WAIT_MS, () =>
      temporal.client.workflow.executeUpdateWithStart(claimAcknowledgementUpdate, {
        args: [{ ticketId, max, withinMs }],
        startWorkflowOperation,
      }),
    );
  }

  return {
    /**
     * The ticket's acknowledgement, claimed from each recipient in turn (the customer's address, then its domain);
     * the first that says no ends it. Asking again, as a retried attempt or a reset run does, gets the same grants.
     * A failure (Temporal unreachable, the recipient's workflow not answering in time) fails the attempt: the
     * workflow retries it while a reply is still useful, and never replies without a grant.
     */
    async claimAcknowledgement({
      ticketId,
      claims,
    }: {
      ticketId: number;
      claims: RecipientClaim[];
    }): Promise<ClaimOutcome> {
      for (const claim of claims) {
        const answer = await claimFrom(ticketId, claim);
        if (!answer.granted) return { granted: false, deniedAs: claim.deniedAs, heldBy: answer.heldBy };
      }
      return { granted: true };
    },
  };
}
