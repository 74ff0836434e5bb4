import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { STATUS_CODES } from 'node:http';
import { ApiError, errorBody } from './api-error';
import { Answers, setAnswerDelay } from './answers';
import { apiRoutes } from './api-routes';
import { requireBasicAuth } from './auth';
import { controlRoutes } from './control-routes';
import {
  applyFaultsPatch,
  decideFault,
  NO_FAULTS,
  type SandboxFaults,
  type SandboxFaultsPatch,
} from './faults';
import { LeakyBucket } from './leaky-bucket';
import { DEFAULT_RATE_LIMIT, type SandboxOptions } from './options';
import { admitRequest, showBucket } from './rate-limit';
import { StatsRecorder, type SandboxStats } from './stats';
import { SandboxStore } from './store';

export interface SandboxControls {
  stats(): SandboxStats;
  faults(): SandboxFaults;
  /** Changes the given switches only; throws a ZodError for invalid values. `methods: null` means all. */
  setFaults(faults: SandboxFaultsPatch): void;
  /** Clears tickets, messages, customers, stats and the bucket, and restores the faults of the options. */
  reset(): void;
  /** Messages of a ticket as stored (for assertions), oldest first. */
  messagesOf(ticketId: number): unknown[];
  /** Drops answers still being delayed; call when the server closes. */
  dispose(): void;
}

export type SandboxApp = { app: Express } & SandboxControls;

/** The sandbox as an express app, with the controls a server (or a test) needs around it. */
export function createSandboxApp(options: SandboxOptions): SandboxApp {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const store = new SandboxStore(now, options.firstTicketId);
  const stats = new StatsRecorder();
  const answers = new Answers();
  const bucket =
    options.rateLimit === false ? undefined : new LeakyBucket(options.rateLimit ?? DEFAULT_RATE_LIMIT, now);
  const initialFaults = applyFaultsPatch(NO_FAULTS, options.faults ?? {});
  let faults = initialFaults;

  const controls: SandboxControls = {
    stats: () => stats.snapshot(),
    faults: () => structuredClone(faults),
    setFaults: (patch) => {
      faults = applyFaultsPatch(faults, patch);
    },
    reset: () => {
      store.reset();
      stats.reset();
      bucket?.reset();
      faults = initialFaults;
    },
    messagesOf: (ticketId) => store.messagesOf(ticketId),
    dispose: () => answers.cancelPending(),
  };

  const countRequests: RequestHandler = (_req, res, next) => {
    stats.count('requests');
    res.on('finish', () => stats.countStatus(res.statusCode));
    next();
  };

  const injectFaults: RequestHandler = (req, res, next) => {
    const decision = decideFault(faults, req.method, random);
    setAnswerDelay(res, decision.delayMs);
    if (decision.kind === 'fail') {
      stats.count('faultsInjected');
      answers.send(res, decision.status, errorBody(STATUS_CODES[decision.status] ?? 'Server error'));
      return;
    }
    if (decision.late) stats.count('lateResponses');
    next();
  };

  const auth = requireBasicAuth({ username: options.username, apiKey: options.apiKey }, answers);
  const json = express.json({ limit: '1mb' });

  const app = express();
  app.disable('x-powered-by');
  // Conditional GETs would answer 304 with no body; Gorgias clients never send them.
  app.set('etag', false);

  app.get('/_sandbox/health', (_req, res) => {
    answers.send(res, 200, { ok: true });
  });
  // Control calls are not API traffic: no rate limit, no faults, not in the stats.
  app.use('/_sandbox', auth, json, controlRoutes(controls, answers));
  app.use(
    '/api',
    countRequests,
    showBucket(bucket),
    auth,
    admitRequest(bucket, answers, stats),
    injectFaults,
    json,
    apiRoutes({ store, stats, answers }),
  );

  app.use((req, res) => {
    answers.send(res, 404, errorBody(`No route for ${req.method} ${req.path}.`));
  });

  const answerErrors: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof ApiError) {
      answers.send(res, err.status, errorBody(err.message, err.data));
      return;
    }
    // body-parser's errors (malformed JSON, too large, bad charset) carry a 4xx status of their own.
    const { status, type } = httpErrorOf(err);
    if (status !== undefined && status >= 400 && status < 500) {
      const reason =
        type === 'entity.parse.failed'
          ? 'Malformed JSON in request body.'
          : (STATUS_CODES[status] ?? 'Bad request');
      answers.send(res, status, errorBody(reason));
      return;
    }
    console.error('sandbox: unexpected error', err);
    answers.send(res, 500, errorBody('Internal server error.'));
  };
  app.use(answerErrors);

  return { app, ...controls };
}

function httpErrorOf(err: unknown): { status?: number; type?: string } {
  if (typeof err !== 'object' || err === null) return {};
  const { status, statusCode, type } = err as { status?: unknown; statusCode?: unknown; type?: unknown };
  const code = status ?? statusCode;
  return {
    status: typeof code === 'number' ? code : undefined,
    type: typeof type === 'string' ? type : undefined,
  };
}
