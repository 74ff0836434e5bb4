import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { z } from 'zod';
import { classifyFailure } from './failures';
import {
  messageListSchema,
  messageSchema,
  ticketSchema,
  type Message,
  type NewMessage,
  type NewTicket,
  type Ticket,
} from './schemas';

export interface GorgiasClientOptions {
  /** The account URL, e.g. `https://acme.gorgias.com` (the client adds `/api/...`). */
  baseUrl: string;
  username: string;
  apiKey: string;
  timeoutMs: number;
}

/** A typed client for the few Gorgias REST endpoints the service uses. Failures are GorgiasRequestErrors. */
export class GorgiasClient {
  private readonly http: AxiosInstance;

  constructor(options: GorgiasClientOptions) {
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

  createTicket(ticket: NewTicket): Promise<Ticket> {
    return this.request(ticketSchema, 'POST', '/tickets', { data: ticket });
  }

  private async request<T extends z.ZodType>(
    schema: T,
    method: 'GET' | 'POST',
    path: string,
    options: { params?: Record<string, unknown>; data?: unknown } = {},
  ): Promise<z.infer<T>> {
    const what = `${method} ${path}`;
    try {
      const response = await this.http.request({ method, url: path, ...options });
      return schema.parse(response.data);
    } catch (err) {
      throw classifyFailure(err, what);
    }
  }
}
