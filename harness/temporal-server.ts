import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { describeCli, ensureTemporalCli, type LocatedCli } from '../src/tools/dev/temporal-cli';
import { startDevServer, type RunningDevServer } from '../src/tools/dev/dev-server';
import { ensureSearchAttributes } from '../src/temporal/search-attributes';
import { SEARCH_ATTRIBUTES } from '../src/temporal/definitions';
import { freePort } from './waiting';

/**
 * The real Temporal dev server for the test suites and the benchmark: found once (see the README, "Where the
 * Temporal CLI comes from"), started on free ports, and a namespace of its own for each test file or scenario.
 */

/** The CLI every server of a run is started from; TEMPORAL_CLI_PATH once found, so child processes reuse it. */
export async function locateTemporalCli(log: (line: string) => void): Promise<LocatedCli> {
  const cli = await ensureTemporalCli({
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    log,
  });
  log(describeCli(cli));
  process.env.TEMPORAL_CLI_PATH = cli.path;
  return cli;
}

/**
 * The test run's limit on signals per workflow (`history.maximumSignalsPerExecution`, 10,000 by default), low
 * enough for a test to reach; no other test sends one workflow more than a few deliveries.
 */
export const SIGNAL_LIMIT = 10;

export interface TestServerOptions {
  /** Keep the state in this SQLite file (a server that is stopped and started again); default in memory. */
  dbFilename?: string;
  /** Serve the Web UI on this port; default headless. */
  uiPort?: number;
  dynamicConfig?: Record<string, string | number | boolean>;
}

/** A dev server on 127.0.0.1 that can be stopped and started again on the same port (and file). */
export class TestTemporalServer {
  private running: RunningDevServer | null = null;

  private constructor(
    private readonly cli: LocatedCli,
    private readonly port: number,
    private readonly options: TestServerOptions,
  ) {}

  static async start(cli: LocatedCli, options: TestServerOptions = {}): Promise<TestTemporalServer> {
    const server = new TestTemporalServer(cli, await freePort(), options);
    await server.restart();
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The Web UI, when it has one. */
  get uiUrl(): string | null {
    return this.options.uiPort === undefined ? null : `http://localhost:${this.options.uiPort}`;
  }

  /** Starts it again after `stop()`, where it left off when it has a database file. */
  async restart(): Promise<void> {
    if (this.running) throw new Error('the dev server is already running');
    this.running = await startDevServer({
      cli: this.cli,
      port: this.port,
      namespace: 'default',
      ...this.options,
    });
  }

  async stop(): Promise<void> {
    await this.running?.stop();
    this.running = null;
  }
}

/**
 * A fresh namespace with the workflow's search attributes, ready to use: each test file and chaos scenario
 * gets its own, so they share one server without seeing each other's workflows, task queues or Schedule.
 */
export async function createNamespace(connection: Connection, name: string): Promise<string> {
  const namespace = `${name.replace(/[^a-zA-Z0-9-]+/g, '-').slice(0, 40)}-${Math.random().toString(36).slice(2, 8)}`;
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  // The dev server registers search attributes per namespace; only those created at its start get them.
  await ensureSearchAttributes(connection, namespace);
  // Visible to the frontend once a visibility query naming every attribute is accepted.
  const query = SEARCH_ATTRIBUTES.map((key) => `${key.name} IS NULL`).join(' AND ');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query });
      return namespace;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Connects to a server, runs `use`, closes the connection. */
export async function withConnection<T>(address: string, use: (c: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}
