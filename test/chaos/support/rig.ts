import { basename } from 'node:path';
import { afterAll, beforeAll, expect } from '@jest/globals';
import { testPolicyWith } from '../../../harness/policy';
import { ServiceProcesses } from '../../../harness/service-processes';
import { GORGIAS_API_KEY, GORGIAS_USERNAME, RecordedSandbox } from '../../../harness/recorded-sandbox';
import { ChaosTemporal } from './temporal-server';

export const WEBHOOK_SECRET = 'chaos-webhook-secret-8d3f0b6a41e2';

/** Every string that must never show up in output, answers or histories. */
export const SECRETS = [
  WEBHOOK_SECRET,
  GORGIAS_API_KEY,
  // What the Basic auth header carries.
  Buffer.from(`${GORGIAS_USERNAME}:${GORGIAS_API_KEY}`).toString('base64'),
];

export interface ChaosRig {
  temporal: ChaosTemporal;
  sandbox: RecordedSandbox;
  service: ServiceProcesses;
}

/** The scenario's name, from its file: it names the namespace, the task queue and the customers. */
const scenarioName = () => basename(expect.getState().testPath ?? 'chaos', '.test.ts');

/**
 * The service as processes (the built worker and webhook server) on a task queue of their own, working on a
 * recorded sandbox. The policy is the shipped one, except that Gorgias is asked whether it sent a reply after
 * 1 s instead of 5 s: the sandbox sends at once, and no scenario is about that wait. Workers reach Temporal at
 * `workerAddress` when given (a proxy in front of it, say).
 */
export function chaosService(
  temporal: ChaosTemporal,
  sandbox: RecordedSandbox,
  workerAddress?: string,
): Promise<ServiceProcesses> {
  return ServiceProcesses.create({
    name: `chaos-${scenarioName()}`,
    temporal: workerAddress
      ? { address: temporal.address, client: temporal.client, workerAddress }
      : temporal,
    gorgias: sandbox.account(),
    webhookSecret: WEBHOOK_SECRET,
    policy: testPolicyWith(),
    env: { LOG_LEVEL: 'info' },
    workerEnv: {
      GORGIAS_HTTP_TIMEOUT_MS: '2000',
      // 40 calls per 40 ms: 1000 a second, far above any sandbox limit (the rate-limit scenario sets its own).
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '0.04',
    },
    // Deliveries Temporal cannot take are answered 503 after 2 s.
    serverEnv: { WEBHOOK_TEMPORAL_TIMEOUT_MS: '2000' },
  });
}

/**
 * A scenario's Temporal (a namespace of its own on the run's dev server; with `ownServer`, a dev server of its
 * own that it may stop), the recorded sandbox and the service harness, torn down after the file.
 */
export function useChaosRig(options: { ownServer?: boolean } = {}): ChaosRig {
  const rig = {} as ChaosRig;
  beforeAll(async () => {
    const name = scenarioName();
    rig.temporal = options.ownServer
      ? await ChaosTemporal.ownServer(name)
      : await ChaosTemporal.onRunServer(name);
    rig.sandbox = await RecordedSandbox.start();
    rig.service = await chaosService(rig.temporal, rig.sandbox);
  }, 120_000);
  afterAll(async () => {
    await rig.service?.stopAll();
    await rig.sandbox?.close();
    await rig.temporal?.close();
  });
  return rig;
}
