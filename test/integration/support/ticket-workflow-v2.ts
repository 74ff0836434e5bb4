/**
 * "Version 2" of the workflow code for the Worker Versioning tests: the ticket workflow first tags the ticket
 * `autoreply-v2`, then runs as before. An activity before anything else is not replay-compatible (a version-1
 * history replayed on it fails with a non-determinism error), and its effect is visible in the sandbox.
 * Bundled like src/workflows (this module is the bundle's entry point).
 */
import { proxyActivities, setWorkflowOptions } from '@temporalio/workflow';
import type { createActivities } from '../../../src/activities';
import type { TicketWorkflowInput } from '../../../src/temporal/definitions';
import { ticketWorkflow as ticketWorkflowV1 } from '../../../src/workflows/ticket';

export { catchUpWorkflow } from '../../../src/workflows/catch-up';
export { recipientWorkflow } from '../../../src/workflows/recipient';

const { tagTicket } = proxyActivities<ReturnType<typeof createActivities>>({ startToCloseTimeout: '30s' });

setWorkflowOptions({ versioningBehavior: 'PINNED' }, ticketWorkflow);

export async function ticketWorkflow(input: TicketWorkflowInput): ReturnType<typeof ticketWorkflowV1> {
  await tagTicket({ ticketId: input.ticketId, tag: 'autoreply-v2' });
  return ticketWorkflowV1(input);
}
