import type { Policy } from '../policy/schema';

/**
 * One voice per customer: which recipients an acknowledgement counts against (the customer's address, and its mail
 * domain where the per-domain limit applies), and the grant rule each recipient's workflow applies to a claim. Pure:
 * the recipient workflow, the ticket workflow and the backtest call it.
 */

/** Whom acknowledgements are counted for: one address (a customer), or one mail domain. */
export interface Recipient {
  kind: 'address' | 'domain';
  /** Lower-cased: `dana.lee@example.org`, or `example.org`. */
  name: string;
}

/** At most `max` live grants per recipient, each live for `withinMs` from when it was given. */
export interface GrantLimit {
  max: number;
  withinMs: number;
}

/** What a ticket must be granted, by every recipient in order, before it may send its acknowledgement. */
export interface RecipientClaim extends GrantLimit {
  recipient: Recipient;
  /** The ticket's skip reason when this recipient says no. */
  deniedAs: 'cooldown' | 'recipient-domain-limit';
}

/** A ticket's grant: it may send one acknowledgement; it counts against the recipient until `until`. */
export interface Grant {
  ticketId: number;
  grantedAt: number;
  until: number;
}

export type ClaimAnswer =
  | { granted: true; grant: Grant }
  /** The tickets holding the slots, and when the first of them frees one. */
  | { granted: false; heldBy: number[]; freeAt: number };

/** An address as the limits count it: trimmed and lower-cased. */
export function normalAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** The mail domain of an address (after its last `@`, without a trailing dot), or null. */
export function mailDomain(address: string): string | null {
  const normal = normalAddress(address);
  const at = normal.lastIndexOf('@');
  const domain = at < 0 ? '' : normal.slice(at + 1).replace(/\.$/, '');
  return domain === '' ? null : domain;
}

/** Whether a domain is one of the listed ones or below one of them (`mail.yahoo.com` under `yahoo.com`). */
function isListed(domain: string, listed: readonly string[]): boolean {
  return listed.some((entry) => {
    const d = entry.trim().toLowerCase();
    return domain === d || domain.endsWith(`.${d}`);
  });
}

/**
 * What an acknowledgement to `address` must claim under the policy: the customer's slot (the cooldown), then its
 * domain's (the per-domain limit, not for mail providers). Customer first, so a customer's repeated tickets,
 * denied by the cooldown, never use up their domain's slots. A customer with several addresses is one customer:
 * an acknowledgement to another of their addresses claims their main one (`customerAddress`) first, so tickets
 * from both addresses at once meet in one recipient's workflow.
 */
export function recipientClaims(
  address: string,
  guard: Policy['loop_guard'],
  customerAddress: string | null = null,
): RecipientClaim[] {
  const claims: RecipientClaim[] = [];
  const name = normalAddress(address);
  if (name === '') return claims;
  if (guard.cooldown_minutes > 0) {
    const main = normalAddress(customerAddress ?? '');
    for (const customer of new Set([main, name].filter((a) => a !== ''))) {
      claims.push({
        recipient: { kind: 'address', name: customer },
        max: 1,
        withinMs: guard.cooldown_minutes * 60_000,
        deniedAs: 'cooldown',
      });
    }
  }
  const domain = mailDomain(name);
  const perDomain = guard.per_domain;
  if (domain && perDomain.max > 0 && !isListed(domain, perDomain.mail_providers)) {
    claims.push({
      recipient: { kind: 'domain', name: domain },
      max: perDomain.max,
      withinMs: perDomain.within_minutes * 60_000,
      deniedAs: 'recipient-domain-limit',
    });
  }
  return claims;
}

/**
 * What the acknowledgement of a ticket claims: its To address (see `replyRecipient`), with the customer's main
 * address beside it. The workflow claims these before its send, and the backtest replays the same claims.
 */
export function acknowledgementClaims(
  ticket: { replyTo: { address: string } | null; customer: { email: string | null } | null },
  guard: Policy['loop_guard'],
): RecipientClaim[] {
  return recipientClaims(ticket.replyTo?.address ?? '', guard, ticket.customer?.email ?? null);
}

/** The grants still counting at `now`. */
export function liveGrants(grants: readonly Grant[], now: number): Grant[] {
  return grants.filter((g) => g.until > now);
}

/** When the next grant stops counting, or null when there is none. */
export function nextExpiry(grants: readonly Grant[]): number | null {
  return grants.length === 0 ? null : Math.min(...grants.map((g) => g.until));
}

/**
 * A ticket's claim on a recipient. The same ticket asking again (a retried activity, a reset run) gets its live grant
 * back, unchanged; another ticket gets a grant while fewer than `max` are live. Denials are not kept: a ticket
 * denied now is denied again while the slots stay taken.
 */
export function claimGrant(
  grants: readonly Grant[],
  ticketId: number,
  limit: GrantLimit,
  now: number,
): { grants: Grant[]; answer: ClaimAnswer } {
  const live = liveGrants(grants, now);
  const own = live.find((g) => g.ticketId === ticketId);
  if (own) return { grants: live, answer: { granted: true, grant: own } };
  if (live.length >= limit.max) {
    return {
      grants: live,
      answer: {
        granted: false,
        heldBy: live.map((g) => g.ticketId),
        freeAt: nextExpiry(live) ?? now,
      },
    };
  }
  const grant: Grant = { ticketId, grantedAt: now, until: now + limit.withinMs };
  return { grants: [...live, grant], answer: { granted: true, grant } };
}
