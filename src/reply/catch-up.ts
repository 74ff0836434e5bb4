import type { Policy } from '../policy/schema';
import { channelLabel, dueResult, type FoundBy } from '../telemetry/coverage';
import type { CatchUpResult, CoverageRow, WebhookSilence } from '../temporal/definitions';

/**
 * The catch-up's decisions, pure: where a run lists from, which listed tickets can be due (judged on what the
 * listing carries, before anything is read or started), where the next run continues, and whether the webhooks
 * have gone quiet. The workflow (catch-up.ts) and its activities call these.
 */

/** A next run lists again this far behind the newest ticket seen: Gorgias may list a ticket late. */
export const OVERLAP_MS = 2 * 60_000;
/** At most this many tickets are listed in one run (100 a call); past it the run says its listing was cut. */
export const MAX_LISTED = 1000;
/** Webhooks are taken for silent after this many tickets in a row found only by the catch-up, over this long. */
export const WEBHOOK_SILENCE = { tickets: 3, minutes: 10 };

/** Why a listed ticket is not started (`due`: it is, unless it has a workflow already). */
export type ListingClass = 'spam' | 'closed' | 'outside-channel' | 'stale' | 'waiting' | 'due';
export type FilteredClass = 'spam' | 'closed' | 'outside-channel' | 'stale';

/** One ticket as the listing showed it, classified. */
export interface ListedTicket {
  ticketId: number;
  createdAt: string | null;
  channel: string;
  class: ListingClass;
}

export interface ListingPlan {
  /** List the tickets created at or after this. */
  since: string;
  /** Created before this: older than the staleness window, no acknowledgement can be due. */
  staleBefore: string;
  /** Created after this: left for the next run, its webhook may still be on its way. */
  waitingAfter: string;
}

/** What the previous run left for this one (its result; older results lack the optional fields). */
export interface CatchUpCarry {
  checkpoint?: string;
  newest?: string | null;
  webhooks?: WebhookSilence;
}

/**
 * Where this run lists from: the previous run's checkpoint, however old (what fell beyond the staleness window is
 * listed to be counted, not started); a first run looks back over the staleness window only.
 */
export function planListing(
  previous: CatchUpCarry | undefined,
  input: { lookbackMinutes: number; graceSeconds?: number },
  now: number,
): ListingPlan {
  const staleBefore = now - input.lookbackMinutes * 60_000;
  return {
    since: previous?.checkpoint ?? new Date(staleBefore).toISOString(),
    staleBefore: new Date(staleBefore).toISOString(),
    waitingAfter: new Date(now - (input.graceSeconds ?? 60) * 1000).toISOString(),
  };
}

/** The channels some section of the policy answers: a ticket on any other cannot be due. */
export function answeredChannels(policy: Policy): Set<string> {
  const stores = Object.values(policy.stores).flatMap((store) => Object.keys(store.channels ?? {}));
  return new Set([...Object.keys(policy.channels), ...stores]);
}

/** What the listing alone says about a ticket (no GET, no workflow): the checks of decideAutoReply it can make. */
export function classifyListed(
  ticket: { spam: boolean | null; status: string | null; channel: string | null; createdAt: string | null },
  channels: ReadonlySet<string>,
  plan: Pick<ListingPlan, 'staleBefore' | 'waitingAfter'>,
): ListingClass {
  if (ticket.spam === true) return 'spam';
  if (ticket.status === 'closed') return 'closed';
  if (!ticket.channel || !channels.has(ticket.channel)) return 'outside-channel';
  if (ticket.createdAt !== null && ticket.createdAt < plan.staleBefore) return 'stale';
  if (ticket.createdAt !== null && ticket.createdAt > plan.waitingAfter) return 'waiting';
  return 'due';
}

/** A ticket that could be due, after the catch-up looked for its workflow (and started one if it had none). */
export interface ExaminedTicket {
  ticketId: number;
  createdAt: string | null;
  channel: string;
  /**
   * `started` now; `start-failed` (left for the next run); `none`: too old to start, and no workflow (missed for
   * good); else the workflow's state: `running`, `closed` (ended), `failed` (handed back), `stopped` (terminated,
   * cancelled or timed out: it ended without an outcome of its own).
   */
  workflow: 'started' | 'start-failed' | 'none' | 'running' | 'closed' | 'failed' | 'stopped';
  startedBy: FoundBy | null;
  store: string | null;
  outcome: string | null;
  reason: string | null;
}

/**
 * Where the next run lists from: the oldest ticket not started yet (a failed start, one left for its webhook),
 * else the newest seen less the overlap, so a ticket Gorgias lists late is still seen. Never later than `since`
 * when nothing was listed.
 */
export function nextCheckpoint(since: string, newest: string | null, notStartedCreatedAt: string[]): string {
  if (newest === null) return since;
  const candidates = [new Date(Date.parse(newest) - OVERLAP_MS).toISOString(), ...notStartedCreatedAt];
  return candidates.sort()[0] as string;
}

export function updateWebhookSilence(
  previous: WebhookSilence | undefined,
  examined: readonly ExaminedTicket[],
): WebhookSilence {
  const dated = examined.filter((t): t is ExaminedTicket & { createdAt: string } => t.createdAt !== null);
  const byWebhook = dated.filter((t) => t.startedBy === 'webhook').map((t) => t.createdAt);
  const newestWebhook = byWebhook.sort().at(-1) ?? null;
  const last = previous?.lastWebhookTicket ?? null;
  if (newestWebhook !== null && (last === null || newestWebhook > last)) {
    // Counted afresh from the newest webhook ticket: every later ticket is in this run's listing.
    const after = dated.filter((t) => t.startedBy === 'catch-up' && t.createdAt > newestWebhook);
    return silenceOf(newestWebhook, after.length, after.map((t) => t.createdAt).sort()[0] ?? null);
  }
  // Only the tickets started now: those started by earlier runs were counted then.
  const added = dated.filter((t) => t.workflow === 'started' && (last === null || t.createdAt > last));
  const since = [previous?.catchUpOnlySince, ...added.map((t) => t.createdAt)].filter(
    (d): d is string => typeof d === 'string',
  );
  return silenceOf(last, (previous?.catchUpOnly ?? 0) + added.length, since.sort()[0] ?? null);
}

function silenceOf(
  lastWebhookTicket: string | null,
  catchUpOnly: number,
  since: string | null,
): WebhookSilence {
  return { lastWebhookTicket, catchUpOnly, catchUpOnlySince: catchUpOnly > 0 ? since : null };
}

/** Tickets keep arriving, the catch-up finds them all, and no webhook has started one for a while. */
export function webhooksSilent(silence: WebhookSilence, now: number): boolean {
  const since = silence.catchUpOnlySince === null ? NaN : Date.parse(silence.catchUpOnlySince);
  return silence.catchUpOnly >= WEBHOOK_SILENCE.tickets && now - since >= WEBHOOK_SILENCE.minutes * 60_000;
}

/** The coverage section: per store (`unknown` until the ticket's workflow has read it) and channel. */
export function coverageRows(examined: readonly ExaminedTicket[]): CoverageRow[] {
  const rows = new Map<string, CoverageRow>();
  for (const ticket of examined) {
    const store = ticket.store ?? 'unknown';
    const channel = channelLabel(ticket.channel);
    const key = `${store}\u0000${channel}`;
    const row = rows.get(key) ?? {
      store,
      channel,
      listed: 0,
      acknowledged: 0,
      held: 0,
      skipped: 0,
      pending: 0,
      stale: 0,
      failed: 0,
      missed: 0,
    };
    rows.set(key, row);
    row.listed += 1;
    if (ticket.startedBy === 'catch-up') row.missed += 1;
    if (ticket.workflow === 'none') {
      row.stale += 1;
      continue;
    }
    const result = dueResult(ticket.outcome, ticket.reason);
    if (result === 'acknowledged') row.acknowledged += 1;
    else if (result === 'held') row.held += 1;
    else if (result === 'stale') row.stale += 1;
    else if (result === 'failed' || ticket.workflow === 'failed' || ticket.workflow === 'stopped')
      row.failed += 1;
    else if (ticket.workflow === 'closed' && ticket.outcome === 'skipped') row.skipped += 1;
    else row.pending += 1;
  }
  return [...rows.values()].sort(
    (a, b) => a.store.localeCompare(b.store) || a.channel.localeCompare(b.channel),
  );
}

/** Everything a run found, summed up as its result (the next run's carry). */
export function summarizeRun(run: {
  previous: CatchUpCarry | undefined;
  plan: ListingPlan;
  listing: { tickets: readonly ListedTicket[]; truncated: boolean };
  examined: readonly ExaminedTicket[];
  now: number;
}): CatchUpResult {
  const { plan, listing, examined } = run;
  const listedAs = (c: ListingClass) => listing.tickets.filter((t) => t.class === c);
  const withWorkflow = (...states: ExaminedTicket['workflow'][]) =>
    examined.filter((t) => states.includes(t.workflow));
  const ids = (tickets: readonly { ticketId: number }[]) => tickets.map((t) => t.ticketId);
  const notYetStarted = [...withWorkflow('start-failed'), ...listedAs('waiting')]
    .map((t) => t.createdAt)
    .filter((d): d is string => d !== null);
  const newest =
    listing.tickets
      .map((t) => t.createdAt)
      .filter((d): d is string => d !== null)
      .sort()
      .at(-1) ?? null;
  const webhooks = updateWebhookSilence(run.previous?.webhooks, examined);
  return {
    checkpoint: nextCheckpoint(plan.since, newest, notYetStarted),
    listedSince: plan.since,
    seen: listing.tickets.length,
    truncated: listing.truncated,
    newest,
    started: ids(withWorkflow('started')),
    handedBack: ids(withWorkflow('failed')),
    stopped: ids(withWorkflow('stopped')),
    notStarted: ids(withWorkflow('start-failed')),
    known: withWorkflow('running', 'closed', 'failed', 'stopped').length,
    waiting: listedAs('waiting').length,
    filtered: {
      spam: listedAs('spam').length,
      closed: listedAs('closed').length,
      'outside-channel': listedAs('outside-channel').length,
      stale: withWorkflow('none').length,
    },
    coverage: coverageRows(examined),
    webhooks: { ...webhooks, silent: webhooksSilent(webhooks, run.now) },
  };
}

/**
 * What a run adds to the `autoreply_catch_up_tickets` counter, by class and channel: each ticket once (those
 * created after the previous run's newest; every start and failed start), though overlapping runs list it again.
 */
export function newlyCounted(run: {
  previous: CatchUpCarry | undefined;
  listing: { tickets: readonly ListedTicket[] };
  examined: readonly ExaminedTicket[];
}): { class: FilteredClass | 'started' | 'start-failed'; channel: string; count: number }[] {
  const watermark = run.previous?.newest ?? null;
  const isNew = (t: { createdAt: string | null }) =>
    watermark === null || t.createdAt === null || t.createdAt > watermark;
  const counted = [
    ...run.listing.tickets
      .filter(
        (t) => (t.class === 'spam' || t.class === 'closed' || t.class === 'outside-channel') && isNew(t),
      )
      .map((t) => ({ class: t.class as FilteredClass, channel: t.channel })),
    ...run.examined
      .filter((t) => t.workflow === 'none' && isNew(t))
      .map((t) => ({ class: 'stale' as const, channel: t.channel })),
    ...run.examined
      .filter((t) => t.workflow === 'started' || t.workflow === 'start-failed')
      .map((t) => ({ class: t.workflow as 'started' | 'start-failed', channel: t.channel })),
  ];
  const totals = new Map<
    string,
    { class: FilteredClass | 'started' | 'start-failed'; channel: string; count: number }
  >();
  for (const entry of counted) {
    const channel = channelLabel(entry.channel);
    const key = `${entry.class}\u0000${channel}`;
    const total = totals.get(key) ?? { class: entry.class, channel, count: 0 };
    total.count += 1;
    totals.set(key, total);
  }
  return [...totals.values()];
}
