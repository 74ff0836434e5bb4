import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { ACCOUNT_NOT_CHECKED, type AccountCheck } from '../gorgias/account-check';
import { DEFAULT_WEBHOOK_MAX_BODY_BYTES } from '../config';
import type { Logger } from '../logging';
import { IntakeMetrics, type DeliveryOutcome } from '../telemetry/intake-metrics';
import { workflowUiUrl } from '../temporal/ui-link';
import { startTicketWorkflow } from '../temporal/ticket-start';
import { workflowIdForTicket } from '../temporal/definitions';
import { bearerCheck } from './auth';
import { cachedAnswer } from './cached-answer';
import { parseDelivery } from './delivery';
import { classifyStartFailure, type Misconfiguration } from './start-failures';

export interface IntakeDependencies {
  client: Client;
  taskQueue: string;
  webhookSecret: string;
  /** How long to wait for Temporal before answering 503 (Gorgias then retries). */
  temporalTimeoutMs: number;
  /** Larger bodies get 413 (WEBHOOK_MAX_BODY_BYTES); a `{{context}}` body carries the whole thread. */
  maxBodyBytes?: number;
  temporalUiUrl: string;
  logger: Logger;
  metrics?: IntakeMetrics;
  /** The monotonic clock of /readyz's cached answers (tests pass their own). */
  now?: () => number;
  /** The Gorgias account check /readyz shows (cached by its maker); without it, the account is not checked. */
  account?: () => Promise<AccountCheck>;
}

/** How long /readyz keeps Temporal's answer: a burst of requests (anyone can send them) makes one call. */
export const READINESS_KEPT_MS = 1_500;

export const WEBHOOK_PATH = '/webhooks/gorgias';

function answer(res: Response, status: number, body: Record<string, unknown>): void {
  res.status(status).json(body);
}

/** "10485760 bytes (10 MB)": the limit as configured, and as a person reads it. */
function describeBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${bytes} bytes (${Number(mb.toFixed(1))} MB)` : `${bytes} bytes`;
}

/** Body-parser failures are the client's mistakes: each gets its own 4xx, never a 500. */
const bodyErrors = (maxBodyBytes: number): Record<string, [number, string]> => ({
  'entity.too.large': [
    413,
    `The body is larger than ${describeBytes(maxBodyBytes)}, the limit set by WEBHOOK_MAX_BODY_BYTES`,
  ],
  'entity.parse.failed': [400, 'The body is not valid JSON'],
  'entity.verify.failed': [400, 'The body could not be verified'],
  'encoding.unsupported': [415, 'Unsupported content encoding'],
  'charset.unsupported': [415, 'Unsupported charset: send UTF-8 JSON'],
  'request.aborted': [400, 'The request was aborted'],
  'request.size.invalid': [400, 'The body is shorter or longer than its Content-Length'],
});

/** The account check's answer, or "not checked yet" while its first Gorgias calls take longer than `ms`. */
function answeredWithin(check: Promise<AccountCheck>, ms: number): Promise<AccountCheck> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<AccountCheck>((resolve) => {
    timer = setTimeout(
      () => resolve({ ...ACCOUNT_NOT_CHECKED, reason: 'the account check has not answered yet' }),
      ms,
    );
  });
  return Promise.race([check, pending]).finally(() => clearTimeout(timer));
}

export function createIntakeApp(deps: IntakeDependencies): express.Express {
  const { client, logger } = deps;
  const metrics = deps.metrics ?? new IntakeMetrics();
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
  const bodyErrorAnswers = bodyErrors(maxBodyBytes);
  const checkAuthorization = bearerCheck(deps.webhookSecret);
  const app = express();
  app.disable('x-powered-by');
  // Webhook answers are never cached: no ETag (a SHA-1 of every answer's body) to compute.
  app.set('etag', false);

  /**
   * Set when Temporal refused a delivery for a reason only an operator can fix; /readyz reports it until a
   * delivery goes through again. Only the kind and a fixed sentence: server details go to the log.
   */
  let misconfiguration: { problem: Misconfiguration; message: string } | null = null;

  app.get('/healthz', (_req, res) => answer(res, 200, { status: 'ok' }));

  const temporalReachable = cachedAnswer(
    () =>
      client
        .withDeadline(Date.now() + 2000, () => client.workflowService.getSystemInfo({}))
        .then(
          () => true,
          () => false,
        ),
    () => READINESS_KEPT_MS,
    deps.now,
  );

  const accountCheck = deps.account ?? (async () => ACCOUNT_NOT_CHECKED);

  app.get('/readyz', async (_req, res) => {
    if (misconfiguration) {
      return answer(res, 503, { status: 'misconfigured', ...misconfiguration });
    }
    const [reachable, checked] = await Promise.all([
      temporalReachable(),
      answeredWithin(accountCheck(), 2000),
    ]);
    // The account's domain goes to the log only: this answer needs no token.
    const account = { status: checked.status, reason: checked.reason, warnings: checked.warnings };
    if (!reachable) return answer(res, 503, { status: 'unavailable', temporal: 'unreachable', account });
    if (checked.status === 'misconfigured') {
      // Tickets would fail (401/403) or end quietly as gone (404): as much an operator's fix as Temporal's.
      return answer(res, 503, {
        status: 'misconfigured',
        problem: 'gorgias-account',
        message: checked.reason,
        temporal: 'reachable',
        account,
      });
    }
    answer(res, 200, { status: 'ready', temporal: 'reachable', account });
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
    const level =
      outcome === 'accepted' || outcome === 'duplicate' || outcome === 'ignored' ? 'info' : 'warn';
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
      const auth = checkAuthorization(req.get('authorization'));
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
    express.json({ limit: maxBodyBytes, type: () => true }),
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
        misconfiguration = null;
        settle(res, 'accepted', 202, { status: 'accepted', ...fields, traceUrl }, fields);
      } catch (err) {
        const failure = classifyStartFailure(err);
        const logged = { ...fields, error: errorChain(err) };
        switch (failure.kind) {
          case 'finished':
            // The ticket's workflow has finished: it already got its reply (or its reason not to).
            misconfiguration = null;
            return settle(res, 'duplicate', 200, { status: 'duplicate', ...fields, traceUrl }, fields);
          case 'execution-limit': {
            // Retrying could never succeed, and the running workflow reads the ticket from Gorgias anyway.
            misconfiguration = null;
            const message =
              "The ticket's workflow has all the deliveries it can take; it reads the ticket itself";
            const body = { status: 'limit-reached', message, ...fields, traceUrl };
            return settle(res, 'limit-reached', 200, body, logged);
          }
          case 'misconfigured': {
            if (misconfiguration?.problem !== failure.problem) {
              logger.error(
                { problem: failure.problem, ...logged },
                `Temporal refuses the intake's deliveries: ${failure.message}`,
              );
            }
            misconfiguration = { problem: failure.problem, message: failure.message };
            const body = {
              error: 'intake-misconfigured',
              problem: failure.problem,
              message: failure.message,
            };
            return settle(res, 'misconfigured', 500, body, logged);
          }
          case 'unavailable': {
            res.set('Retry-After', '5');
            const body = {
              error: 'temporal-unavailable',
              message: 'The delivery was not recorded; retry later',
            };
            return settle(res, 'unavailable', 503, body, logged);
          }
        }
      }
    },
  );

  app.use((_req, res) => answer(res, 404, { error: 'not-found', message: 'No such route' }));

  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const known = typeof err?.type === 'string' ? bodyErrorAnswers[err.type] : undefined;
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
