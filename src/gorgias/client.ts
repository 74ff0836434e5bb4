import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { isAxiosError, type AxiosInstance } from 'axios';
import type { z } from 'zod';
import { WRITE_MARGIN_MS } from './attempt';
import type { CallBudget } from './call-budget';
import { classifyFailure, GorgiasRequestError, parseRetryAfter } from './failures';
import { parseGorgiasDatetime } from './datetime';
import { transportWritingBy } from './write-guard';
import {
  accountSchema,
  createdMessageSchema,
  customerSchema,
  integrationListSchema,
  integrationSchema,
  messageListSchema,
  messageSchema,
  satisfactionSurveyListSchema,
  ticketSchema,
  type Customer,
  type Integration,
  type Message,
  type NewMessage,
  type NewTicket,
  type SatisfactionSurvey,
  type Ticket,
  ticketListSchema,
  ruleListSchema,
  type Account,
  type Rule,
} from './schemas';

export interface GorgiasClientOptions {
  /** The account URL, e.g. `https://acme.gorgias.com` (the client adds `/api/...`). */
  baseUrl: string;
  username: string;
  apiKey: string;
  timeoutMs: number;
  /** Told about every call, e.g. to count them by status in metrics. */
  onCall?: (call: GorgiasCall) => void;
  /** Paces calls to stay within Gorgias's rate limit (none: every call goes out at once). */
  budget?: CallBudget;
}

export interface GorgiasCall {
  method: string;
  /** The path with ids replaced, e.g. `/tickets/:id/messages`. */
  route: string;
  /** HTTP status, or 0 when no answer came (timeout, connection error). */
  status: number;
  durationMs: number;
}

/**
 * What bounds one call: the time by which it must have finished (e.g. the end of the activity attempt that
 * makes it) and a signal that cancels it. A write is not started unless it can finish in time.
 */
export interface CallLimits {
  deadline?: number;
  signal?: AbortSignal;
  /**
   * Runs once the call has its rate-limit slot and time enough, just before the request goes out; a failure
   * stops the call (it is thrown as is). Writes use it to record, and have Temporal confirm, when they start.
   */
  beforeSend?: () => Promise<void>;
}

/**
 * The request went out on a kept-alive connection that the server had closed (its idle timeout ran out as the
 * request was written): a reset or a broken pipe with no answer at all, on a reused socket (Node's own advice
 * for retrying such requests).
 */
function closedIdleConnection(err: unknown): boolean {
  if (!isAxiosError(err) || err.response) return false;
  // axios's request is follow-redirects' wrapper around Node's ClientRequest (`_currentRequest`), which says.
  type Sent = { reusedSocket?: boolean; _currentRequest?: { reusedSocket?: boolean } } | undefined;
  const request = err.request as Sent;
  const reused = (request?._currentRequest ?? request)?.reusedSocket === true;
  return reused && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
}

/**
 * How long an idle kept-alive connection is kept: under the idle timeouts servers and load balancers commonly
 * use (60 s and more), and a server's shorter `Keep-Alive: timeout=N` hint wins (Node's agent honours it only
 * when this is set).
 */
const IDLE_CONNECTION_MS = 15_000;

/** A typed client for the few Gorgias REST endpoints the service uses. Failures are GorgiasRequestErrors. */
export class GorgiasClient {
  private readonly http: AxiosInstance;
  private readonly onCall: GorgiasClientOptions['onCall'];
  private readonly budget: CallBudget | undefined;
  private readonly timeoutMs: number;
  private readonly secure: boolean;

  constructor(options: GorgiasClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.secure = new URL(options.baseUrl).protocol === 'https:';
    this.onCall = options.onCall;
    this.budget = options.budget;
    this.http = axios.create({
      baseURL: `${options.baseUrl.replace(/\/+$/, '')}/api`,
      auth: { username: options.username, password: options.apiKey },
      timeout: options.timeoutMs,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      // Keep connections to Gorgias open between calls, but close an idle one before a server would: Node's agent
      // otherwise keeps it until the server closes it, and a call made just then fails with a reset.
      httpAgent: new HttpAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
      httpsAgent: new HttpsAgent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
    });
  }

  getTicket(ticketId: number): Promise<Ticket> {
    return this.request(ticketSchema, 'GET', `/tickets/${ticketId}`);
  }

  /**
   * The newest message of a ticket that `matches`, or null: pages newest first (what we look for is usually
   * our own recent message, on the first page) and follows the cursors to the oldest. `onPage` runs after
   * each page, so a long thread's look-up can tell Temporal it is alive.
   */
  async findMessage(
    ticketId: number,
    matches: (message: Message) => boolean,
    onPage: () => void = () => undefined,
  ): Promise<Message | null> {
    let cursor: string | undefined;
    do {
      const page = await this.request(messageListSchema, 'GET', '/messages', {
        params: { ticket_id: ticketId, limit: 100, order_by: 'created_datetime:desc', cursor },
      });
      onPage();
      const found = page.data.find(matches);
      if (found) return found;
      cursor = page.meta?.next_cursor || undefined;
    } while (cursor);
    return null;
  }

  /** One message, e.g. to see whether Gorgias has sent it yet (`sent_datetime`) or failed to. */
  getMessage(ticketId: number, messageId: number, limits: CallLimits = {}): Promise<Message> {
    return this.request(messageSchema, 'GET', `/tickets/${ticketId}/messages/${messageId}`, { limits });
  }

  /**
   * Creates a message. Any 2xx means Gorgias created it, whatever else its answer holds: the new message's
   * id when the answer has one, else null (the caller finds the message by its `external_id`).
   */
  async createMessage(
    ticketId: number,
    message: NewMessage,
    limits: CallLimits = {},
  ): Promise<{ id: number | null }> {
    return this.request(createdMessageSchema, 'POST', `/tickets/${ticketId}/messages`, {
      data: message,
      limits,
    });
  }

  /** Adds tags to a ticket, keeping the ones it has (a `PUT` would replace them, losing concurrent tags). */
  async addTags(ticketId: number, names: string[], limits: CallLimits = {}): Promise<void> {
    await this.request(null, 'POST', `/tickets/${ticketId}/tags`, { data: { names }, limits });
  }

  /** A customer with their integrations' data (the Shopify orders), for a ticket that did not carry them. */
  getCustomer(customerId: number): Promise<Customer> {
    return this.request(customerSchema, 'GET', `/customers/${customerId}`);
  }

  /**
   * One page of tickets, trashed ones left out, oldest or newest first; `cursor` continues from an earlier
   * page's `nextCursor`. List items carry no messages: read each ticket for them.
   */
  async listTicketsPage(options: {
    order: 'asc' | 'desc';
    cursor?: string;
    limit?: number;
  }): Promise<{ tickets: Ticket[]; nextCursor: string | null }> {
    const page = await this.request(ticketListSchema, 'GET', '/tickets', {
      params: {
        limit: options.limit ?? 100,
        order_by: `created_datetime:${options.order}`,
        trashed: false,
        cursor: options.cursor,
      },
    });
    return {
      tickets: page.data.filter((t) => t.trashed_datetime === null),
      nextCursor: page.meta?.next_cursor ?? null,
    };
  }

  /** One page of satisfaction surveys (the newest first by default), e.g. for `npm run scorecard`. */
  async listSatisfactionSurveysPage(options: {
    order: 'asc' | 'desc';
    cursor?: string;
    limit?: number;
  }): Promise<{ surveys: SatisfactionSurvey[]; nextCursor: string | null }> {
    const page = await this.request(satisfactionSurveyListSchema, 'GET', '/satisfaction-surveys', {
      params: {
        limit: options.limit ?? 100,
        order_by: `created_datetime:${options.order}`,
        cursor: options.cursor,
      },
    });
    return { surveys: page.data, nextCursor: page.meta?.next_cursor ?? null };
  }

  getIntegration(integrationId: number): Promise<Integration> {
    return this.request(integrationSchema, 'GET', `/integrations/${integrationId}`);
  }

  /** The account's integrations of one type (`email`: the support mailboxes), every page. */
  listIntegrations(type: string): Promise<Integration[]> {
    return this.everyPage(integrationListSchema, '/integrations', { type });
  }

  /**
   * The account (`GET /api/account`): one cheap call that tells whether GORGIAS_BASE_URL is a Gorgias account
   * and the API key its user's (401, 403 and 404 say which is wrong).
   */
  getAccount(): Promise<Account> {
    return this.request(accountSchema, 'GET', '/account');
  }

  /** The account's Rules, every page. */
  listRules(): Promise<Rule[]> {
    return this.everyPage(ruleListSchema, '/rules', {});
  }

  /** Every item of a cursor-paginated list, 100 a page. */
  private async everyPage<T>(
    schema: z.ZodType<{ data: T[]; meta: { next_cursor: string | null } | null }>,
    path: string,
    params: Record<string, unknown>,
  ): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request(schema, 'GET', path, { params: { ...params, limit: 100, cursor } });
      items.push(...page.data);
      cursor = page.meta?.next_cursor || undefined;
    } while (cursor);
    return items;
  }

  /**
   * Tickets created at or after `since`, newest first, following cursor pagination until older ones (or `max`
   * tickets). Trashed tickets are left out (Gorgias lists them unless `trashed=false`).
   */
  async listTicketsCreatedSince(since: Date, max = Infinity): Promise<Ticket[]> {
    const tickets: Ticket[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request(ticketListSchema, 'GET', '/tickets', {
        params: { limit: 100, order_by: 'created_datetime:desc', trashed: false, cursor },
      });
      for (const ticket of page.data) {
        const created = parseGorgiasDatetime(ticket.created_datetime);
        if (created !== null && created < since.getTime()) return tickets;
        if (ticket.trashed_datetime === null) tickets.push(ticket);
        if (tickets.length >= max) return tickets;
      }
      cursor = page.meta?.next_cursor ?? undefined;
    } while (cursor);
    return tickets;
  }

  createTicket(ticket: NewTicket): Promise<Ticket> {
    return this.request(ticketSchema, 'POST', '/tickets', { data: ticket });
  }

  /** One call; `schema: null` ignores the answer's body. A 2xx whose body we cannot read is a permanent failure. */
  private async request<T extends z.ZodType>(
    schema: T | null,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { params?: Record<string, unknown>; data?: unknown; limits?: CallLimits } = {},
  ): Promise<z.infer<T>> {
    const { limits = {}, ...request } = options;
    const what = `${method} ${path}`;
    let started = Date.now();
    const report = (status: number, headers: Record<string, unknown> = {}) => {
      const retryAfterMs = status === 429 ? parseRetryAfter(headers['retry-after']) : undefined;
      this.budget?.observe(status, headers['x-gorgias-account-api-call-limit'], retryAfterMs);
      const route = path.replace(/\/\d+/g, '/:id');
      this.onCall?.({ method, route, status, durationMs: Date.now() - started });
    };
    let timeout = this.timeoutMs;
    try {
      // The wait for the budget leaves room for the call itself before the deadline, and ends on cancellation.
      const roomMs =
        limits.deadline === undefined ? undefined : limits.deadline - Date.now() - this.timeoutMs;
      await this.budget?.acquire({
        signal: limits.signal,
        maxWaitMs: roomMs === undefined ? undefined : Math.max(0, roomMs),
      });
      started = Date.now();
      if (limits.deadline !== undefined) {
        const left = limits.deadline - started;
        if (method !== 'GET' && left < this.timeoutMs + WRITE_MARGIN_MS) {
          throw new GorgiasRequestError('retryable', `${what} not started: ${left} ms of the attempt left`);
        }
        timeout = Math.max(1, Math.min(timeout, left));
      }
    } catch (err) {
      throw classifyFailure(err, what);
    }
    await limits.beforeSend?.();
    const send = () =>
      this.http.request({
        method,
        url: path,
        ...request,
        timeout,
        signal: limits.signal,
        // A write must reach the socket within its own timeout, or not at all (see write-guard.ts).
        ...(method !== 'GET' ? { transport: transportWritingBy(started + this.timeoutMs, this.secure) } : {}),
      });
    try {
      const response = await send().catch((err: unknown) => {
        // A kept-alive connection the server closed just as this read went out: Gorgias never saw it. Reads are
        // made again once, on a new connection; a write's outcome stays the caller's to find out.
        if (method !== 'GET' || !closedIdleConnection(err)) throw err;
        return send();
      });
      report(response.status, response.headers);
      return (schema === null ? undefined : schema.parse(response.data)) as z.infer<T>;
    } catch (err) {
      if (isAxiosError(err)) report(err.response?.status ?? 0, err.response?.headers);
      throw classifyFailure(err, what);
    }
  }
}
