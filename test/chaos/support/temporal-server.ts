import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createNamespace, locateTemporalCli, TestTemporalServer } from '../../../harness/temporal-server';

/**
 * A scenario's Temporal: a namespace of its own on the run's dev server (started by the chaos global setup), or,
 * for a scenario that stops Temporal, a dev server of its own with its state in a SQLite file, so it can be
 * stopped and started again on the same port and find every workflow where it left it.
 */
export class ChaosTemporal {
  private constructor(
    readonly address: string,
    readonly namespace: string,
    readonly client: Client,
    private readonly connection: Connection,
    private readonly own: { server: TestTemporalServer; dir: string } | null,
  ) {}

  /** A namespace named after the scenario on the run's server. */
  static async onRunServer(name: string): Promise<ChaosTemporal> {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address)
      throw new Error('TEST_TEMPORAL_ADDRESS is unset: run the chaos suite through jest.chaos.config.js');
    return ChaosTemporal.connect(address, name, null);
  }

  /** A dev server of the scenario's own, which it may stop and restart. */
  static async ownServer(name: string): Promise<ChaosTemporal> {
    const dir = mkdtempSync(join(tmpdir(), 'gorgias-chaos-'));
    const cli = await locateTemporalCli(() => undefined);
    const server = await TestTemporalServer.start(cli, { dbFilename: join(dir, 'temporal.db') });
    return ChaosTemporal.connect(server.address, name, { server, dir });
  }

  private static async connect(
    address: string,
    name: string,
    own: ChaosTemporal['own'],
  ): Promise<ChaosTemporal> {
    const connection = await Connection.connect({ address });
    const namespace = await createNamespace(connection, name);
    return new ChaosTemporal(address, namespace, new Client({ connection, namespace }), connection, own);
  }

  private ownServer(): TestTemporalServer {
    if (!this.own) throw new Error('only a scenario with a server of its own (ownServer) may stop it');
    return this.own.server;
  }

  /** Stops the server; its state stays in the SQLite file. */
  stop(): Promise<void> {
    return this.ownServer().stop();
  }

  /** Starts it again on the same port with the same file. */
  restart(): Promise<void> {
    return this.ownServer().restart();
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
    if (this.own) {
      await this.own.server.stop();
      rmSync(this.own.dir, { recursive: true, force: true });
    }
  }
}
