import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { STATUS_CODES } from 'node:http';
import { ApiError, errorBody } from './api-error';
import { Answers, dropAnswer, setAnswerDelay } from './answers';
import { apiRoutes } from './api-routes';
import { requireBasicAuth } from './auth';
import { controlRoutes } from './control-routes';
import type { SandboxControls } from './controls';
import { applyFaultsPatch, decideFault, NO_FAULTS } from './faults';
import { AccountIntegrations, DEFAULT_EMAIL_INTEGRATIONS } from './integrations';
import { LeakyBucket } from './leaky-bucket';
import { DEFAULT_RATE_LIMIT, type SandboxOptions } from './options';
import { admitRequest, showBucket } from './rate-limit';
import { AccountRules, SAMPLE_RULES } from './rules';
import { DEFAULT_SENDING, Outbox, sendingSchema } from './sending';
import { SANDBOX_ACCOUNT_DOMAIN } from './account';
import { StatsRecorder } from './stats';
import { playOutMonth, seedMonth, type SeededTicket } from './month';
import { SandboxStore } from './store';
import { ReplayedAccount } from './replay';
import { replayRoutes } from './replay-routes';

export type SandboxApp = { app: Express } & SandboxControls;

/** The sandbox as an express app, with the controls a server (or a test) needs around it. */
export function createSandboxApp(options: SandboxOptions): SandboxApp {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const initialSending = sendingSchema.parse({
    delayMs: options.sendDelayMs ?? DEFAULT_SENDING.delayMs,
    failAddresses: options.failSendsTo ?? DEFAULT_SENDING.failAddresses,
  });
  const outbox = new Outbox(initialSending, now);
  const integrations = new AccountIntegrations(options.emailIntegrations ?? DEFAULT_EMAIL_INTEGRATIONS, now);
  const store = new SandboxStore({
    now,
    firstTicketId: options.firstTicketId,
    ruleNote: options.ruleNote ?? true,
    integrations,
    outbox,
  });
  const rules = new AccountRules(
    options.rules ?? ((options.ruleNote ?? true) ? [SAMPLE_RULES.triageNote] : []),
  );
  const stats = new StatsRecorder();
  const replay = options.replay && new ReplayedAccount(options.replay, now, outbox);
  const answers = new Answers();
  const bucket =
    options.rateLimit === false ? undefined : new LeakyBucket(options.rateLimit ?? DEFAULT_RATE_LIMIT, now);
  const initialFaults = applyFaultsPatch(NO_FAULTS, options.faults ?? {});
  let faults = initialFaults;
  /** Tickets seeded to be played out later, once the service has decided them. */
  let awaitingPlayOut: SeededTicket[] = [];

  const controls: SandboxControls = {
    stats: () => stats.snapshot(),
    faults: () => structuredClone(faults),
    setFaults: (patch) => {
      faults = applyFaultsPatch(faults, patch);
    },
    sending: () => outbox.current(),
    setSending: (patch) => outbox.configure(patch),
    trashTicket: (ticketId) => store.trashTicket(ticketId),
    deleteTicket: (ticketId) => store.deleteTicket(ticketId),
    mergeTicket: (fromId, intoId) => store.mergeTicket(fromId, intoId),
    reset: () => {
      answers.cancelHeld();
      outbox.reset();
      store.reset();
      rules.reset();
      stats.reset();
      bucket?.reset();
      awaitingPlayOut = [];
      faults = initialFaults;
      replay?.reset();
    },
    messagesOf: (ticketId) => replay?.messagesOf(ticketId) ?? store.messagesOf(ticketId),
    setCustomerOrders: (email, orders, opts = {}) =>
      store.setCustomerOrders(email, orders, opts.onTicket ?? true),
    setRules: (settings) => rules.set(settings),
    addCustomerAddress: (email, address) => store.addCustomerAddress(email, address),
    setListed: (ticketId, listed) => store.setListed(ticketId, listed),
    seedMonth: (monthOptions) => {
      const seeded = seedMonth(store, monthOptions);
      if (monthOptions.playOut === 'later') awaitingPlayOut.push(...seeded);
      return seeded;
    },
    playOutMonth: (playOptions) => {
      const tickets = awaitingPlayOut;
      awaitingPlayOut = [];
      return playOutMonth(store, tickets, playOptions);
    },
    dispose: () => {
      answers.cancelPending();
      outbox.cancelPending();
    },
  };

  const countRequests: RequestHandler = (_req, res, next) => {
    stats.count('requests');
    res.on('finish', () => stats.countStatus(res.statusCode));
    next();
  };

  // Runs after the body is parsed, so a held request can still be performed once its client is gone.
  const injectFaults: RequestHandler = (req, res, next) => {
    const decision = decideFault(faults, req.method, random);
    switch (decision.kind) {
      case 'fail':
        stats.count('faultsInjected');
        setAnswerDelay(res, decision.delayMs);
        answers.send(res, decision.status, errorBody(STATUS_CODES[decision.status] ?? 'Server error'));
        return;
      case 'late-commit':
        stats.count('lateCommits');
        answers.hold(res, decision.holdMs, () => next());
        return;
      case 'reset-after-commit':
        stats.count('resetsAfterCommit');
        dropAnswer(res);
        next();
        return;
      case 'answer':
        if (decision.late) stats.count('lateResponses');
        setAnswerDelay(res, decision.delayMs);
        next();
    }
  };

  const auth = requireBasicAuth({ username: options.username, apiKey: options.apiKey }, answers);
  // Gorgias takes a ticket whose subject alone is hundreds of kilobytes (its limit is not documented): room for
  // a 700 KB subject, as the ticket and its first message both carry it, and a 100 KB name.
  const json = express.json({ limit: '8mb' });

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
    json,
    injectFaults,
    // Replay mode answers the calls on tickets; the account's other calls stay the sandbox's.
    ...(replay ? [replayRoutes({ replay, stats, answers })] : []),
    apiRoutes({
      store,
      integrations,
      rules,
      accountDomain: options.accountDomain ?? SANDBOX_ACCOUNT_DOMAIN,
      stats,
      answers,
    }),
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
