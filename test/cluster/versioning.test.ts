import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadConfig } from '../../src/config';
import type { Ticket } from '../../src/gorgias/schemas';
import { DEFAULT_POLICY_FILE, policyFromConfig } from '../../src/policy/load';
import { CATCH_UP_SCHEDULE_ID } from '../../src/temporal/catch-up-schedule';
import { buildIdOf, describeDeployment, versionSearchValue } from '../../src/temporal/worker-deployment';
import { createVersionedWorker, type AutoReplyWorker } from '../../src/worker';
import { QUIET_BUNDLER } from '../../src/worker/workflow-bundle';
import { stateQuery, workflowIdForTicket } from '../../src/temporal/definitions';
import { waitUntil } from '../../harness/waiting';
import { ClusterRig, TEST_VARS } from './support/rig';

/**
 * A versioned rollout on the production topology (PostgreSQL, two Temporal nodes, compose's environment): the two
 * worker processes of version 1 (the built dist/, as compose runs them) hold tickets waiting in `delay_seconds`;
 * version 2, a workflow change that is not replay-compatible, starts next to them and the operator makes it current
 * with the CLI; the waiting tickets finish on version 1, new ones run on version 2; version 1's workers go once no
 * ticket is pinned to it.
 */

// The version-2 worker runs in this process: its state changes are noise, warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

const say = (line: string) => process.stderr.write(`${line}\n`);
const run = promisify(execFile);
const DELAY_SECONDS = 20;
const TICKETS = 20;
const EventType = temporal.api.enums.v1.EventType;

let rig: ClusterRig;
let v2: AutoReplyWorker | null = null;
let v2Running: Promise<void> | null = null;
let v2Connection: NativeConnection | null = null;
let policyFile: string;

beforeAll(async () => {
  // The shipped policy, with tickets waiting before the reply (as a shop answering within minutes would).
  const policy = parseYaml(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  policy.timing = { ...policy.timing, delay_seconds: DELAY_SECONDS, confirm_first_check_seconds: 1 };
  policyFile = join(mkdtempSync(join(tmpdir(), 'gorgias-versioning-')), 'policy.yaml');
  writeFileSync(policyFile, stringifyYaml(policy));
  rig = await ClusterRig.start(say, { POLICY_FILE: policyFile });
  await rig.anyClient((client) =>
    client.schedule.getHandle(CATCH_UP_SCHEDULE_ID).pause('versioning test: webhooks only'),
  );
}, 600_000);

afterAll(async () => {
  if (v2?.worker.getState() === 'RUNNING') v2.worker.shutdown();
  await v2Running;
  await v2Connection?.close();
  await rig?.stop();
}, 120_000);

/** The operator's command, the project's Temporal CLI against node 1 (as on the compose host). */
function temporalCli(...args: string[]) {
  const node = rig.stack.nodes[0]!;
  return run(join(rig.stack.binDir, 'temporal'), [
    ...args,
    '--address',
    node.address,
    '--namespace',
    rig.stack.namespace,
  ]);
}

async function deliver(tickets: readonly Ticket[]): Promise<void> {
  for (const [i, ticket] of tickets.entries()) {
    expect((await rig.deliverUntilAccepted(ticket, i % 2)).status).toBe(202);
  }
}

function versioningOf(client: Client, ticketId: number) {
  return client.workflow
    .getHandle(workflowIdForTicket(ticketId))
    .describe()
    .then((d) => ({
      status: d.status.name,
      behavior: d.raw.workflowExecutionInfo?.versioningInfo?.behavior,
      buildId: d.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId ?? null,
    }));
}

describe('a workflow change rolled out with Worker Versioning on two nodes and PostgreSQL', () => {
  it('tickets waiting on version 1 finish there, new ones run on version 2, version 1 drains', async () => {
    const vars = { ...TEST_VARS, GORGIAS_BASE_URL: rig.sandbox.url, POLICY_FILE: policyFile };
    const deploymentName = rig.taskQueue;
    // Version 1: compose's two workers, the bundle `npm run build` wrote; the first made itself current.
    const v1BuildId = buildIdOf(
      readFileSync(join(__dirname, '..', '..', 'dist', 'workflow-bundle.js'), 'utf8'),
    );
    // A worker makes itself current in the background once the server sees it poll (a few seconds under load):
    // the deploy needs no manual step, but the test waits for that step.
    let current: string | null = null;
    await waitUntil(
      async () => {
        current = (await rig.anyClient((client) => describeDeployment(client, deploymentName)))
          .currentBuildId;
        return current !== null;
      },
      60_000,
      500,
    );
    expect(current).toBe(v1BuildId);
    say(
      `[versioning] version 1 (${deploymentName} · ${v1BuildId}) current after the first deploy, no manual step`,
    );

    const oldTickets = await rig.seedTickets(TICKETS);
    await deliver(oldTickets);
    await waitUntil(
      async () => {
        const phases = await Promise.all(
          oldTickets.map((t) =>
            rig.anyClient((c) => c.workflow.getHandle(workflowIdForTicket(t.id)).query(stateQuery)),
          ),
        );
        return phases.every((s) => s.phase === 'waiting');
      },
      60_000,
      500,
    );

    // Version 2 deployed next to version 1 (against node 2), not current until the operator says so.
    const env = rig.stack.serviceEnvironment('worker', 1, vars);
    const config = loadConfig({ ...env, TEMPORAL_WORKER_SET_CURRENT: 'never' }, [
      'temporal',
      'gorgias',
      'policy',
    ]);
    v2Connection = await NativeConnection.connect({ address: config.temporal.TEMPORAL_ADDRESS });
    const v2Bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../integration/support/ticket-workflow-v2'),
      logger: QUIET_BUNDLER,
    });
    const client = rig.clients[1]!;
    v2 = await createVersionedWorker({
      connection: v2Connection,
      client,
      config,
      policy: policyFromConfig(config.policy),
      workflowBundle: v2Bundle,
    });
    v2Running = v2.worker.run();
    await expect(v2.promotion).resolves.toEqual({
      outcome: 'not-current',
      current: v1BuildId,
      rule: 'never',
    });
    const v2BuildId = v2.version!.buildId;
    const promotedAt = Date.now();
    const { stdout } = await temporalCli(
      'worker',
      'deployment',
      'set-current-version',
      '--deployment-name',
      deploymentName,
      '--build-id',
      v2BuildId,
      '--yes',
    );
    say(`[versioning] temporal worker deployment set-current-version: ${stdout.trim().split('\n').at(-1)}`);
    const after = await rig.anyClient((c) => describeDeployment(c, deploymentName));
    expect(after.currentBuildId).toBe(v2BuildId);
    expect(after.versions.find((v) => v.buildId === v1BuildId)?.status).toBe('DRAINING');

    const newTickets = await rig.seedTickets(TICKETS);
    await deliver(newTickets);
    const results = await rig.results(
      [...oldTickets, ...newTickets].map((t) => t.id),
      180_000,
    );
    const doneAt = Date.now();
    for (const [id, result] of results) expect(result).toMatchObject({ outcome: 'replied', ticketId: id });

    const tags = async (id: number) => (await rig.gorgias.getTicket(id)).tags.map((t) => t.name);
    const failedTasks = async (id: number) =>
      ((await client.workflow.getHandle(workflowIdForTicket(id)).fetchHistory()).events ?? []).filter(
        (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
      ).length;
    for (const t of oldTickets) {
      expect(await versioningOf(client, t.id)).toMatchObject({ status: 'COMPLETED', buildId: v1BuildId });
      expect(await tags(t.id)).not.toContain('autoreply-v2');
      expect(await failedTasks(t.id)).toBe(0);
    }
    for (const t of newTickets) {
      expect(await versioningOf(client, t.id)).toMatchObject({ status: 'COMPLETED', buildId: v2BuildId });
      expect(await tags(t.id)).toContain('autoreply-v2');
      expect(await failedTasks(t.id)).toBe(0);
    }

    // What the server's drainage check counts (it looks every 3 minutes by default): no open ticket pinned to
    // version 1, in PostgreSQL visibility. Then its workers go. (The recipients' workflows auto-upgrade: one idle on
    // version 1 moves to version 2 at its next task.)
    const onV1 = (status: string) =>
      rig.count(
        `TemporalWorkerDeploymentVersion = "${versionSearchValue({ deploymentName, buildId: v1BuildId })}" ` +
          `AND WorkflowType = "ticketWorkflow" AND ExecutionStatus = "${status}"`,
      );
    await waitUntil(
      async () => (await onV1('Running')) === 0 && (await onV1('Completed')) === TICKETS,
      30_000,
      500,
    );
    await Promise.all(rig.workers.map((w) => w.stop('SIGTERM', 30_000)));
    const describeVersion = await temporalCli(
      'worker',
      'deployment',
      'describe-version',
      '--deployment-name',
      deploymentName,
      '--build-id',
      v1BuildId,
    );
    say(
      `[versioning] version 1 after its tickets finished: ${describeVersion.stdout.match(/DrainageStatus\s+\S+/)?.[0] ?? 'no drainage status yet'}`,
    );

    // Version 2 alone carries the load.
    const lastTickets = await rig.seedTickets(5);
    await deliver(lastTickets);
    const last = await rig.results(
      lastTickets.map((t) => t.id),
      120_000,
    );
    for (const t of lastTickets) {
      expect(last.get(t.id)).toMatchObject({ outcome: 'replied' });
      expect(await versioningOf(client, t.id)).toMatchObject({ buildId: v2BuildId });
    }
    say(
      `[versioning] ${TICKETS} tickets waiting ${DELAY_SECONDS} s on version 1 when version 2 became current: all ` +
        `replied on version 1; ${TICKETS} new tickets replied on version 2 (tagged by its change); ` +
        `${((doneAt - promotedAt) / 1000).toFixed(1)} s from set-current-version to the last reply; ` +
        `0 failed workflow tasks; version 1's workers stopped, ${lastTickets.length} more tickets replied on version 2`,
    );
  });
});
