import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { parseFlags, SCENARIOS, type BenchFlags, type ScenarioName } from './flags';
import { printTable, toJson, type BenchResults, type ScenarioResults } from './report';
import { runBaseline } from './scenarios/baseline';
import { runCalls } from './scenarios/calls';
import { runCollapse } from './scenarios/collapse';
import { runDrain } from './scenarios/drain';
import { FASTER_TRANSFER_READS, runEndToEnd, type E2eResult } from './scenarios/e2e';
import { runIntake } from './scenarios/intake';
import { TemporalForBench } from './stack';

/**
 * `npm run bench`: the real local stack (Temporal dev server, worker and webhook-server processes, Gorgias
 * sandbox), one scenario after another, each with its own ceiling or baseline in the same run. Prints a table
 * and writes the same figures as JSON.
 */

const say = (line = '') => process.stdout.write(`${line}\n`);

async function run(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const started = Date.now();
  const results: BenchResults = {
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      freeMemoryGb: Math.round(freemem() / 2 ** 30),
      node: process.version,
      loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    flags: { ...flags, only: flags.only ? [...flags.only] : [...SCENARIOS] },
  };
  if (flags.profileDir) {
    flags.profileDir = resolve(flags.profileDir);
    mkdirSync(flags.profileDir, { recursive: true });
  }

  say(`Starting the Temporal dev server (${flags.temporalDb} database)...`);
  const temporal = await TemporalForBench.start(flags.temporalDb, flags.temporalDynamicConfig, (line) =>
    say(`  ${line}`),
  );
  try {
    Object.assign(results, await runScenarios(temporal, flags, say));
  } finally {
    await temporal.stop();
  }

  if (flags.cluster) {
    say('\nStarting the local production stack (PostgreSQL, two Temporal nodes: npm run cluster)...');
    const cluster = await TemporalForBench.startCluster((line) => say(`  ${line}`));
    try {
      results.cluster = {
        topology: cluster.topology.description,
        ...(await runScenarios(cluster, flags, say)),
      };
    } finally {
      await cluster.stop();
    }
  }
  results.totalSeconds = (Date.now() - started) / 1000;

  say();
  printTable(results, say);
  const out = resolve(flags.out);
  mkdirSync(dirname(out), { recursive: true });
  // Formatted as the repository's Prettier check expects, since the file is committed.
  const style = await resolveConfig(out);
  writeFileSync(out, await format(JSON.stringify(toJson(results), null, 2), { ...style, filepath: out }));
  say(`\nWrote ${out} (whole run: ${results.totalSeconds.toFixed(0)} s)`);
}

/** Every wanted scenario, one after the other, against one Temporal. */
async function runScenarios(
  temporal: TemporalForBench,
  flags: BenchFlags,
  say: (line?: string) => void,
): Promise<ScenarioResults> {
  const wanted = (name: ScenarioName) => !flags.only || flags.only.has(name);
  const scenario = async <T>(name: ScenarioName, title: string, body: () => Promise<T>) => {
    if (!wanted(name)) return undefined;
    say(`\n[${name}] ${title} (${temporal.topology.kind})`);
    const t0 = Date.now();
    const result = await body();
    say(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  };
  const results: ScenarioResults = {};
  results.intake = await scenario('intake', 'intake throughput and latency, with ceilings (a) and (b)', () =>
    runIntake(
      temporal,
      {
        connections: flags.connections,
        seconds: flags.duration,
        rounds: flags.rounds,
        warmupSeconds: flags.warmup,
        profileDir: flags.profileDir,
        serviceEnv: flags.serviceEnv,
        bareRelay: flags.bareRelay,
        aaCheck: flags.aaCheck,
      },
      say,
    ),
  );
  results.collapse = await scenario('collapse', 'duplicate collapse under load', () =>
    runCollapse(temporal, { tickets: flags.collapseTickets, serviceEnv: flags.serviceEnv }, say),
  );
  results.drain = await scenario('drain', 'backlog drain against the rate limit', () =>
    runDrain(temporal, { tickets: flags.drainTickets, workerRatePerSecond: flags.drainWorkerRate }, say),
  );
  results.e2e = await scenario('e2e', 'end-to-end latency', async () => {
    const e2eOptions = { tickets: flags.e2eTickets, serviceEnv: flags.serviceEnv };
    const result: E2eResult = await runEndToEnd(temporal, e2eOptions, say);
    if (temporal.topology.kind === 'dev-server' && flags.temporalDb === 'memory') {
      // Where the back-to-back time goes: the same run where the dev server's one history shard reads its
      // transfer queue more often (see docs/benchmarks.md, scenario 4).
      const dynamicConfig = [...flags.temporalDynamicConfig, FASTER_TRANSFER_READS];
      say(`  again on a dev server with --dynamic-config-value ${FASTER_TRANSFER_READS}`);
      const tuned = await TemporalForBench.start('memory', dynamicConfig, () => undefined);
      try {
        result.fasterTransferReads = { ...(await runEndToEnd(tuned, e2eOptions, say)), dynamicConfig };
      } finally {
        await tuned.stop();
      }
    }
    return result;
  });
  results.baseline = await scenario('baseline', 'the old inline handler vs the service, under faults', () =>
    runBaseline(temporal, { tickets: flags.baselineTickets, faultRate: flags.faultRate }, say),
  );
  results.calls = await scenario('calls', 'Gorgias calls per ticket, by outcome', () =>
    runCalls(temporal, { perKind: flags.callsPerKind }, say),
  );
  return results;
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
