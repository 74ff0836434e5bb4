import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ComposeFile, interpolate, REPO_ROOT } from '../../src/tools/dev/cluster/compose';
import { ProductionStack } from '../../src/tools/dev/cluster/stack';
import { composeServerVersion } from '../../src/tools/dev/cluster/temporal-server';
import { composeConfig, containerEnv, ensureComposeCheck } from '../support/compose-check';

/**
 * The local production stack reads docker-compose.yml itself; here its reading is checked against compose-go
 * (what `docker compose` runs), and the stack's processes against the containers' environments: only network
 * addresses and mounted paths may differ.
 */

const USER_ENV = {
  POSTGRES_PASSWORD: 'cluster-test-postgres-password',
  WEBHOOK_SECRET: 'cluster-test-webhook-secret-0123456789',
  GORGIAS_BASE_URL: 'http://127.0.0.1:4010',
  GORGIAS_USERNAME: 'autoreply@example.com',
  GORGIAS_API_KEY: 'cluster-test-api-key',
};
const OVERRIDES = {
  ...USER_ENV,
  TEMPORAL_NAMESPACE: 'support',
  GORGIAS_WORKERS_SHARING_ACCOUNT: '2',
  GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '0.04',
  NAMESPACE_RETENTION: '72h',
};

let binary: string;
beforeAll(async () => {
  binary = await ensureComposeCheck((line) => process.stderr.write(`[compose-check] ${line}\n`));
}, 600_000);

describe('the stack reads docker-compose.yml as docker compose does', () => {
  for (const [label, env] of [
    ['with the defaults', USER_ENV],
    ['with .env overrides', OVERRIDES],
  ] as const) {
    it(`every service's environment, command and mounts, ${label}`, () => {
      const loaded = composeConfig(binary, { env, profiles: ['sandbox'] });
      if (!loaded.ok) throw new Error(loaded.error);
      const ours = ComposeFile.load();
      expect(ours.serviceNames().sort()).toEqual(Object.keys(loaded.project.services).sort());
      for (const [name, service] of Object.entries(loaded.project.services)) {
        const mine = ours.service(name, env);
        expect({ name, env: mine.environment }).toEqual({ name, env: containerEnv(service) });
        expect({ name, entrypoint: mine.entrypoint }).toEqual({
          name,
          entrypoint: service.entrypoint ?? null,
        });
        expect({ name, command: mine.command }).toEqual({ name, command: service.command ?? null });
        const binds = (service.volumes ?? [])
          .filter((v) => v.type === 'bind')
          .map((v) => ({ source: v.source, target: v.target, readOnly: v.read_only ?? false }));
        expect({ name, binds }).toEqual({
          name,
          binds: mine.volumes
            .filter((v) => v.bind)
            .map(({ source, target, readOnly }) => ({ source, target, readOnly })),
        });
      }
    });
  }

  it('refuses to run without a required variable, as compose does', () => {
    expect(() => ComposeFile.load().service('temporal', {})).toThrow(/POSTGRES_PASSWORD/);
    expect(interpolate('${A:-x}-${B-y}-$$-${C:+z}', { B: '', C: 'c' })).toBe('x--$-z');
  });
});

describe('the processes of the stack get what compose gives the containers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gorgias-cluster-plan-'));
  const stack = ProductionStack.prepare({ dir, vars: USER_ENV });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('each Temporal node: the temporal container, with its own address', () => {
    const compose = ComposeFile.load().service('temporal', USER_ENV).environment;
    for (const node of stack.nodes) {
      const env = stack.nodeEnvironment(node.index);
      expect(Object.keys(env).sort()).toEqual(Object.keys(compose).sort());
      const changed = Object.keys(env).filter((key) => env[key] !== compose[key]);
      expect(changed.sort()).toEqual([
        'BIND_ON_IP',
        'DYNAMIC_CONFIG_FILE_PATH',
        'POSTGRES_SEEDS',
        'PROMETHEUS_ENDPOINT',
      ]);
      expect(env.BIND_ON_IP).toBe(node.ip);
      expect(env.PROMETHEUS_ENDPOINT).toBe(`${node.ip}:8000`);
      expect(env.POSTGRES_SEEDS).toBe('127.0.0.4');
      expect(env.DB).toBe('postgres12');
      // The mounted file itself, which compose mounts read-only into the container.
      expect(readFileSync(env.DYNAMIC_CONFIG_FILE_PATH as string, 'utf8')).toBe(
        readFileSync(
          join(REPO_ROOT, 'deploy', 'temporal', 'dynamicconfig', 'gorgias-autoreply.yaml'),
          'utf8',
        ),
      );
    }
    expect(stack.nodes.map((n) => n.address)).toEqual(['127.0.0.2:7233', '127.0.0.3:7233']);
  });

  it('the worker and webhook: their containers, pointed at one node each', () => {
    for (const name of ['worker', 'webhook'] as const) {
      const compose = ComposeFile.load().service(name, USER_ENV).environment;
      for (const node of stack.nodes) {
        const env = stack.serviceEnvironment(name, node.index, USER_ENV);
        const changed = Object.keys(env).filter((key) => env[key] !== compose[key]);
        expect(changed.sort()).toEqual(
          name === 'worker' ? ['KILL_SWITCH_FILE', 'TEMPORAL_ADDRESS'] : ['HOST', 'TEMPORAL_ADDRESS'],
        );
        expect(env.TEMPORAL_ADDRESS).toBe(node.address);
      }
    }
  });

  it("the workers' kill switch: compose's file in the worker-control volume, here one folder both workers share", () => {
    const compose = ComposeFile.load().service('worker', USER_ENV);
    const inContainer = compose.environment.KILL_SWITCH_FILE ?? '';
    expect(compose.volumes.find((v) => v.target === dirname(inContainer))).toMatchObject({
      source: 'worker-control',
      bind: false,
    });
    const files = stack.nodes.map(
      (node) => stack.serviceEnvironment('worker', node.index, USER_ENV).KILL_SWITCH_FILE,
    );
    expect(new Set(files).size).toBe(1);
    const file = files[0] ?? '';
    expect(file).toBe(join(stack.volumeFolder('worker-control'), basename(inContainer)));
    // The operator's `touch` works: the folder exists and the workers' user (this one) may write in it.
    expect(() => accessSync(dirname(file), constants.W_OK)).not.toThrow();
    writeFileSync(file, '');
    rmSync(file);
  });

  it('the server version is the one the compose file pins', () => {
    const image = ComposeFile.load().service('temporal', USER_ENV).image;
    expect(`temporalio/server:${composeServerVersion().slice(1)}`).toBe(image);
  });
});
