/** One workflow per ticket, its ID derived from the ticket ID alone, so every duplicate delivery meets it. */
export function workflowIdForTicket(ticketId: number): string {
  return `gorgias-ticket-${ticketId}`;
}
