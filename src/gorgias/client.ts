import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { isAxiosError, type AxiosInstance } from 'axios';
import type { z } from 'zod';
import type { CallBudget } from './call-budget';
import { classifyFailure, parseRetryAfter } from './failures';
import {
  messageListSchema,
  messageSchema,
  ticketSchema,
  type Message,
  type NewMessage,
  type NewTicket,
  type Ticket,
  type TicketUpdate,
  ticketListSchema,
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

/** A typed client for the few Gorgias REST endpoints the service uses. Failures are GorgiasRequestErrors. */
export class GorgiasClient {
  private readonly http: AxiosInstance;
  private readonly onCall: GorgiasClientOptions['onCall'];
  private readonly budget: CallBudget | undefined;

  constructor(options: GorgiasClientOptions) {
    this.onCall = options.onCall;
    this.budget = options.budget;
    this.http = axios.create({
      baseURL: `${options.baseUrl.replace(/\/+$/, '')}/api`,
      auth: { username: options.username, password: options.apiKey },
      timeout: options.timeoutMs,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      // Keep connections to Gorgias open between calls.
      httpAgent: new HttpAgent({ keepAlive: true }),
      httpsAgent: new HttpsAgent({ keepAlive: true }),
    });
  }

  getTicket(ticketId: number): Promise<Ticket> {
    return this.request(ticketSchema, 'GET', `/tickets/${ticketId}`);
  }

  /** Every message of a ticket, oldest first, following cursor pagination. */
  async listMessages(ticketId: number): Promise<Message[]> {
    const messages: Message[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request(messageListSchema, 'GET', '/messages', {
        params: { ticket_id: ticketId, limit: 100, order_by: 'created_datetime:asc', cursor },
      });
      messages.push(...page.data);
      cursor = page.meta?.next_cursor ?? undefined;
    } while (cursor);
    return messages;
  }

  createMessage(ticketId: number, message: NewMessage): Promise<Message> {
    return this.request(messageSchema, 'POST', `/tickets/${ticketId}/messages`, { data: message });
  }

  updateTicket(ticketId: number, update: TicketUpdate): Promise<Ticket> {
    return this.request(ticketSchema, 'PUT', `/tickets/${ticketId}`, { data: update });
  }

  /** Tickets created at or after `since`, newest first, following cursor pagination until older ones. */
  async listTicketsCreatedSince(since: Date): Promise<Ticket[]> {
    const tickets: Ticket[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request(ticketListSchema, 'GET', '/tickets', {
        params: { limit: 100, order_by: 'created_datetime:desc', cursor },
      });
      for (const ticket of page.data) {
        if (ticket.created_datetime && Date.parse(ticket.created_datetime) < since.getTime()) return tickets;
        tickets.push(ticket);
      }
      cursor = page.meta?.next_cursor ?? undefined;
    } while (cursor);
    return tickets;
  }

  createTicket(ticket: NewTicket): Promise<Ticket> {
    return this.request(ticketSchema, 'POST', '/tickets', { data: ticket });
  }

  private async request<T extends z.ZodType>(
    schema: T,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { params?: Record<string, unknown>; data?: unknown } = {},
  ): Promise<z.infer<T>> {
    const what = `${method} ${path}`;
    let started = Date.now();
    const report = (status: number, headers: Record<string, unknown> = {}) => {
      const retryAfterMs = status === 429 ? parseRetryAfter(headers['retry-after']) : undefined;
      this.budget?.observe(status, headers['x-gorgias-account-api-call-limit'], retryAfterMs);
      const route = path.replace(/\/\d+/g, '/:id');
      this.onCall?.({ method, route, status, durationMs: Date.now() - started });
    };
    try {
      await this.budget?.acquire();
      started = Date.now();
      const response = await this.http.request({ method, url: path, ...options });
      report(response.status, response.headers);
      return schema.parse(response.data);
    } catch (err) {
      if (isAxiosError(err)) report(err.response?.status ?? 0, err.response?.headers);
      throw classifyFailure(err, what);
    }
  }
}
