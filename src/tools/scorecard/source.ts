import { listRange, readTickets, withRetries, type RangeOptions } from '../backtest/source';
import type { GorgiasClient } from '../../gorgias/client';
import { parseGorgiasDatetime } from '../../gorgias/datetime';
import type { SatisfactionSurvey, Ticket } from '../../gorgias/schemas';

/**
 * Reads what the scorecard needs from Gorgias, read-only, through the backtest's resumable reading: the range's
 * tickets (listed, then read with their messages; a ticket closed when read is kept in the cache, one still
 * open is read again on the next run, its figures may still change), and the satisfaction surveys created since
 * the range began, newest first, a page of 100 at a time (not cached: they are few pages).
 */

export type ScorecardGorgias = Pick<
  GorgiasClient,
  'listTicketsPage' | 'getTicket' | 'listSatisfactionSurveysPage'
>;

export async function readScorecardTickets(
  gorgias: ScorecardGorgias,
  options: RangeOptions,
): Promise<{ tickets: Ticket[]; surveys: Map<number, SatisfactionSurvey> }> {
  const ids = await listRange(gorgias, options);
  const tickets = await readTickets(gorgias, ids, { ...options, reread: (t) => t.status !== 'closed' });
  const surveys = await readSurveys(gorgias, new Set(ids), options);
  return { tickets, surveys };
}

/** The surveys of `ticketIds`, by ticket: those created since the range began (a survey follows its ticket). */
async function readSurveys(
  gorgias: ScorecardGorgias,
  ticketIds: ReadonlySet<number>,
  options: RangeOptions,
): Promise<Map<number, SatisfactionSurvey>> {
  const surveys = new Map<number, SatisfactionSurvey>();
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await withRetries(
      () => gorgias.listSatisfactionSurveysPage({ order: 'desc', cursor }),
      sleep,
    );
    pages += 1;
    let older = false;
    for (const survey of page.surveys) {
      const created = parseGorgiasDatetime(survey.created_datetime);
      if (created !== null && created < options.since.getTime()) older = true;
      else if (survey.ticket_id !== null && ticketIds.has(survey.ticket_id))
        surveys.set(survey.ticket_id, survey);
    }
    options.progress?.write(
      `${options.progress.isTTY ? '\r' : ''}Reading surveys: ${pages} page${pages === 1 ? '' : 's'}, ${surveys.size} of the range's tickets${options.progress.isTTY ? '' : '\n'}`,
    );
    if (older || !page.nextCursor) break;
    cursor = page.nextCursor;
  }
  if (options.progress?.isTTY) options.progress.write('\n');
  return surveys;
}
