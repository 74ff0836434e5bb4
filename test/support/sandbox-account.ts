import { afterAll, beforeAll } from '@jest/globals';
import { GorgiasClient } from '../../src/gorgias/client';
import type { NewTicket } from '../../src/gorgias/schemas';
import { startSandbox, type RunningSandbox } from '../../src/tools/sandbox';
import { sampleTicket, type SampleTicketOptions } from '../../src/tools/sandbox/sample-ticket';

/**
 * A Gorgias account of the file's own in the in-process sandbox, and a client for it: tickets as the
 * workflow's fetchTicket reads them, for unit tests that need Gorgias's shapes but no Temporal.
 */
export interface SandboxAccount {
  sandbox: RunningSandbox;
  gorgias: GorgiasClient;
  /** A new ticket from the sample customer, with these changes. */
  seedTicket(options?: SampleTicketOptions, overrides?: Partial<NewTicket>): Promise<number>;
}

export function useSandboxAccount(): SandboxAccount {
  const account = {
    seedTicket: async (options: SampleTicketOptions = {}, overrides: Partial<NewTicket> = {}) =>
      (await account.gorgias.createTicket({ ...sampleTicket(options), ...overrides })).id,
  } as SandboxAccount;
  beforeAll(async () => {
    const credentials = { username: 'autoreply@shop.example.com', apiKey: 'unit-test-api-key' };
    account.sandbox = await startSandbox({ ...credentials, rateLimit: false, port: 0 });
    account.gorgias = new GorgiasClient({ baseUrl: account.sandbox.url, ...credentials, timeoutMs: 5000 });
  });
  afterAll(() => account.sandbox?.close());
  return account;
}
