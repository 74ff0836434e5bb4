import { describeDecision, previewFacts } from './policy-preview';
import { DEFAULT_POLICY_FILE, loadPolicy } from '../policy/load';
import { openingAt } from '../policy/business-hours';
import { sampleTickets } from './policy-samples';
import type { Policy } from '../policy/schema';

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
    `  Timing:         delay ${policy.timing.delay_seconds} s; stale after ${policy.timing.stale_after_minutes} min`,
    `  Business hours: ${hours ? `${hours.timezone}; ${open ? 'open' : 'closed'} now` : 'none (always open)'}`,
    `  Catch-up:       ${policy.catch_up.enabled ? `every ${policy.catch_up.every_minutes} min` : 'off'}`,
    '',
    `What it would do now (${now.toISOString()}):`,
  ];
  for (const { label, ticket } of sampleTickets(now)) {
    const preview = previewFacts(ticket, policy, now, 'http://localhost:8233/…');
    const template = preview.reply
      ? ` with template ${preview.reply.template}: "${preview.reply.subject}"`
      : '';
    lines.push(`  - ${label.padEnd(38)} ${describeDecision(preview.decision, policy, ticket)}${template}`);
  }
  return lines.join('\n');
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
