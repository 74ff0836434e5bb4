import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { transportWritingBy } from '../../src/gorgias/write-guard';

/**
 * A process frozen between the deadline check and the write (SIGSTOP, a VM pause) must not send its write late:
 * here the freeze is a busy loop between issuing the request and Node flushing it to the socket.
 */

let server: Server;
let port: number;
const received: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function post(path: string, writeBy: number, freezeMs = 0): Promise<string> {
  return new Promise((resolve) => {
    const request = transportWritingBy(writeBy, false).request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(`answered ${response.statusCode}`));
      },
    );
    request.on('error', (err) => resolve(`failed: ${err.message}`));
    request.end('{"x":1}');
    // The process "freezes" before Node's next tick, where the request would be flushed to its socket.
    const until = Date.now() + freezeMs;
    while (Date.now() < until);
  });
}

const waitForServer = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('a write that reaches its socket too late is not sent', () => {
  it('in time: sent and answered', async () => {
    expect(await post('/in-time', Date.now() + 5_000)).toBe('answered 200');
    expect(received).toContain('POST /in-time');
  });

  it('frozen past its deadline before the flush: dropped, the server never sees it', async () => {
    const outcome = await post('/frozen', Date.now() + 20, 100);
    await waitForServer();
    expect(outcome).toMatch(/^failed: write not sent/);
    expect(received).not.toContain('POST /frozen');
  });
});
