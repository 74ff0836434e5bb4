import { loadConfig, readEnvironment } from '../../config';
import { GorgiasClient } from '../../gorgias/client';
import { policyFromConfig } from '../../policy/load';
import { describeDecision, previewTicket } from './policy-preview';
import { workflowUiUrl } from '../../temporal/ui-link';
import { gorgiasClientFrom } from '../../gorgias/from-config';
import { workflowIdForTicket } from '../../temporal/definitions';
import { readLocalStack } from '../dev/local-stack';

/**
 * `npm run preview -- <ticket-id>`: the reply and note the policy would produce for a ticket, read from the
 * configured Gorgias (GORGIAS_BASE_URL) or, without one, from the sandbox `npm start` runs. Sends nothing.
 * The per-customer cooldown, which asks Temporal about other tickets, is not checked.
 */
async function run(): Promise<void> {
  const ticketId = Number(process.argv[2]);
  if (!Number.isSafeInteger(ticketId) || ticketId <= 0)
    throw new Error('Usage: npm run preview -- <ticket-id>');
  const env = readEnvironment();
  const { temporal, policy: policyConfig } = loadConfig(env, ['temporal', 'policy']);
  const policy = policyFromConfig(policyConfig);
  let gorgias: GorgiasClient;
  if (env.GORGIAS_BASE_URL) {
    gorgias = gorgiasClientFrom(loadConfig(env, ['gorgias']));
  } else {
    const sandbox = readLocalStack().sandbox;
    if (!sandbox)
      throw new Error('Set GORGIAS_BASE_URL (and credentials), or run `npm start` for the sandbox.');
    gorgias = new GorgiasClient({
      baseUrl: sandbox.url,
      username: sandbox.username,
      apiKey: sandbox.apiKey,
      timeoutMs: 10_000,
    });
  }
  const traceUrl = workflowUiUrl(
    temporal.TEMPORAL_UI_URL,
    temporal.TEMPORAL_NAMESPACE,
    workflowIdForTicket(ticketId),
  );
  const preview = await previewTicket(gorgias, ticketId, policy, new Date(), traceUrl);
  const say = (line = '') => process.stdout.write(`${line}\n`);
  say(
    `Ticket #${ticketId}: ${preview.ticket.subject ?? '(no subject)'} from ${preview.ticket.customer?.email ?? 'unknown'}`,
  );
  const store = preview.store;
  say(
    `Store: ${store.name}${store.matchedBy ? ` (by ${store.matchedBy})` : ' (no store section matches: top-level policy)'}`,
  );
  say(
    `Decision: ${describeDecision(preview.decision, store.policy, preview.ticket, preview.answer)} (cooldown not checked)`,
  );
  if (preview.answer?.detail) say(`Order: ${preview.answer.detail}`);
  if (preview.reply) {
    say();
    say(`Reply (template ${preview.reply.template}), subject: ${preview.reply.subject}`);
    say(preview.reply.bodyText.replace(/^/gm, '  | '));
  }
  say();
  if (preview.note === null) {
    say('Internal note: none (nothing is written on this ticket)');
  } else {
    say('Internal note:');
    say(preview.note.replace(/^/gm, '  | '));
  }
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
