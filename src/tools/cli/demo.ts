import axios from 'axios';
import { Client, Connection } from '@temporalio/client';
import { GorgiasClient } from '../../gorgias/client';
import { workflowUiUrl } from '../../temporal/ui-link';
import { workflowIdForTicket, type TicketWorkflow } from '../../temporal/definitions';
import { readLocalStack } from '../dev/local-stack';
import { shopifyOrder } from '../sandbox/month';
import { sampleTicket } from '../sandbox/sample-ticket';

/**
 * `npm run demo`: against the stack `npm start` runs, seeds a ticket in the Gorgias sandbox, delivers the
 * three webhooks Gorgias sends for a new ticket (all at once, as it may), and shows what happened.
 */
const say = (line = '') => process.stdout.write(`${line}\n`);

async function run(): Promise<void> {
  const stack = readLocalStack();
  if (!stack.sandbox) {
    throw new Error(
      'The demo seeds a ticket in the Gorgias sandbox; `npm start` is using a real Gorgias account (GORGIAS_BASE_URL).',
    );
  }
  const gorgias = new GorgiasClient({
    baseUrl: stack.sandbox.url,
    username: stack.sandbox.username,
    apiKey: stack.sandbox.apiKey,
    timeoutMs: 10_000,
  });
  // A fresh customer address and domain per run: the per-customer cooldown and the per-domain limit would otherwise
  // skip a later demo.
  const customerEmail = `dana.lee@demo-${Date.now() % 100_000}.example.org`;
  // Their order #1042, shipped yesterday with tracking: the ticket asks where it is.
  const now = Date.now();
  await axios.put(
    `${stack.sandbox.url}/_sandbox/customers/orders`,
    {
      email: customerEmail,
      orders: [shopifyOrder(1042, now - 3 * 86_400_000, now - 86_400_000, 'in_transit')],
    },
    { auth: { username: stack.sandbox.username, password: stack.sandbox.apiKey } },
  );
  const ticket = await gorgias.createTicket(sampleTicket({ customerEmail }));
  const firstMessage = ticket.messages[0];
  say(`Seeded ticket #${ticket.id} in the sandbox: "${ticket.subject}" from ${ticket.customer?.email}`);

  // What an integration set to "Send the entire ticket/message JSON" ({{context}}) posts for each trigger.
  const deliveries = [
    { event: 'ticket-created', body: { ticket } },
    { event: 'ticket-message-created', body: { ticket, message: firstMessage } },
    { event: 'ticket-updated', body: { ticket } },
  ];
  const answers = await Promise.all(
    deliveries.map(({ event, body }) =>
      axios.post(`${stack.webhookUrl}?event=${event}`, body, {
        headers: { Authorization: `Bearer ${stack.webhookSecret}` },
        validateStatus: () => true,
      }),
    ),
  );
  answers.forEach((answer, i) =>
    say(`  webhook ${deliveries[i]?.event}: HTTP ${answer.status} ${JSON.stringify(answer.data)}`),
  );

  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const client = new Client({ connection, namespace: stack.namespace });
    const workflowId = workflowIdForTicket(ticket.id);
    const result = await client.workflow.getHandle<TicketWorkflow>(workflowId).result();
    say(`Workflow ${workflowId}: ${JSON.stringify(result)}`);

    const after = await gorgias.getTicket(ticket.id);
    const ours = after.messages.filter((m) => m.external_id?.startsWith('gorgias-autoreply:'));
    for (const m of ours) {
      say();
      say(
        m.channel === 'internal-note'
          ? `Internal note #${m.id}:`
          : `Reply #${m.id} to ${m.source?.to?.[0]?.address}: ${m.subject}`,
      );
      say(m.body_text?.replace(/^/gm, '  | ') ?? '');
    }
    say();
    say(
      `Replies: ${ours.filter((m) => m.channel !== 'internal-note').length}, notes: ${ours.filter((m) => m.channel === 'internal-note').length}`,
    );
    say(`Trace it in the Web UI: ${workflowUiUrl(stack.uiUrl, stack.namespace, workflowId)}`);
  } finally {
    await connection.close();
  }
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
