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

function app(name: string): express.Express {
  return express().get('/', (_req, res) => res.json({ name }));
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
});
