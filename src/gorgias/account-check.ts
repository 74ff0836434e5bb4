import type { GorgiasClient } from './client';
import { GorgiasRequestError } from './failures';
import type { Rule } from './schemas';
import type { Policy } from '../policy/schema';

/**
 * What the service checks of the Gorgias account before it relies on it, in one result that the worker's start,
 * the webhook server's `/readyz` and `npm start`'s banner all show:
 * - the account and the user, with one cheap authenticated call (`GET /api/account`): a ticket that answers 404
 *   ends quietly, so a wrong GORGIAS_BASE_URL or a revoked user must show here instead (`misconfigured`);
 * - the account's Rules: an active Rule that sends an automatic reply on a channel the policy answers means two
 *   acknowledgements for one customer (a warning; Rules that cannot be read are a warning too, never a failure);
 * - channels other than email that the policy answers, with nothing to reply from: no GORGIAS_REPLY_FROM and no
 *   active email integration (a warning: those tickets are skipped, see the reply's answerability).
 */

export type AccountStatus = 'ok' | 'misconfigured' | 'unreachable' | 'not-checked';

export interface AccountWarning {
  kind: 'auto-reply-rule' | 'rules-not-read' | 'no-reply-address' | 'integrations-not-read';
  message: string;
}

export interface AccountCheck {
  status: AccountStatus;
  /** Why the status is not `ok`: a sentence naming what to fix, never a secret. */
  reason: string | null;
  /** The account's `domain`, when it said. */
  domain: string | null;
  warnings: AccountWarning[];
}

export const ACCOUNT_NOT_CHECKED: AccountCheck = {
  status: 'not-checked',
  reason: 'GORGIAS_BASE_URL, GORGIAS_USERNAME and GORGIAS_API_KEY are not set on this process',
  domain: null,
  warnings: [],
};

export interface AccountCheckInput {
  gorgias: Pick<GorgiasClient, 'getAccount' | 'listRules' | 'listIntegrations'>;
  /** The channels the policy answers (answeredChannels); null when the policy is not known here. */
  channels: readonly string[] | null;
  /** GORGIAS_REPLY_FROM, when set: every channel has an address to reply from. */
  replyFrom: string | null;
}

export async function checkAccount(input: AccountCheckInput): Promise<AccountCheck> {
  let domain: string | null;
  try {
    domain = (await input.gorgias.getAccount()).domain;
  } catch (err) {
    return { ...accountFailure(err), domain: null, warnings: [] };
  }
  const warnings = input.channels
    ? [
        ...(await ruleWarnings(input.gorgias, input.channels)),
        ...(await replyAddressWarnings(input.gorgias, input.channels, input.replyFrom)),
      ]
    : [];
  return { status: 'ok', reason: null, domain, warnings };
}

/** What a failed `GET /api/account` says about the configuration. */
function accountFailure(err: unknown): { status: AccountStatus; reason: string } {
  if (!(err instanceof GorgiasRequestError)) {
    return { status: 'unreachable', reason: `Gorgias could not be asked (${String(err)})` };
  }
  if (err.status === 401) {
    return {
      status: 'misconfigured',
      reason:
        'Gorgias refused the credentials (401): check GORGIAS_USERNAME and GORGIAS_API_KEY (a revoked key or a ' +
        'removed user answers so)',
    };
  }
  if (err.status === 403) {
    return {
      status: 'misconfigured',
      reason:
        "Gorgias refused the account to the API key's user (403): its role may not use the API; give it an " +
        'agent or admin role, or use the key of a user who has one',
    };
  }
  if (err.status === 404) {
    return {
      status: 'misconfigured',
      reason:
        'No Gorgias account answers at GORGIAS_BASE_URL (404): check the account URL (https://<account>.gorgias.com)',
    };
  }
  if (err.unreadable) {
    return {
      status: 'misconfigured',
      reason:
        'GORGIAS_BASE_URL answers, but not as a Gorgias account (no JSON account): check the account URL',
    };
  }
  if (err.kind === 'permanent') {
    return {
      status: 'misconfigured',
      reason: `GORGIAS_BASE_URL answered HTTP ${err.status ?? '?'} to GET /api/account: check the account URL`,
    };
  }
  return { status: 'unreachable', reason: `Gorgias did not answer the account check (${err.message})` };
}

/** Every channel a ticket may be answered on: the policy's, and each store section's. */
export function answeredChannels(policy: Policy): string[] {
  const channels = new Set(Object.keys(policy.channels));
  for (const store of Object.values(policy.stores)) {
    for (const channel of Object.keys(store.channels ?? {})) channels.add(channel);
  }
  return [...channels].sort();
}

/**
 * Action names in a Rule's code that send the customer a message. Inferred, not documented (docs/gorgias.md):
 * Gorgias's web app names its rule actions this way (`Action('setTags', …)` is in a captured Rule), and its
 * action list has "reply to ticket", "send email" and "apply macro" (a macro usually carries reply text).
 */
const REPLY_ACTIONS = ['replyToTicket', 'sendEmail', 'applyMacro'];
/** Conditions that limit a Rule to the channels they name; any other condition on the channel widens it. */
const LIMITING_OPERATORS = ['eq', 'containsAny', 'containsAll'];

/**
 * The automatic reply a Rule sends, and on which channels: `any` unless every condition its code puts on the
 * ticket's or message's channel names the channels it keeps (`eq(ticket.channel, 'chat')`). Null for a Rule that
 * sends no reply, or that is switched off.
 */
export function autoReplyOf(rule: Rule): { action: string; channels: string[] | 'any' } | null {
  if (rule.deactivated_datetime !== null || !rule.code) return null;
  const actions = [...rule.code.matchAll(/\bAction\(\s*['"](\w+)['"]/g)].map((m) => m[1] ?? '');
  const action = actions.find((name) => REPLY_ACTIONS.includes(name));
  if (!action) return null;
  const conditions = [
    ...rule.code.matchAll(/\b(\w+)\(\s*(?:ticket|message)\.channel\s*,\s*(\[[^\]]*\]|'[^']*'|"[^"]*")/g),
  ];
  const limiting = conditions.length > 0 && conditions.every((m) => LIMITING_OPERATORS.includes(m[1] ?? ''));
  if (!limiting) return { action, channels: 'any' };
  const named = conditions.flatMap((m) =>
    [...(m[2] ?? '').matchAll(/['"]([^'"]+)['"]/g)].map((v) => v[1] ?? ''),
  );
  return { action, channels: [...new Set(named)].sort() };
}

async function ruleWarnings(
  gorgias: AccountCheckInput['gorgias'],
  channels: readonly string[],
): Promise<AccountWarning[]> {
  let rules: Rule[];
  try {
    rules = await gorgias.listRules();
  } catch (err) {
    return [
      {
        kind: 'rules-not-read',
        message: `Could not read the account's Rules (${describe(err)}): automatic replies by Rules are not checked`,
      },
    ];
  }
  return rules.flatMap((rule): AccountWarning[] => {
    const reply = autoReplyOf(rule);
    const overlap =
      reply?.channels === 'any' ? [...channels] : channels.filter((c) => reply?.channels.includes(c));
    if (!reply || overlap.length === 0) return [];
    return [
      {
        kind: 'auto-reply-rule',
        message:
          `Rule "${rule.name ?? rule.id}" sends an automatic reply (${reply.action}) on ${overlap.join(', ')}, ` +
          'which this service answers too: a customer may get two acknowledgements. Turn one of them off, or give ' +
          "ours a delay (timing.delay_seconds) so that the Rule's reply comes first and ours is skipped " +
          '(docs/gorgias.md, "The merchant\'s Rules")',
      },
    ];
  });
}

async function replyAddressWarnings(
  gorgias: AccountCheckInput['gorgias'],
  channels: readonly string[],
  replyFrom: string | null,
): Promise<AccountWarning[]> {
  const others = channels.filter((channel) => channel !== 'email');
  if (others.length === 0 || replyFrom) return [];
  let active: number;
  try {
    const emails = await gorgias.listIntegrations('email');
    active = emails.filter((i) => i.type === 'email' && i.deactivated_datetime === null).length;
  } catch (err) {
    return [
      {
        kind: 'integrations-not-read',
        message: `Could not read the account's email integrations (${describe(err)}): the reply address of ${others.join(', ')} is not checked`,
      },
    ];
  }
  if (active > 0) return [];
  return others.map((channel) => ({
    kind: 'no-reply-address' as const,
    message:
      `Channel "${channel}" is answered by the policy, but nothing can reply from an address: the account has no ` +
      'active email integration and GORGIAS_REPLY_FROM is not set, so its tickets are skipped. Set ' +
      'GORGIAS_REPLY_FROM, connect a support mailbox in Gorgias, or take the channel out of the policy',
  }));
}

/** The check as lines of `npm start`'s banner: the status, then each warning. */
export function bannerLines(check: AccountCheck): string[] {
  const status =
    check.status === 'ok'
      ? `checked${check.domain ? ` (${check.domain})` : ''}`
      : `${check.status}: ${check.reason}`;
  return [`  Gorgias account  ${status}`, ...check.warnings.map((w) => `  Warning          ${w.message}`)];
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
