import { Router } from 'express';
import { z } from 'zod';
import { addTagsSchema, newMessageSchema } from '../../gorgias/schemas';
import { ApiError, invalid, parseRequest } from './api-error';
import type { Answers } from './answers';
import { idSchema, listPage, tagList, ticketIdOf } from './api-routes';
import { messageRuleViolations } from './message-rules';
import { pageQueryShape } from './pagination';
import type { ReplayedAccount } from './replay';
import type { StatsRecorder } from './stats';

/**
 * The endpoints the service calls on a ticket, under `/api`, answered by a replayed account (replay.ts): every
 * ticket id exists. Requests are checked as the sandbox checks them.
 */

const listMessagesQuerySchema = z.strictObject({ ...pageQueryShape, ticket_id: idSchema });

export function replayRoutes(deps: {
  replay: ReplayedAccount;
  stats: StatsRecorder;
  answers: Answers;
}): Router {
  const { replay, stats, answers } = deps;
  const router = Router();

  router.get('/tickets/:ticketId', (req, res) => {
    answers.send(res, 200, replay.getTicket(ticketIdOf(req)));
  });

  router.get('/tickets/:ticketId/messages/:messageId', (req, res) => {
    const messageId = idSchema.safeParse(req.params.messageId);
    const message = messageId.success ? replay.getMessage(ticketIdOf(req), messageId.data) : undefined;
    if (!message) throw new ApiError(404, 'Message not found.');
    answers.send(res, 200, message);
  });

  router.post('/tickets/:ticketId/messages', (req, res) => {
    const ticketId = ticketIdOf(req);
    const input = parseRequest(newMessageSchema, req.body, 'message');
    const problems = messageRuleViolations(input);
    if (Object.keys(problems).length > 0) throw invalid('message', problems);
    stats.count('messagesCreated');
    answers.send(res, 201, replay.addMessage(ticketId, input));
  });

  router.post('/tickets/:ticketId/tags', (req, res) => {
    const ticketId = ticketIdOf(req);
    const { names } = parseRequest(addTagsSchema, req.body, 'tags');
    answers.send(res, 201, tagList(ticketId, replay.addTags(ticketId, names)));
  });

  router.get('/messages', (req, res) => {
    const query = parseRequest(listMessagesQuerySchema, req.query, 'query');
    answers.send(res, 200, listPage(replay.listMessages(query.ticket_id), query, req));
  });

  router.get('/integrations/:integrationId', (req, res) => {
    const integrationId = idSchema.safeParse(req.params.integrationId);
    if (!integrationId.success) throw new ApiError(404, 'Integration not found.');
    answers.send(res, 200, replay.getIntegration(integrationId.data));
  });

  return router;
}
