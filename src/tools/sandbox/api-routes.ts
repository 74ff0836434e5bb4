import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  newMessageSchema,
  newTicketSchema,
  ticketUpdateSchema,
  type NewMessage,
} from '../../gorgias/schemas';
import { ApiError, addFieldError, invalid, parseRequest, type FieldErrors } from './api-error';
import type { Answers } from './answers';
import { messageRuleViolations } from './message-rules';
import { orderBySchema, paginate, pageQuerySchema, pageQueryShape, type PageQuery } from './pagination';
import { accountObject } from './account';
import type { AccountIntegrations } from './integrations';
import type { AccountRules } from './rules';
import type { Tag } from './objects';
import type { Listed, SandboxStore, TagSelection } from './store';
import type { StatsRecorder } from './stats';

/** The Gorgias REST endpoints the service uses (docs/gorgias.md, "Calls the service makes"), under `/api`. */

export const idSchema = z.coerce.number().int().positive();
const listTicketsQuerySchema = z.strictObject({
  ...pageQueryShape,
  // Trashed tickets are listed unless `trashed=false` (docs/gorgias.md); `true` lists only them (inferred).
  trashed: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
});
/**
 * `POST|PUT|DELETE /api/tickets/{id}/tags` (docs/gorgias.md), a request schema the service has none of yet:
 * tags by name (created when new) or by id (which must exist).
 */
const ticketTagsSchema = z
  .strictObject({
    names: z.array(z.string().trim().min(1)).optional(),
    ids: z.array(z.number().int().positive()).optional(),
  })
  .refine((body) => body.names !== undefined || body.ids !== undefined, {
    message: 'names or ids is required.',
  });
const listMessagesQuerySchema = z.strictObject({ ...pageQueryShape, ticket_id: idSchema.optional() });
const listIntegrationsQuerySchema = z.strictObject({ ...pageQueryShape, type: z.string().min(1).optional() });
const listSurveysQuerySchema = z.strictObject({ ...pageQueryShape, ticket_id: idSchema.optional() });
const ticketMessagesQuerySchema = z.strictObject({
  ...pageQueryShape,
  // The deprecated endpoint lists oldest first (docs/gorgias.md, "Reading answers").
  order_by: orderBySchema.default('created_datetime:asc'),
});

export function apiRoutes(deps: {
  store: SandboxStore;
  integrations: AccountIntegrations;
  rules: AccountRules;
  accountDomain: string;
  stats: StatsRecorder;
  answers: Answers;
}): Router {
  const { store, integrations, rules, stats, answers } = deps;
  const router = Router();

  router.get('/account', (_req, res) => {
    answers.send(res, 200, accountObject(deps.accountDomain));
  });

  router.get('/rules', (req, res) => {
    const query = parseRequest(pageQuerySchema, req.query, 'query');
    answers.send(res, 200, listPage(rules.listed(), query, req));
  });

  router.get('/integrations', (req, res) => {
    const query = parseRequest(listIntegrationsQuerySchema, req.query, 'query');
    answers.send(res, 200, listPage(integrations.listed(query.type), query, req));
  });

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
    const query = parseRequest(listTicketsQuerySchema, req.query, 'query');
    answers.send(res, 200, listPage(store.listTickets({ trashed: query.trashed }), query, req));
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
    const problems = {
      ...messageRuleViolations(input),
      ...sendingIntegrationViolations(input, integrations),
    };
    if (Object.keys(problems).length > 0) throw invalid('message', problems);
    const message = store.addMessage(ticketId, input);
    if (!message) throw ticketNotFound();
    stats.count('messagesCreated');
    answers.send(res, 201, message);
  });

  router.get('/tickets/:ticketId/messages/:messageId', (req, res) => {
    const ticketId = ticketIdOf(req);
    if (!store.hasTicket(ticketId)) throw ticketNotFound();
    const messageId = idSchema.safeParse(req.params.messageId);
    const message = messageId.success ? store.getMessage(ticketId, messageId.data) : undefined;
    if (!message) throw new ApiError(404, 'Message not found.');
    answers.send(res, 200, message);
  });

  // Tag answers: the ticket's tags as a list (inferred shape), 201 for an addition, else 200 (inferred).
  const tagRoute =
    (status: number, change: (ticketId: number, selection: TagSelection) => Tag[] | undefined) =>
    (req: Request, res: Response) => {
      const ticketId = ticketIdOf(req);
      if (!store.hasTicket(ticketId)) throw ticketNotFound();
      const selection = parseRequest(ticketTagsSchema, req.body, 'tags');
      const unknownIds = store.unknownTagIds(selection.ids ?? []);
      if (unknownIds.length > 0) throw invalid('tags', { ids: [`No tag with id ${unknownIds.join(', ')}.`] });
      const tags = change(ticketId, selection);
      if (!tags) throw ticketNotFound();
      answers.send(res, status, tagList(ticketId, tags));
    };
  router.get('/tickets/:ticketId/tags', (req, res) => {
    const ticket = store.getTicket(ticketIdOf(req));
    if (!ticket) throw ticketNotFound();
    answers.send(res, 200, tagList(ticket.id, ticket.tags));
  });
  router.post(
    '/tickets/:ticketId/tags',
    tagRoute(201, (id, selection) => store.addTags(id, selection)),
  );
  router.put(
    '/tickets/:ticketId/tags',
    tagRoute(200, (id, selection) => store.replaceTags(id, selection)),
  );
  router.delete(
    '/tickets/:ticketId/tags',
    tagRoute(200, (id, selection) => store.removeTags(id, selection)),
  );

  router.get('/customers/:customerId', (req, res) => {
    stats.count('customerReads');
    const customerId = idSchema.safeParse(req.params.customerId);
    const customer = customerId.success ? store.getCustomer(customerId.data) : undefined;
    if (!customer) throw new ApiError(404, 'Customer not found.');
    answers.send(res, 200, customer);
  });

  router.get('/integrations/:integrationId', (req, res) => {
    const integrationId = idSchema.safeParse(req.params.integrationId);
    const integration = integrationId.success ? integrations.get(integrationId.data) : undefined;
    if (!integration) throw new ApiError(404, 'Integration not found.');
    answers.send(res, 200, integration);
  });

  router.get('/messages', (req, res) => {
    const query = parseRequest(listMessagesQuerySchema, req.query, 'query');
    answers.send(res, 200, listPage(store.listMessages(query.ticket_id), query, req));
  });

  // Newest first by default, filtered by ticket (docs/gorgias.md, "Satisfaction surveys").
  router.get('/satisfaction-surveys', (req, res) => {
    const query = parseRequest(listSurveysQuerySchema, req.query, 'query');
    answers.send(res, 200, listPage(store.listSurveys(query.ticket_id), query, req));
  });

  return router;
}

export function listPage<T>(items: Listed<T>[], query: PageQuery, req: Request) {
  const page = paginate(items, (item) => item.key, query, req.originalUrl);
  return { ...page, data: page.data.map((item) => item.value) };
}

export function tagList(ticketId: number, tags: Tag[]) {
  return {
    object: 'list',
    uri: `/api/tickets/${ticketId}/tags`,
    data: tags,
    meta: { next_cursor: null, prev_cursor: null },
  };
}

/**
 * An outgoing email leaves through one of the account's email integrations: a given `integration_id` must
 * be one, and `source.from.address` must be the address of one (of that one, when both are given). The
 * wording and the check of the address are inferred; that Gorgias sends from the integration is not
 * (docs/gorgias.md, "Writing messages").
 */
function sendingIntegrationViolations(message: NewMessage, integrations: AccountIntegrations): FieldErrors {
  const errors: FieldErrors = {};
  if (!message.from_agent || message.channel !== 'email') return errors;
  const given = message.integration_id;
  if (given !== undefined && !integrations.isEmail(given)) {
    addFieldError(errors, 'integration_id', `${given} is not one of your email integrations.`);
  }
  const from = message.source?.from?.address;
  if (from === undefined) return errors;
  const sending = integrations.sendingFrom(from);
  if (!sending) {
    addFieldError(errors, 'source.from.address', 'the from address is not one of your email integrations');
  } else if (given !== undefined && integrations.isEmail(given) && sending.id !== given) {
    addFieldError(
      errors,
      'source.from.address',
      `the from address is not the address of integration ${given}`,
    );
  }
  return errors;
}

export function ticketIdOf(req: Request): number {
  const parsed = idSchema.safeParse(req.params.ticketId);
  if (!parsed.success) throw ticketNotFound();
  return parsed.data;
}

function ticketNotFound(): ApiError {
  return new ApiError(404, 'Ticket not found.');
}
