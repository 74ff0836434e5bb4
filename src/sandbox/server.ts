import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSandboxApp } from './app';
import type { SandboxFaults } from './faults';
import type { MonthOptions, SeededTicket } from './month';
import type { Customer, Ticket } from './objects';
import type { ShopifyOrder } from './shopify';
import type { SandboxOptions } from './options';
import type { SendingPatch, SendingSettings } from './sending';
import type { SandboxStats } from './stats';

export interface RunningSandbox {
  /** e.g. `http://127.0.0.1:4010` (no `/api`): what the service uses as its Gorgias base URL. */
  url: string;
  port: number;
  stats(): SandboxStats;
  faults(): SandboxFaults;
  setFaults(faults: Partial<SandboxFaults>): void;
  sending(): SendingSettings;
  setSending(patch: SendingPatch): void;
  trashTicket(ticketId: number): Ticket | undefined;
  reset(): void;
  /** Messages of a ticket as stored (for assertions), oldest first. */
  messagesOf(ticketId: number): unknown[];
  setCustomerOrders(email: string, orders: ShopifyOrder[] | null, options?: { onTicket?: boolean }): Customer;
  seedMonth(options: MonthOptions): SeededTicket[];
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
  const server = createServer(sandbox.app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wantedPort, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
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
    reset: () => sandbox.reset(),
    messagesOf: (ticketId) => sandbox.messagesOf(ticketId),
    setCustomerOrders: (email, orders, opts) => sandbox.setCustomerOrders(email, orders, opts),
    seedMonth: (monthOptions) => sandbox.seedMonth(monthOptions),
    close,
  };
}
