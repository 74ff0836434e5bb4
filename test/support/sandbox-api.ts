import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import axios, { type AxiosInstance } from 'axios';
import { GorgiasClient } from '../../src/gorgias/client';
import type { NewMessage, NewTicket } from '../../src/gorgias/schemas';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/tools/sandbox';
import type { Message, Ticket } from '../../src/tools/sandbox/objects';

/**
 * The sandbox's answers are read raw, typed with the sandbox's own objects: they are deliberately as untidy
 * as Gorgias's, and the service's client is only used where what matters is how it classifies a failure.
 */

export const credentials = { username: 'agent@shop.example.com', apiKey: 'test-api-key-123' };
export const SUPPORT = 'support@shop.example.com';
export const FIRST_EMAIL_INTEGRATION_ID = 6601;
/** An email integration's own address that Gorgias provided (an account without its own domain). */
export const GORGIAS_PROVIDED = 'k7q2x9m4shop@email.gorgias.com';
export const TICKET_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/;
export const MESSAGE_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

export function clientFor(sandbox: RunningSandbox, timeoutMs = 5000): GorgiasClient {
  return new GorgiasClient({ baseUrl: sandbox.url, ...credentials, timeoutMs });
}

/** A plain HTTP client that never throws on a status, for asserting raw answers. */
export function rawFor(
  sandbox: RunningSandbox,
  auth: { username: string; password: string } | null = null,
  timeoutMs = 0,
): AxiosInstance {
  return axios.create({
    baseURL: sandbox.url,
    auth: auth ?? { username: credentials.username, password: credentials.apiKey },
    validateStatus: () => true,
    timeout: timeoutMs,
  });
}

/** The calls tests make, expecting success. */
export function apiFor(sandbox: RunningSandbox) {
  const raw = rawFor(sandbox);
  const expectStatus = <T>(answer: { status: number; data: T }, status: number): T => {
    expect(answer.status).toBe(status);
    return answer.data;
  };
  return {
    raw,
    createTicket: async (input: NewTicket = newTicket()) =>
      expectStatus(await raw.post<Ticket>('/api/tickets', input), 201),
    createMessage: async (ticketId: number, input: NewMessage) =>
      expectStatus(await raw.post<Message>(`/api/tickets/${ticketId}/messages`, input), 201),
    ticket: async (ticketId: number) => expectStatus(await raw.get<Ticket>(`/api/tickets/${ticketId}`), 200),
    message: async (ticketId: number, messageId: number) =>
      expectStatus(await raw.get<Message>(`/api/tickets/${ticketId}/messages/${messageId}`), 200),
  };
}

export function newTicket(overrides: Partial<NewTicket> = {}): NewTicket {
  return {
    customer: { email: 'dana.lee@example.org', firstname: 'Dana', lastname: 'Lee' },
    messages: [
      {
        channel: 'email',
        via: 'email',
        from_agent: false,
        subject: 'Where is my order #1042?',
        body_text: 'Hi, my order #1042 has not arrived yet.',
        source: {
          type: 'email',
          from: { address: 'dana.lee@example.org', name: 'Dana Lee' },
          to: [{ address: SUPPORT, name: 'Shop Support' }],
        },
      },
    ],
    ...overrides,
  };
}

/** A new ticket whose first message went to these addresses. */
export function ticketTo(to: string[], cc: string[] = []): NewTicket {
  const ticket = newTicket();
  const [first] = ticket.messages;
  if (!first) throw new Error('newTicket has a message');
  return {
    ...ticket,
    messages: [
      {
        ...first,
        source: {
          type: 'email',
          from: { address: 'dana.lee@example.org' },
          to: to.map((address) => ({ address })),
          cc: cc.map((address) => ({ address })),
        },
      },
    ],
  };
}

export function emailReply(customerId: number, overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    channel: 'email',
    via: 'api',
    from_agent: true,
    sender: { id: 12 },
    receiver: { id: customerId },
    source: {
      type: 'email',
      from: { address: SUPPORT, name: 'Shop Support' },
      to: [{ address: 'dana.lee@example.org', name: 'Dana Lee' }],
    },
    subject: 'Re: Where is my order #1042?',
    body_text: 'Thanks, we are on it.',
    body_html: '<p>Thanks, we are on it.</p>',
    external_id: 'autoreply:1',
    ...overrides,
  };
}

export const internalNote: NewMessage = {
  channel: 'internal-note',
  via: 'api',
  from_agent: true,
  public: false,
  sender: { id: 12 },
  source: { type: 'internal-note' },
  body_text: 'Auto-reply sent.',
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withSandbox(
  options: Partial<SandboxOptions>,
  body: (sandbox: RunningSandbox) => Promise<void>,
) {
  const sandbox = await startSandbox({ ...credentials, port: 0, ...options });
  try {
    await body(sandbox);
  } finally {
    await sandbox.close();
  }
}

export type SandboxApi = ReturnType<typeof apiFor>;

/**
 * One sandbox for a describe's tests, reset after each: `opened` gets it (and its clients) before the first
 * test.
 */
export function useSandbox(
  options: Partial<SandboxOptions>,
  opened: (ready: { sandbox: RunningSandbox; api: SandboxApi; raw: AxiosInstance }) => void,
): void {
  let sandbox: RunningSandbox | undefined;
  beforeAll(async () => {
    sandbox = await startSandbox({ ...credentials, port: 0, ...options });
    const api = apiFor(sandbox);
    opened({ sandbox, api, raw: api.raw });
  });
  afterEach(() => sandbox?.reset());
  afterAll(() => sandbox?.close());
}
