import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { isServiceReply, markersOf } from '../../src/reply/markers';
import type { GorgiasClient } from '../../src/gorgias/client';

/**
 * The old way, for comparison only (it never ships in the service): the original Flask prototype's design,
 * an HTTP handler that calls Gorgias from the request. Each delivery reads the ticket, answers unless a reply
 * is already there, posts the reply and then the note, and answers 500 when any Gorgias call fails (so
 * Gorgias retries the delivery). It marks its messages as the service does, so both are counted alike.
 */

const BASELINE = markersOf('bench-baseline');

export interface InlineHandler {
  url: string;
  close(): Promise<void>;
}

export async function startInlineHandler(gorgias: GorgiasClient, secret: string): Promise<InlineHandler> {
  const app = express();
  app.post('/webhooks/gorgias', express.json(), async (req, res) => {
    if (req.get('authorization') !== `Bearer ${secret}`) return void res.status(401).end();
    const body = req.body as { ticket_id?: unknown; ticket?: { id?: unknown } };
    const ticketId = Number(body.ticket?.id ?? body.ticket_id);
    if (!Number.isSafeInteger(ticketId) || ticketId <= 0) return void res.status(400).end();
    try {
      const ticket = await gorgias.getTicket(ticketId);
      if (ticket.messages.some((m) => isServiceReply(m, ticketId))) {
        return void res.status(200).json({ status: 'already-replied' });
      }
      const customer = ticket.customer;
      const first = ticket.messages[0];
      const supportAddress = first?.source?.to?.[0]?.address ?? 'support@shop.example.com';
      if (!customer?.email) return void res.status(200).json({ status: 'no-customer-email' });
      await gorgias.createMessage(ticketId, {
        channel: 'email',
        via: 'api',
        from_agent: true,
        sender: { email: 'autoreply@bench.example.com' },
        receiver: customer.id !== null ? { id: customer.id } : { email: customer.email },
        source: { type: 'email', from: { address: supportAddress }, to: [{ address: customer.email }] },
        subject: `Re: ${ticket.subject ?? 'your message'}`,
        body_text: 'Thanks for contacting us. We will get back to you shortly.',
        external_id: BASELINE.reply(ticketId),
      });
      await gorgias.createMessage(ticketId, {
        channel: 'internal-note',
        via: 'api',
        from_agent: true,
        sender: { email: 'autoreply@bench.example.com' },
        source: { type: 'internal-note' },
        body_text: 'Auto-reply sent.',
        external_id: BASELINE.note(ticketId, 'replied', 'baseline'),
      });
      res.status(200).json({ status: 'replied' });
    } catch {
      res.status(500).json({ error: 'gorgias-failed' });
    }
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
