/** A Gorgias timestamp `minutes` before now: a ticket created then (a lost webhook's, a backlog's). */
export const minutesAgo = (minutes: number): string => new Date(Date.now() - minutes * 60_000).toISOString();
