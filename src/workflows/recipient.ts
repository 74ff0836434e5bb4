import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import {
  claimAcknowledgementUpdate,
  grantsQuery,
  type AcknowledgementClaim,
  type RecipientWorkflowInput,
} from '../temporal/definitions';
import { claimGrant, liveGrants, nextExpiry, type Grant } from '../reply/recipient-grants';
import { whenVersioned } from './versioning';

/** Enough for a burst; a run's history stays far below Temporal's limits (2,000 updates a run by default). */
const CLAIMS_PER_RUN = 500;
/** A run started without a claim to answer (its Update rejected) waits this long for one, then ends. */
const IDLE_MS = 60_000;

/**
 * Auto-upgrade (Worker Versioning): a recipient's workflow lives as long as its grants (minutes to an hour) and
 * starts again for the next burst; pinned, it would keep an old version's workers needed for as long as a
 * customer keeps writing. Unversioned workers declare nothing (versioning.ts). Its code must stay replay-compatible (test/fixtures/histories).
 */
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), recipientWorkflow);

/**
 * The acknowledgements one recipient (a customer's address, or a mail domain) got lately. Each ticket claims its
 * reply here, through an Update, right before it sends: the grants are decided one at a time in this workflow's
 * history, so they hold across workers, a worker killed after the grant, and resets of the ticket. Ends once no
 * grant counts any more; continues as new after many claims, carrying the live grants.
 */
export async function recipientWorkflow({
  recipient,
  grants: carried,
  claimsPerRun = CLAIMS_PER_RUN,
}: RecipientWorkflowInput): Promise<void> {
  let grants: Grant[] = carried;
  let claims = 0;
  setHandler(
    claimAcknowledgementUpdate,
    ({ ticketId, max, withinMs }: AcknowledgementClaim) => {
      claims += 1;
      const claimed = claimGrant(grants, ticketId, { max, withinMs }, Date.now());
      grants = claimed.grants;
      showGrants(grants);
      return claimed.answer;
    },
    { validator: validateClaim },
  );
  setHandler(grantsQuery, () => grants);
  showGrants(grants);

  for (;;) {
    const seen = claims;
    const expiry = nextExpiry(grants);
    const wait = expiry === null ? IDLE_MS : Math.max(1, expiry - Date.now());
    await condition(() => claims !== seen, wait);
    grants = liveGrants(grants, Date.now());
    if (claims === seen && grants.length === 0) break;
    if (claims >= claimsPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof recipientWorkflow>({
        recipient,
        grants: liveGrants(grants, Date.now()),
        claimsPerRun,
      });
    }
  }
  await condition(allHandlersFinished);

  function showGrants(current: readonly Grant[]): void {
    const lines = current.map(
      (g) => `Ticket #${g.ticketId} until ${new Date(g.until).toISOString().slice(0, 19)}Z`,
    );
    setCurrentDetails(
      // The address is the CustomerEmail search attribute already; a domain is shown.
      `**${recipient.kind === 'address' ? 'Customer' : `Mail domain ${recipient.name}`}**\n\n` +
        (lines.length > 0 ? `**Granted:** ${lines.join(' · ')}` : 'No grant counts now.'),
    );
  }
}

/** A claim the rule can answer (rejected claims leave nothing in the history). */
function validateClaim({ ticketId, max, withinMs }: AcknowledgementClaim): void {
  if (!Number.isSafeInteger(ticketId) || ticketId <= 0) throw new Error(`bad ticket id ${ticketId}`);
  if (!Number.isInteger(max) || max < 1) throw new Error(`bad limit ${max}`);
  if (!(withinMs > 0)) throw new Error(`bad window ${withinMs}`);
}
