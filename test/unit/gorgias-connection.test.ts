import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GorgiasClient } from '../../src/gorgias/client';
import { GorgiasRequestError } from '../../src/gorgias/failures';

/**
 * A kept-alive connection that the server closes just as the client reuses it (its idle timeout running out as
 * the request is written) resets the request. The server here answers the first request on each connection and
 * resets the connection at the second, which is that race made certain.
 */

let server: Server;
let port: number;
let connections = 0;
const requests: string[] = [];

const TICKET = JSON.stringify({ id: 7, status: 'open', channel: 'email', messages: [] });
const CREATED = JSON.stringify({ id: 99 });

beforeAll(async () => {
  server = createServer((socket: Socket) => {
    connections += 1;
    let answered = 0;
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffer.slice(0, end);
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      buffer = buffer.slice(end + 4 + length);
      const line = head.split('\r\n')[0] ?? '';
      if (answered > 0) {
        socket.resetAndDestroy();
        return;
      }
      answered += 1;
      requests.push(line);
      const body = line.startsWith('POST') ? CREATED : TICKET;
      socket.write(
        `HTTP/1.1 ${line.startsWith('POST') ? 201 : 200} OK\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`,
      );
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
  connections = 0;
});

const client = () =>
  new GorgiasClient({ baseUrl: `http://127.0.0.1:${port}`, username: 'u', apiKey: 'k', timeoutMs: 2_000 });

describe('a kept-alive connection closed by the server as it is reused', () => {
  it('a read is made again, once, on a new connection', async () => {
    const gorgias = client();
    await gorgias.getTicket(7);
    await expect(gorgias.getTicket(7)).resolves.toMatchObject({ id: 7 });
    expect(requests).toEqual(['GET /api/tickets/7 HTTP/1.1', 'GET /api/tickets/7 HTTP/1.1']);
    expect(connections).toBe(2);
  });

  it('a write is not made again: its outcome is left to the caller to find out', async () => {
    const gorgias = client();
    await gorgias.getTicket(7);
    const write = gorgias.createMessage(7, {
      channel: 'internal-note',
      via: 'api',
      from_agent: true,
      body_text: 'x',
    });
    await expect(write).rejects.toBeInstanceOf(GorgiasRequestError);
    await expect(write).rejects.toMatchObject({ kind: 'retryable' });
    expect(requests).toEqual(['GET /api/tickets/7 HTTP/1.1']);
    expect(connections).toBe(1);
  });
});
