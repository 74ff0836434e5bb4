import { describeDecision, previewFacts } from './policy-preview';
import { DEFAULT_POLICY_FILE, loadPolicy } from '../../policy/load';
import { openingAt } from '../../policy/business-hours';
import { orderSampleTickets, sampleTickets, storeSampleTickets } from './policy-samples';
import type { Policy } from '../../policy/schema';

/** `npm run policy:check -- <file>`: validates a policy file and shows what it would do for sample tickets. */
export function policyReport(policy: Policy, file: string, now: Date): string {
  const hours = policy.business_hours;
  const open = hours ? openingAt(hours, now).open : true;
  const lines = [
    `Policy ${file} is valid.`,
    `  Dry run:        ${policy.dry_run ? 'YES (notes only, no replies)' : 'no'}`,
    `  Channels:       ${Object.entries(policy.channels)
      .map(([c, { template }]) => `${c} → ${template}`)
      .join(', ')}`,
    `  Loop guard:     ${policy.loop_guard.enabled ? 'on' : 'OFF'}; cooldown ${policy.loop_guard.cooldown_minutes} min; skip tag ${policy.loop_guard.skip_tag ?? 'none'}`,
    `  Per domain:     ${perDomainLine(policy.loop_guard.per_domain)}`,
    `  Timing:         delay ${policy.timing.delay_seconds} s; stale after ${policy.timing.stale_after_minutes} min`,
    `  Business hours: ${hours ? `${hours.timezone}; ${open ? 'open' : 'closed'} now` : 'none (always open)'}`,
    `  Catch-up:       ${policy.catch_up.enabled ? `every ${policy.catch_up.every_minutes} min` : 'off'}`,
    ...orderLines(policy),
    ...storeLines(policy),
    '',
    `What it would do now (${now.toISOString()}):`,
  ];
  const samples = [
    ...sampleTickets(now),
    ...(policy.orders.enabled ? orderSampleTickets(now) : []),
    ...storeSampleTickets(now, policy),
  ];
  for (const { label, ticket } of samples) {
    const preview = previewFacts(ticket, policy, now, 'http://localhost:8233/…');
    const template = preview.reply
      ? ` with template ${preview.reply.template}: "${preview.reply.subject}"`
      : '';
    const store = preview.store.key ? ` (store ${preview.store.name})` : '';
    const dropped = preview.reply?.droppedLinks?.length ? '; unsafe link left out' : '';
    const decision = describeDecision(preview.decision, preview.store.policy, ticket, preview.answer);
    lines.push(`  - ${label.padEnd(38)} ${decision}${template}${dropped}${store}`);
  }
  return lines.join('\n');
}

function orderLines(policy: Policy): string[] {
  const orders = policy.orders;
  if (!orders.enabled) return ['  Orders:         off (plain acknowledgements only)'];
  const languages = Object.keys(orders.keywords).join(', ');
  return [
    `  Orders:         order questions by keywords (${languages}) and intents (${orders.intents.join(', ') || 'none'}); ${orders.allow_http_links ? 'https and http' : 'https'} links only`,
    `    shipped:      tracked, shipped within ${orders.shipped.within_days} d → template ${orders.shipped.template}`,
    `    preparing:    not shipped, ordered within ${orders.preparing.within_days} d → template ${orders.preparing.template}`,
    `    delayed:      not shipped, older → no auto-reply; tag "${orders.delayed.tag}" and note`,
    `    no order:     → template ${orders.no_order.template}`,
    `    other:        (cancelled, shipped long ago or untracked) → the channel's template`,
    orders.read_customer
      ? `    not on ticket: the customer is read from Gorgias for the orders (one more API call)`
      : `    not on ticket: → the channel's template, without an order (read_customer: false)`,
  ];
}

function storeLines(policy: Policy): string[] {
  const stores = Object.entries(policy.stores);
  if (stores.length === 0) return ['  Stores:         none (one policy for every email integration)'];
  return [
    `  Stores:         ${stores.length}, by the email integration a ticket came through`,
    ...stores.map(([key, store]) => {
      const overrides = (['templates', 'channels', 'business_hours', 'dry_run', 'language'] as const)
        .filter((k) => store[k] !== undefined)
        .join(', ');
      return `    ${key}: ${store.name ?? key}${overrides ? ` (overrides ${overrides})` : ''}`;
    }),
  ];
}

function run(): void {
  const file = process.argv[2] ?? DEFAULT_POLICY_FILE;
  console.log(policyReport(loadPolicy(file), file, new Date()));
}

if (require.main === module) {
  try {
    run();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

/** The per-domain limit, as `policy:check` shows it. */
function perDomainLine({ max, within_minutes, mail_providers }: Policy['loop_guard']['per_domain']): string {
  if (max === 0) return 'off';
  return `at most ${max} auto-replies per mail domain in ${within_minutes} min (${mail_providers.length} mail providers exempt)`;
}
