/**
 * The worker's workflow bundle: every function exported here is a workflow type, so nothing else is. Clients
 * import what they need (IDs, signals, queries, types) from ./definitions.
 */
export { ticketWorkflow } from './ticket';
export { catchUpWorkflow } from './catch-up';
export { recipientWorkflow } from './recipient';
