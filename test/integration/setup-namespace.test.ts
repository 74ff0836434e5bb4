import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/definitions';
import {
  composeConfig,
  containerEnv,
  ensureComposeCheck,
  EXAMPLE_USER_ENV,
  REPO_ROOT,
} from '../support/compose-check';
import { temporalAddress } from '../support/temporal';

/**
 * The compose stack's one-shot setup job (deploy/temporal/setup-namespace.sh), run with the environment
 * docker-compose.yml gives it against the run's real dev server, with the Temporal CLI the tests found.
 * The rest of docker-compose.yml is checked without a server: test/unit/compose.test.ts.
 */

let connection: Connection;
let setupEnv: Record<string, string>;

beforeAll(async () => {
  connection = await Connection.connect({ address: temporalAddress() });
  const binary = await ensureComposeCheck((line) => process.stderr.write(`[compose-check] ${line}\n`));
  const result = composeConfig(binary, {
    env: EXAMPLE_USER_ENV,
    profiles: [],
  });
  if (!result.ok) throw new Error(`docker-compose.yml is invalid:\n${result.error}`);
  const setup = result.project.services['temporal-setup'];
  if (!setup) throw new Error('docker-compose.yml has no service "temporal-setup"');
  setupEnv = containerEnv(setup);
}, 600_000);

afterAll(() => connection?.close());

describe('deploy/temporal/setup-namespace.sh', () => {
  test('creates the namespace and registers the search attributes on a real server, and can run again', async () => {
    const cli = process.env.TEMPORAL_CLI_PATH ?? '';
    const namespace = `compose-setup-${Date.now()}`;
    const scriptEnv = {
      ...setupEnv,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_NAMESPACE: namespace,
      // Fail within the test's time, with the script's output, rather than retry for two minutes.
      SETUP_ATTEMPTS: '15',
      HOME: process.env.HOME ?? tmpdir(),
      PATH: [dirname(cli), process.env.PATH].join(delimiter),
    };
    const script = join(REPO_ROOT, 'deploy', 'temporal', 'setup-namespace.sh');
    const first = await runScript(script, scriptEnv);
    expect(first).toMatchObject({ code: 0 });
    const second = await runScript(script, scriptEnv);
    expect(second).toMatchObject({ code: 0 });
    expect(second.output).toContain(`namespace ${namespace} already exists`);

    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    for (const key of SEARCH_ATTRIBUTES) {
      expect(listed.customAttributes[key.name]).toBeDefined();
    }
    const described = await connection.workflowService.describeNamespace({ namespace });
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(7 * 24 * 3600);
  }, 90_000);
});

function runScript(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}
