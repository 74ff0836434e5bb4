import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { startEntry, waitReady, type EntryProcess } from './processes';
import { ProductionStack } from './stack';
import { StopList } from '../stop-list';

/**
 * `npm run cluster`: docker-compose.yml's production topology on this machine, without Docker. PostgreSQL,
 * the schema job, two Temporal server nodes (127.0.0.2 and 127.0.0.3) sharing the database, the namespace
 * job, then two workers and two webhook servers (one per node) with the environment compose gives them,
 * answering the Gorgias sandbox unless GORGIAS_BASE_URL names an account. Ctrl-C stops everything.
 *
 *   npm run cluster                 # state kept in $TMPDIR/gorgias-autoreply-cluster between runs
 *   npm run cluster -- --fresh      # start from an empty database
 *   npm run cluster -- --dir <dir>  # keep the state somewhere else
 */

const say = (line = '') => process.stdout.write(`${line}\n`);
const SANDBOX_USERNAME = 'autoreply@example.com';
const SANDBOX_API_KEY = 'sandbox-api-key';

function parseArgs(argv: string[]): { dir: string; fresh: boolean } {
  let dir = join(tmpdir(), 'gorgias-autoreply-cluster');
  let fresh = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--fresh') fresh = true;
    else if (argv[i] === '--dir' && argv[i + 1]) dir = argv[++i] as string;
    else throw new Error(`Usage: npm run cluster -- [--fresh] [--dir <dir>] (unknown: ${argv[i]})`);
  }
  return { dir, fresh };
}

async function run(): Promise<void> {
  const { dir, fresh } = parseArgs(process.argv.slice(2));
  if (fresh) rmSync(dir, { recursive: true, force: true });
  const started = Date.now();
  const stops = new StopList((err) => say(`error while stopping: ${String(err)}`));

  try {
    const stack = await ProductionStack.start({ dir, log: say });
    stops.push(() => stack.stop());

    let sandbox: RunningSandbox | null = null;
    const vars: Record<string, string> = {
      WEBHOOK_SECRET: process.env.WEBHOOK_SECRET || randomBytes(24).toString('hex'),
      GORGIAS_WORKERS_SHARING_ACCOUNT: String(stack.nodes.length),
    };
    if (process.env.GORGIAS_BASE_URL) {
      for (const key of ['GORGIAS_BASE_URL', 'GORGIAS_USERNAME', 'GORGIAS_API_KEY'])
        vars[key] = process.env[key] ?? '';
    } else {
      sandbox = await startSandbox({
        port: 4010,
        username: SANDBOX_USERNAME,
        apiKey: SANDBOX_API_KEY,
        // Ids that follow the clock never meet a workflow an earlier run left in the database.
        firstTicketId: Math.floor(Date.now() / 1000) - 1_700_000_000,
      });
      const running = sandbox;
      stops.push(() => running.close());
      Object.assign(vars, {
        GORGIAS_BASE_URL: sandbox.url,
        GORGIAS_USERNAME: SANDBOX_USERNAME,
        GORGIAS_API_KEY: SANDBOX_API_KEY,
      });
    }

    const processes: EntryProcess[] = [];
    const webhookUrls: string[] = [];
    for (const node of stack.nodes) {
      const n = node.index + 1;
      const worker = startEntry(
        'worker',
        `worker-${n}`,
        {
          ...stack.serviceEnvironment('worker', node.index, vars),
          METRICS_PORT: String(9464 + node.index),
          METRICS_HOST: '127.0.0.1',
        },
        join(dir, `worker-${n}.log`),
        dir,
      );
      processes.push(worker);
      stops.push(() => worker.stop(30_000));
      const env = stack.serviceEnvironment('webhook', node.index, vars);
      const port = Number(env.PORT ?? 3000) + node.index;
      const server = startEntry(
        'server',
        `webhook-${n}`,
        { ...env, PORT: String(port) },
        join(dir, `webhook-${n}.log`),
        dir,
      );
      processes.push(server);
      stops.push(() => server.stop());
      webhookUrls.push(`http://127.0.0.1:${port}`);
      await Promise.all([
        waitReady(
          worker,
          async () => readFileSync(worker.logFile, 'utf8').includes('worker started'),
          120_000,
        ),
        waitReady(server, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok),
      ]);
      say(`[service] worker ${n} and webhook server ${n} (port ${port}) on node ${n} (${node.address})`);
    }

    say();
    say(
      `The local production stack is running (started in ${((Date.now() - started) / 1000).toFixed(0)} s):`,
    );
    say(
      `  PostgreSQL       ${stack.postgres.options.host}:${stack.postgres.options.port} (data in ${stack.postgres.options.dataDir})`,
    );
    for (const node of stack.nodes) {
      say(
        `  Temporal node ${node.index + 1}  ${node.address}  metrics ${node.metricsUrl}  log ${node.logFile}`,
      );
    }
    say(`  Namespace        ${stack.namespace}`);
    for (const [i, url] of webhookUrls.entries()) {
      say(
        `  Webhook ${i + 1}        ${url}/webhooks/gorgias?event=ticket-created  (Authorization: Bearer ${vars.WEBHOOK_SECRET})`,
      );
    }
    if (sandbox)
      say(`  Gorgias sandbox  ${sandbox.url}  (user ${SANDBOX_USERNAME}, API key ${SANDBOX_API_KEY})`);
    say(
      `  CLI              ${join(stack.binDir, 'temporal')} workflow list --address ${stack.nodes[0]?.address}`,
    );
    const killSwitch = stack.serviceEnvironment('worker', 0, vars).KILL_SWITCH_FILE;
    if (killSwitch) say(`  Kill switch      touch ${killSwitch}   (rm it to resume)`);
    say(`  Logs             ${dir}`);
    say('  Stop             Ctrl-C');
  } catch (err) {
    await stops.stopAll();
    throw err;
  }

  stops.stopOnSignals(say, 'the webhook servers, the workers, the Temporal nodes and PostgreSQL');
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
