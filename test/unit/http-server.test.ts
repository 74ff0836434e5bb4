import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import express from 'express';
import { listenApp, SERVER_TIMEOUTS } from '../../src/server/http-server';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

function app(name: string): express.Express {
  return express().get('/', (_req, res) => res.json({ name }));
}

/** What the server answers a client that starts a request and never finishes its headers, and when it hangs up. */
function slowClient(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', () => {
      socket.write('POST /webhooks/gorgias HTTP/1.1\r\nHost: intake\r\n');
    });
    socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('listenApp, the HTTP server of an Express app', () => {
  it('listens where asked, and fails with the reason when the port is taken', async () => {
    const first = await listenApp(app('first'), 0, '127.0.0.1');
    servers.push(first);
    const { port } = first.address() as AddressInfo;

    await expect(listenApp(app('second'), port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // The first one still serves the port.
    expect((await axios.get(`${urlOf(first)}/`)).data).toEqual({ name: 'first' });
  });

  it('keeps idle connections longer than a load balancer (60 s), and bounds slow clients, unlike Node’s defaults', async () => {
    const server = await listenApp(app('intake'), 0, '127.0.0.1');
    servers.push(server);
    expect(server.keepAliveTimeout).toBeGreaterThan(60_000);
    // Node's defaults: 5 s keep-alive (a balancer's reused connection closed under it), 60 s for headers, 300 s for
    // a request.
    expect(server.headersTimeout).toBeLessThan(60_000);
    expect(server.requestTimeout).toBeLessThan(300_000);
    expect(server.requestTimeout).toBeGreaterThan(0);
    expect(server.headersTimeout).toBeLessThanOrEqual(server.requestTimeout);
    expect(server.keepAliveTimeout).toBe(SERVER_TIMEOUTS.keepAliveTimeout);
  });

  it('answers 408 and hangs up on a client whose headers never end', async () => {
    // The same settings, scaled down so the test does not wait 10 s.
    const server = await listenApp(app('intake'), 0, '127.0.0.1', {
      headersTimeout: 200,
      requestTimeout: 400,
      connectionsCheckingInterval: 50,
    });
    servers.push(server);
    expect(await slowClient(server)).toBe('HTTP/1.1 408 Request Timeout');
  });
});
