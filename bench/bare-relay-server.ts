import { createServer, type Server } from 'node:http';
import { Client } from '@temporalio/client';
import { loadConfig, readEnvironment } from '../src/config';
import { lazyClientConnection } from '../src/temporal/connection';
import { startTicketWorkflow } from '../src/temporal/ticket-start';
import { runMeasuringServer } from './measuring-server';

/**
 * `--bare-relay`: the intake's Temporal call behind the thinnest HTTP server Node has — no express, no auth, no
 * validation, no logging, no metrics — in its own process. Compared with ceiling (a) (the same call in the bench
 * process) it prices the extra process hop alone; compared with the service, everything the intake does besides.
 * A measuring device only: it accepts anything that has a numeric `ticket_id`.
 */
function run(): Server {
  const config = loadConfig(readEnvironment(), ['temporal', 'webhook']);
  const client = new Client({
    connection: lazyClientConnection(config.temporal),
    namespace: config.temporal.TEMPORAL_NAMESPACE,
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url?.startsWith('/healthz')) {
        res.writeHead(200).end('ok');
        return;
      }
      const { ticket_id } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ticket_id: number };
      startTicketWorkflow(
        client,
        config.temporal.TEMPORAL_TASK_QUEUE,
        {
          ticketId: ticket_id,
          delivery: { trigger: 'ticket-created', receivedAt: new Date().toISOString() },
        },
        config.webhook.WEBHOOK_TEMPORAL_TIMEOUT_MS,
      ).then(
        () => res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"accepted"}'),
        () => res.writeHead(503).end(),
      );
    });
  });
  return server.listen(config.webhook.PORT, config.webhook.HOST);
}

runMeasuringServer(run);
