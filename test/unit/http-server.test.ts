import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import express from 'express';
import { createAppServer, listenApp } from '../../src/server/http-server';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

function echoApp(): express.Express {
  const app = express();
  app.post('/echo', express.json(), (req, res) => {
    res.status(201).json({ got: req.body as unknown, auth: req.get('authorization') ?? null });
  });
  return app;
}

describe('the HTTP server of an Express app', () => {
  it('creates each request and response with the app’s prototypes, before Express sees them', async () => {
    const app = echoApp();
    const server = createAppServer(app);
    servers.push(server);
    const born: boolean[] = [];
    // Runs before Express: Express would otherwise swap the prototypes here, which slows every later access.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      born.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

    const answer = await axios.post(
      `${urlOf(server)}/echo`,
      { ticket_id: 7 },
      { headers: { Authorization: 'Bearer x' } },
    );

    expect(born).toEqual([true, true]);
    // Express works on them as on its own: req.get, body parsing, res.status().json().
    expect(answer.status).toBe(201);
    expect(answer.data).toEqual({ got: { ticket_id: 7 }, auth: 'Bearer x' });
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
  });

  it('listens where asked, and fails with the reason when the port is taken', async () => {
    const first = await listenApp(echoApp(), 0, '127.0.0.1');
    servers.push(first);
    const { port } = first.address() as AddressInfo;

    await expect(listenApp(echoApp(), port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const answer = await axios.post(`${urlOf(first)}/echo`, { n: 1 });
    expect(answer.data).toEqual({ got: { n: 1 }, auth: null });
  });
});
