/** The workflows the worker runs, and what clients need to talk to them. */
export { ticketWorkflow } from './ticket';
export { catchUpWorkflow, type CatchUpInput, type CatchUpResult } from './catch-up';
export * from './definitions';
export { workflowIdForTicket } from './ids';
export {
  decideAutoReply,
  isAutomatedAddress,
  type TicketFacts,
  type SkipReason,
  type Decision,
} from './decide';
