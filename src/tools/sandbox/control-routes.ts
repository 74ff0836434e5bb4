import { Router } from 'express';
import { z } from 'zod';
import type { Answers } from './answers';
import { faultsPatchSchema } from './faults';
import { ApiError, parseRequest } from './api-error';
import type { SandboxControls } from './controls';
import { ruleSettingSchema } from './rules';
import { sendingPatchSchema } from './sending';
import type { ShopifyOrder } from './shopify';

const seedMonthSchema = z.strictObject({
  since: z.iso.date(),
  days: z.number().int().min(1).max(92).optional(),
  perDay: z.number().min(1).max(500).optional(),
  seed: z.number().int().optional(),
  playOut: z.enum(['now', 'later']).optional(),
});

const effectSchema = z.strictObject({
  followUpRate: z.number().min(-1).max(1).optional(),
  firstResponseFactor: z.number().positive().optional(),
  reopenRate: z.number().min(-1).max(1).optional(),
  satisfaction: z.number().min(-4).max(4).optional(),
});
const playOutSchema = z.strictObject({
  seed: z.number().int().optional(),
  /** By the support address tickets came to. */
  effects: z.record(z.string().min(3), effectSchema).optional(),
});

const customerOrdersSchema = z.strictObject({
  email: z.string().trim().min(3),
  // Shopify's order objects, taken as given: the sandbox stores what a test or tool hands it.
  orders: z.array(z.record(z.string(), z.unknown())).nullable(),
  onTicket: z.boolean().default(true),
});

const customerAddressSchema = z.strictObject({
  email: z.string().trim().min(3),
  address: z.string().trim().min(3),
});

/** Sandbox-only endpoints under `/_sandbox`, for tests and tools running in other processes. */
export function controlRoutes(controls: SandboxControls, answers: Answers): Router {
  const router = Router();

  router.get('/stats', (_req, res) => {
    answers.send(res, 200, controls.stats());
  });

  router.put('/faults', (req, res) => {
    controls.setFaults(parseRequest(faultsPatchSchema, req.body, 'faults'));
    answers.send(res, 200, controls.faults());
  });

  router.get('/sending', (_req, res) => {
    answers.send(res, 200, controls.sending());
  });

  router.put('/sending', (req, res) => {
    controls.setSending(parseRequest(sendingPatchSchema, req.body, 'sending'));
    answers.send(res, 200, controls.sending());
  });

  router.post('/tickets/:ticketId/trash', (req, res) => {
    const ticketId = z.coerce.number().int().positive().safeParse(req.params.ticketId);
    const ticket = ticketId.success ? controls.trashTicket(ticketId.data) : undefined;
    if (!ticket) throw new ApiError(404, 'Ticket not found.');
    answers.send(res, 200, ticket);
  });

  router.delete('/tickets/:ticketId', (req, res) => {
    const ticketId = z.coerce.number().int().positive().safeParse(req.params.ticketId);
    if (!ticketId.success || !controls.deleteTicket(ticketId.data))
      throw new ApiError(404, 'Ticket not found.');
    answers.send(res, 200, { deleted: ticketId.data });
  });

  router.post('/tickets/:ticketId/merge', (req, res) => {
    const ticketId = z.coerce.number().int().positive().safeParse(req.params.ticketId);
    const { into } = parseRequest(z.strictObject({ into: z.number().int().positive() }), req.body, 'merge');
    const ticket = ticketId.success ? controls.mergeTicket(ticketId.data, into) : undefined;
    if (!ticket) throw new ApiError(404, 'Ticket not found.');
    answers.send(res, 200, ticket);
  });

  // A month of past tickets for the backtest (`npm run backtest` against `npm start`'s sandbox).
  router.post('/seed-month', (req, res) => {
    const options = parseRequest(seedMonthSchema, req.body, 'seed');
    const seeded = controls.seedMonth(options);
    answers.send(res, 201, { seeded: seeded.length, first: seeded[0]?.ticketId ?? null });
  });

  // What happens next to the tickets seeded with `playOut: "later"`, once the service has decided them (scorecard).
  router.post('/play-out-month', (req, res) => {
    const played = controls.playOutMonth(parseRequest(playOutSchema, req.body, 'play-out'));
    answers.send(res, 200, {
      playedOut: played.length,
      acknowledged: played.filter((t) => t.acknowledged).length,
    });
  });

  // A customer's Shopify orders (e.g. the demo's shipped order), in Shopify's shape.
  router.put('/customers/orders', (req, res) => {
    const { email, orders, onTicket } = parseRequest(customerOrdersSchema, req.body, 'orders');
    answers.send(res, 200, controls.setCustomerOrders(email, orders as ShopifyOrder[] | null, { onTicket }));
  });

  // Gorgias listing a ticket late: out of `GET /api/tickets` until listed again.
  router.put('/tickets/:ticketId/listed', (req, res) => {
    const ticketId = z.coerce.number().int().positive().safeParse(req.params.ticketId);
    const { listed } = parseRequest(z.strictObject({ listed: z.boolean() }), req.body, 'listing');
    if (!ticketId.success || !controls.setListed(ticketId.data, listed)) {
      throw new ApiError(404, 'Ticket not found.');
    }
    answers.send(res, 200, { ticketId: ticketId.data, listed });
  });

  // The account's Rules, replaced as a whole (the start-up check's cases: see SAMPLE_RULES).
  router.put('/rules', (req, res) => {
    const { rules } = parseRequest(z.strictObject({ rules: z.array(ruleSettingSchema) }), req.body, 'rules');
    controls.setRules(rules);
    answers.send(res, 200, { rules: rules.length });
  });

  // Another email address of a customer (Gorgias's `customer.channels`): their mail from it joins them.
  router.post('/customers/addresses', (req, res) => {
    const { email, address } = parseRequest(customerAddressSchema, req.body, 'address');
    answers.send(res, 201, controls.addCustomerAddress(email, address));
  });

  router.post('/reset', (_req, res) => {
    controls.reset();
    answers.send(res, 200, { ok: true });
  });

  return router;
}
