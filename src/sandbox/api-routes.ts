import { Router, type Request } from 'express';
import { z } from 'zod';
import { newMessageSchema, newTicketSchema, ticketUpdateSchema } from '../gorgias/schemas';
import { ApiError, addFieldError, invalid, parseRequest, type FieldErrors } from './api-error';
import type { Answers } from './answers';
import { messageRuleViolations } from './message-rules';
import { orderBySchema, paginate, pageQuerySchema, pageQueryShape, type PageQuery } from './pagination';
import type { Listed, SandboxStore } from './store';
import type { StatsRecorder } from './stats';

/** The Gorgias REST endpoints the service uses (reference §3), under `/api`. */

const ticketIdSchema = z.coerce.number().int().positive();
const listMessagesQuerySchema = z.strictObject({ ...pageQueryShape, ticket_id: ticketIdSchema.optional() });
const ticketMessagesQuerySchema = z.strictObject({
  ...pageQueryShape,
  // The deprecated endpoint lists oldest first (reference §3.2).
  order_by: orderBySchema.default('created_datetime:asc'),
});

export function apiRoutes(deps: { store: SandboxStore; stats: StatsRecorder; answers: Answers }): Router {
  const { store, stats, answers } = deps;
  const router = Router();

  router.post('/tickets', (req, res) => {
    const input = parseRequest(newTicketSchema, req.body, 'ticket');
    const problems: FieldErrors = {};
    input.messages.forEach((message, index) => {
      Object.assign(problems, messageRuleViolations(message, `messages.${index}.`));
    });
    if (input.created_datetime !== undefined && Number.isNaN(Date.parse(input.created_datetime))) {
      addFieldError(problems, 'created_datetime', 'Not a valid datetime.');
    }
    if (Object.keys(problems).length > 0) throw invalid('ticket', problems);
    const ticket = store.createTicket(input);
    stats.count('ticketsCreated');
    stats.count('messagesCreated', ticket.messages.length);
    answers.send(res, 201, ticket);
  });

  router.get('/tickets', (req, res) => {
    const query = parseRequest(pageQuerySchema, req.query, 'query');
    answers.send(res, 200, listPage(store.listTickets(), query, req));
  });

  router.get('/tickets/:ticketId', (req, res) => {
    const ticket = store.getTicket(ticketIdOf(req));
    if (!ticket) throw ticketNotFound();
    answers.send(res, 200, ticket);
  });

  router.put('/tickets/:ticketId', (req, res) => {
    const ticketId = ticketIdOf(req);
    if (!store.hasTicket(ticketId)) throw ticketNotFound();
    const update = parseRequest(ticketUpdateSchema, req.body, 'ticket');
    answers.send(res, 200, store.updateTicket(ticketId, update));
  });

  router.get('/tickets/:ticketId/messages', (req, res) => {
    const ticketId = ticketIdOf(req);
    if (!store.hasTicket(ticketId)) throw ticketNotFound();
    const query = parseRequest(ticketMessagesQuerySchema, req.query, 'query');
    answers.send(res, 200, listPage(store.listMessages(ticketId), query, req));
  });

  router.post('/tickets/:ticketId/messages', (req, res) => {
    const ticketId = ticketIdOf(req);
    if (!store.hasTicket(ticketId)) throw ticketNotFound();
    const input = parseRequest(newMessageSchema, req.body, 'message');
    const problems = messageRuleViolations(input);
    if (Object.keys(problems).length > 0) throw invalid('message', problems);
    const message = store.addMessage(ticketId, input);
    if (!message) throw ticketNotFound();
    stats.count('messagesCreated');
    answers.send(res, 201, message);
  });

  router.get('/messages', (req, res) => {
    const query = parseRequest(listMessagesQuerySchema, req.query, 'query');
    answers.send(res, 200, listPage(store.listMessages(query.ticket_id), query, req));
  });

  return router;
}

function listPage<T>(items: Listed<T>[], query: PageQuery, req: Request) {
  const page = paginate(items, (item) => item.key, query, req.originalUrl);
  return { ...page, data: page.data.map((item) => item.value) };
}

function ticketIdOf(req: Request): number {
  const parsed = ticketIdSchema.safeParse(req.params.ticketId);
  if (!parsed.success) throw ticketNotFound();
  return parsed.data;
}

function ticketNotFound(): ApiError {
  return new ApiError(404, 'Ticket not found.');
}
