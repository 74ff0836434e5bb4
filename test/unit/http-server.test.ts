import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import express from 'express';
import { listenApp } from '../../src/server/http-server';

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

describe('listenApp, the HTTP server of an Express app', () => {
  it('listens where asked, and fails with the reason when the port is taken', async () => {
    const first = await listenApp(echoApp(), 0, '127.0.0.1');
    servers.push(first);
    const { port } = first.address() as AddressInfo;

    await expect(listenApp(echoApp(), port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const answer = await axios.post(`${urlOf(first)}/echo`, { n: 1 });
    expect(answer.data).toEqual({ got: { n: 1 }, auth: null });
  });
});
