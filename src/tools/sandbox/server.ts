import type { AddressInfo } from 'node:net';
import { listenApp } from '../../server/http-server';
import { createSandboxApp } from './app';
import type { SandboxControls } from './controls';
import type { SandboxOptions } from './options';

const SANDBOX_KEEP_ALIVE_MS = 65_000;

/** A sandbox serving the API over HTTP, with the controls a test or a local stack uses on it. */
export interface RunningSandbox extends Omit<SandboxControls, 'dispose'> {
  /** e.g. `http://127.0.0.1:4010` (no `/api`): what the service uses as its Gorgias base URL. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface StartSandboxOptions extends SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export async function startSandbox(options: StartSandboxOptions): Promise<RunningSandbox> {
  const { port: wantedPort = 0, host = '127.0.0.1', ...sandboxOptions } = options;
  const sandbox = createSandboxApp(sandboxOptions);
  const server = await listenApp(sandbox.app, wantedPort, host);
  // Node's default 5 s keep-alive timeout closes a client's idle connection just as a caller that waited about
  // that long (the demo, waiting for a ticket's workflow) reuses it: the call then fails with ECONNRESET.
  // Clients here hold idle connections for less than this; the headers timeout must exceed it.
  server.keepAliveTimeout = SANDBOX_KEEP_ALIVE_MS;
  server.headersTimeout = SANDBOX_KEEP_ALIVE_MS + 1_000;
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve, reject) => {
      sandbox.dispose();
      server.close((err) => (err ? reject(err) : resolve()));
      // Keep-alive clients and answers that were still being delayed would otherwise hold close() open.
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: () => sandbox.stats(),
    faults: () => sandbox.faults(),
    setFaults: (faults) => sandbox.setFaults(faults),
    sending: () => sandbox.sending(),
    setSending: (patch) => sandbox.setSending(patch),
    trashTicket: (ticketId) => sandbox.trashTicket(ticketId),
    deleteTicket: (ticketId) => sandbox.deleteTicket(ticketId),
    mergeTicket: (fromId, intoId) => sandbox.mergeTicket(fromId, intoId),
    reset: () => sandbox.reset(),
    messagesOf: (ticketId) => sandbox.messagesOf(ticketId),
    setCustomerOrders: (email, orders, opts) => sandbox.setCustomerOrders(email, orders, opts),
    setRules: (rules) => sandbox.setRules(rules),
    addCustomerAddress: (email, address) => sandbox.addCustomerAddress(email, address),
    seedMonth: (monthOptions) => sandbox.seedMonth(monthOptions),
    setListed: (ticketId, listed) => sandbox.setListed(ticketId, listed),
    playOutMonth: (playOptions) => sandbox.playOutMonth(playOptions),
    close,
  };
}
