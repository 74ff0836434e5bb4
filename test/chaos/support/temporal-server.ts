import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type RunningDevServer } from '../../../src/dev/dev-server';
import { ensureSearchAttributes } from '../../../src/temporal/search-attributes';
import { freePort } from '../../support/waiting';

export const NAMESPACE = 'default';

/**
 * The real Temporal CLI dev server, with its state in a SQLite file of its own, so a scenario can stop it and
 * start it again on the same port and find every workflow where it left it.
 */
export class ChaosTemporal {
  private running: RunningDevServer | null = null;
  private connection: Connection | null = null;
  client!: Client;

  private constructor(
    readonly address: string,
    private readonly port: number,
    private readonly uiPort: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<ChaosTemporal> {
    const path = process.env.TEMPORAL_CLI_PATH;
    if (!path)
      throw new Error('TEMPORAL_CLI_PATH is unset: run the chaos suite through jest.chaos.config.js');
    const port = await freePort();
    const uiPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'gorgias-chaos-'));
    const temporal = new ChaosTemporal(`127.0.0.1:${port}`, port, uiPort, dir);
    await temporal.startServer();
    temporal.connection = await Connection.connect({ address: temporal.address });
    temporal.client = new Client({ connection: temporal.connection, namespace: NAMESPACE });
    await ensureSearchAttributes(temporal.connection, NAMESPACE);
    return temporal;
  }

  get dbFile(): string {
    return join(this.dir, 'temporal.db');
  }

  /** Stops the server; its state stays in the SQLite file. */
  async stop(): Promise<void> {
    await this.running?.stop();
    this.running = null;
  }

  /** Starts it again on the same port with the same file. */
  async restart(): Promise<void> {
    if (this.running) throw new Error('the dev server is already running');
    await this.startServer();
  }

  async close(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async startServer(): Promise<void> {
    const path = process.env.TEMPORAL_CLI_PATH as string;
    this.running = await startDevServer({
      cli: { path, source: 'explicit-path' },
      port: this.port,
      uiPort: this.uiPort,
      dbFilename: this.dbFile,
      namespace: NAMESPACE,
    });
  }
}
