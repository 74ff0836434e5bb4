import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSandboxApp, type SandboxApp, type SandboxOptions } from '../src/tools/sandbox';

export const GORGIAS_USERNAME = 'autoreply@chaos.example.com';
export const GORGIAS_API_KEY = 'chaos-gorgias-api-key-5f1c9e2a7b';

/** One `/api` request as the sandbox saw it. */
export interface RecordedRequest {
  method: string;
  url: string;
  /** The ticket the request is about, when its path or query names one. */
  ticketId: number | null;
  receivedAt: number;
  /** Unset while the request is in flight. */
  status?: number;
  retryAfterSeconds?: number;
}

/**
 * The Gorgias sandbox on 127.0.0.1 with a log of every API request, so a scenario can see what was in flight
 * when it killed a process and how the service reacted to each 429.
 */
export class RecordedSandbox {
  private constructor(
    readonly requests: RecordedRequest[],
    readonly sandbox: SandboxApp,
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: Partial<SandboxOptions> = {}): Promise<RecordedSandbox> {
    const sandbox = createSandboxApp({
      username: GORGIAS_USERNAME,
      apiKey: GORGIAS_API_KEY,
      rateLimit: false,
      firstTicketId: 1_000_000 + Math.floor(Math.random() * 1_000_000_000),
      ...options,
    });
    const requests: RecordedRequest[] = [];
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/api/')) {
        const entry: RecordedRequest = {
          method: req.method ?? '',
          url: req.url,
          ticketId: ticketIdOf(req.url),
          receivedAt: Date.now(),
        };
        requests.push(entry);
        res.once('finish', () => {
          entry.status = res.statusCode;
          const retryAfter = res.getHeader('retry-after');
          if (retryAfter !== undefined) entry.retryAfterSeconds = Number(retryAfter);
        });
      }
      sandbox.app(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new RecordedSandbox(requests, sandbox, server, `http://127.0.0.1:${port}`);
  }

  /** The account as the service harness (ServiceProcesses) takes it: where to call, and what was posted. */
  account() {
    return {
      url: this.url,
      username: GORGIAS_USERNAME,
      apiKey: GORGIAS_API_KEY,
      messagesOf: (ticketId: number) => this.sandbox.messagesOf(ticketId),
    };
  }

  /** Requests that arrived and have not been answered yet. */
  inFlight(): RecordedRequest[] {
    return this.requests.filter((r) => r.status === undefined);
  }

  close(): Promise<void> {
    this.sandbox.dispose();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function ticketIdOf(url: string): number | null {
  const match = /\/api\/tickets\/(\d+)/.exec(url) ?? /[?&]ticket_id=(\d+)/.exec(url);
  return match?.[1] ? Number(match[1]) : null;
}
