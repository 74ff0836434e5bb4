import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from '../logging';
import { IntakeMetrics, type DeliveryOutcome } from '../telemetry/intake-metrics';
import { workflowUiUrl } from '../temporal/ui-link';
import { startTicketWorkflow } from '../temporal/ticket-start';
import { workflowIdForTicket } from '../workflows';
import { checkBearer } from './auth';
import { parseDelivery } from './delivery';

export interface IntakeDependencies {
  client: Client;
  taskQueue: string;
  webhookSecret: string;
  /** How long to wait for Temporal before answering 503 (Gorgias then retries). */
  temporalTimeoutMs: number;
  temporalUiUrl: string;
  logger: Logger;
  metrics?: IntakeMetrics;
}

export const WEBHOOK_PATH = '/webhooks/gorgias';
const BODY_LIMIT = '1mb';

function answer(res: Response, status: number, body: Record<string, unknown>): void {
  res.status(status).json(body);
}

/** Body-parser failures are the client's mistakes: each gets its own 4xx, never a 500. */
const BODY_ERRORS: Record<string, [number, string]> = {
  'entity.too.large': [413, `The body is larger than ${BODY_LIMIT}`],
  'entity.parse.failed': [400, 'The body is not valid JSON'],
  'entity.verify.failed': [400, 'The body could not be verified'],
  'encoding.unsupported': [415, 'Unsupported content encoding'],
  'charset.unsupported': [415, 'Unsupported charset: send UTF-8 JSON'],
  'request.aborted': [400, 'The request was aborted'],
  'request.size.invalid': [400, 'The body is shorter or longer than its Content-Length'],
};

export function createIntakeApp(deps: IntakeDependencies): express.Express {
  const { client, logger } = deps;
  const metrics = deps.metrics ?? new IntakeMetrics();
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => answer(res, 200, { status: 'ok' }));

  app.get('/readyz', async (_req, res) => {
    try {
      await client.withDeadline(Date.now() + 2000, () => client.workflowService.getSystemInfo({}));
      answer(res, 200, { status: 'ready', temporal: 'reachable' });
    } catch {
      answer(res, 503, { status: 'unavailable', temporal: 'unreachable' });
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  /** Every delivery ends here: one log line, one metric, one JSON answer. */
  const settle = (
    res: Response,
    outcome: DeliveryOutcome,
    status: number,
    body: Record<string, unknown>,
    fields: Record<string, unknown> = {},
  ) => {
    const started = res.locals.startedAt as bigint | undefined;
    const seconds = started === undefined ? 0 : Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observe(outcome, seconds);
    const level = outcome === 'rejected' || outcome === 'unavailable' ? 'warn' : 'info';
    logger[level]({ outcome, status, ms: Math.round(seconds * 1000), ...fields }, `webhook ${outcome}`);
    answer(res, status, body);
  };

  app.post(
    WEBHOOK_PATH,
    (_req, res, next) => {
      res.locals.startedAt = process.hrtime.bigint();
      next();
    },
    // Authenticate before reading the body: strangers' bodies are never parsed.
    (req, res, next) => {
      const auth = checkBearer(req.get('authorization'), deps.webhookSecret);
      if (auth.ok) return next();
      res.set('WWW-Authenticate', 'Bearer');
      settle(res, 'rejected', 401, { error: 'unauthorized', message: auth.message });
    },
    (req, res, next) => {
      if (req.is('application/json')) return next();
      settle(res, 'rejected', 415, {
        error: 'unsupported-media-type',
        message: 'Send the body as application/json',
      });
    },
    express.json({ limit: BODY_LIMIT, type: () => true }),
    async (req: Request, res: Response) => {
      const parsed = parseDelivery(req.body, req.query);
      if (!parsed.ok) {
        const body = { error: 'invalid-delivery', problems: parsed.problems };
        return settle(res, 'rejected', 400, body, { problems: parsed.problems });
      }
      const delivery = parsed.delivery;
      const workflowId = workflowIdForTicket(delivery.ticketId);
      const fields = { ticketId: delivery.ticketId, workflowId, trigger: delivery.trigger };
      if (delivery.ignoreReason) {
        const body = { status: 'ignored', reason: delivery.ignoreReason, ...fields };
        return settle(res, 'ignored', 200, body, { ...fields, reason: delivery.ignoreReason });
      }
      const traceUrl = workflowUiUrl(deps.temporalUiUrl, client.options.namespace, workflowId);
      try {
        await startTicketWorkflow(
          client,
          deps.taskQueue,
          {
            ticketId: delivery.ticketId,
            delivery: { trigger: delivery.trigger, receivedAt: new Date().toISOString() },
            customerEmail: delivery.customerEmail,
            subject: delivery.subject,
          },
          deps.temporalTimeoutMs,
        );
        settle(res, 'accepted', 202, { status: 'accepted', ...fields, traceUrl }, fields);
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) {
          // The ticket's workflow has finished: it already got its reply (or its reason not to).
          return settle(res, 'duplicate', 200, { status: 'duplicate', ...fields, traceUrl }, fields);
        }
        res.set('Retry-After', '5');
        const body = { error: 'temporal-unavailable', message: 'The delivery was not recorded; retry later' };
        settle(res, 'unavailable', 503, body, { ...fields, error: errorChain(err) });
      }
    },
  );

  app.use((_req, res) => answer(res, 404, { error: 'not-found', message: 'No such route' }));

  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const known = typeof err?.type === 'string' ? BODY_ERRORS[err.type] : undefined;
    if (known) {
      return settle(res, 'rejected', known[0], { error: 'bad-request-body', message: known[1] });
    }
    // Other client errors from reading the body carry no type, e.g. a "gzip" body that is not gzip (zlib).
    if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      return settle(res, 'rejected', err.status, {
        error: 'bad-request-body',
        message: 'The body could not be read (check its Content-Encoding)',
      });
    }
    logger.error({ err }, 'unexpected error in the webhook server');
    answer(res, 500, { error: 'internal', message: 'Unexpected error' });
  };
  app.use(onError);
  return app;
}

/** "outer: cause: root cause", for a log line; Temporal errors carry the useful part in their causes. */
function errorChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e && parts.length < 5; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join(': ');
}
