import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SearchAttributeType } from '@temporalio/common';
import { loadConfig, namesGorgiasAccount, type SectionName } from '../../src/config';
import { loadPolicy } from '../../src/policy/load';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/definitions';
import {
  composeConfig,
  containerEnv,
  dockerfileRuntime,
  ensureComposeCheck,
  EXAMPLE_USER_ENV,
  REPO_ROOT,
  type ComposeProject,
  type ComposeService,
} from '../support/compose-check';

/**
 * docker-compose.yml, loaded and validated by compose-go (what `docker compose` runs on it), checked against
 * the app's own configuration schema and the search attributes the workflow sets.
 */

const USER_ENV = EXAMPLE_USER_ENV;
const REQUIRED_VARIABLES = Object.keys(USER_ENV);

const STACK_SERVICES = [
  'postgres',
  'temporal-schema',
  'temporal',
  'temporal-setup',
  'temporal-ui',
  'worker',
  'webhook',
];

/**
 * The config sections an entry point validates at start-up, read from its source, so this test follows the
 * entry points as they change (e.g. `loadConfig(readEnvironment(), ['temporal', 'webhook', 'logging'])`): every
 * `loadConfig(…, [...])` call, optional sections included (compose gives the webhook server the Gorgias account).
 */
function sectionsLoadedBy(entry: 'server' | 'worker'): SectionName[] {
  const source = readFileSync(join(REPO_ROOT, 'src', entry, 'main.ts'), 'utf8');
  const calls = [...source.matchAll(/loadConfig\(\s*[\w()]+\s*,\s*\[([^\]]*)\]/g)];
  if (calls.length === 0)
    throw new Error(`src/${entry}/main.ts: cannot find its loadConfig(env, [...]) call`);
  return calls.flatMap((call) => [...(call[1] ?? '').matchAll(/'(\w+)'/g)].map((m) => m[1] as SectionName));
}

let binary: string;

beforeAll(async () => {
  binary = await ensureComposeCheck((line) => process.stderr.write(`[compose-check] ${line}\n`));
}, 600_000);

function loadProject(env: Record<string, string> = USER_ENV, profiles: string[] = []): ComposeProject {
  const result = composeConfig(binary, { env, profiles });
  if (!result.ok) throw new Error(`docker-compose.yml is invalid:\n${result.error}`);
  return result.project;
}

function service(project: ComposeProject, name: string): ComposeService {
  const found = project.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

describe('docker-compose.yml', () => {
  test('is a valid Compose file that defines every service of the stack', () => {
    const project = loadProject();
    expect(project.name).toBe('gorgias-autoreply');
    expect(Object.keys(project.services).sort()).toEqual([...STACK_SERVICES].sort());

    const withSandbox = loadProject(USER_ENV, ['sandbox']);
    expect(Object.keys(withSandbox.services).sort()).toEqual([...STACK_SERVICES, 'gorgias-sandbox'].sort());
    expect(service(withSandbox, 'gorgias-sandbox').profiles).toEqual(['sandbox']);
  });

  test('the validator rejects an inconsistent file (it really validates)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
    try {
      const file = join(dir, 'docker-compose.yml');
      const original = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
      const broken = original.replace(
        'temporal-schema:\n        condition: service_completed_successfully',
        'no-such-service:\n        condition: service_completed_successfully',
      );
      expect(broken).not.toBe(original);
      writeFileSync(file, broken);
      const result = composeConfig(binary, { file, env: USER_ENV });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toMatch(/no-such-service/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('images are pinned; worker, webhook and sandbox run this repository’s image with their own command', () => {
    const project = loadProject(USER_ENV, ['sandbox']);
    // Every image but our own (built from this repository) has a version tag.
    for (const [name, s] of Object.entries(project.services).filter(([, s]) => !s.build)) {
      expect({ name, image: s.image }).toEqual({
        name,
        image: expect.stringMatching(/^[\w./-]+:\d[\w.-]*$/),
      });
    }
    const commands = {
      worker: 'dist/worker/main.js',
      webhook: 'dist/server/main.js',
      'gorgias-sandbox': 'dist/tools/sandbox/main.js',
    };
    for (const [name, entry] of Object.entries(commands)) {
      const s = service(project, name);
      expect(s.build).toEqual({ context: REPO_ROOT, dockerfile: 'Dockerfile' });
      expect(s.command).toEqual(['node', entry]);
      expect(existsSync(join(REPO_ROOT, 'src', entry.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(
        true,
      );
    }
    expect(service(project, 'postgres').image).toMatch(/^postgres:16\./);
    expect(service(project, 'temporal').image).toMatch(/^temporalio\/server:/);
    expect(service(project, 'temporal-schema').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service(project, 'temporal-setup').image).toMatch(/^temporalio\/admin-tools:/);
    expect(service(project, 'temporal-ui').image).toMatch(/^temporalio\/ui:/);
  });

  test('the webhook service’s environment passes the validation its entry point runs', () => {
    const sections = sectionsLoadedBy('server');
    expect(sections).toEqual(expect.arrayContaining(['temporal', 'webhook', 'logging', 'gorgias', 'policy']));
    const project = loadProject();
    const env = containerEnv(service(project, 'webhook'));
    const config = loadConfig(env, ['temporal', 'webhook', 'logging']);
    expect(() => loadConfig(env, sections)).not.toThrow();
    expect(config.temporal.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(config.webhook.WEBHOOK_SECRET).toBe(USER_ENV.WEBHOOK_SECRET);
    expect(config.webhook.HOST).toBe('0.0.0.0');
    expect(config.logging.LOG_PRETTY).toBe(false);
    // The Gorgias account, for /readyz's account check; the same as the worker's.
    expect(namesGorgiasAccount(env)).toBe(true);
    const worker = containerEnv(service(project, 'worker'));
    for (const variable of ['GORGIAS_BASE_URL', 'GORGIAS_USERNAME', 'GORGIAS_API_KEY']) {
      expect(env[variable]).toBe(worker[variable]);
    }
    expect(service(project, 'webhook').volumes).toEqual(
      service(project, 'worker').volumes?.filter((v) => v.target === '/app/policy'),
    );
    // The port the app listens on is the one published, and the one the healthcheck asks.
    const webhook = service(project, 'webhook');
    expect(webhook.ports?.map((p) => p.target)).toEqual([config.webhook.PORT]);
    expect(webhook.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${config.webhook.PORT}/healthz`);
    // Trace links point at the Web UI as published.
    const ui = service(project, 'temporal-ui');
    const published = ui.ports?.find((p) => p.target === 8080)?.published;
    expect(config.temporal.TEMPORAL_UI_URL).toBe(`http://localhost:${published}`);
  });

  test('the worker service’s environment passes the validation its entry point runs', () => {
    const sections = sectionsLoadedBy('worker');
    expect(sections).toEqual(expect.arrayContaining(['temporal', 'gorgias', 'logging']));
    const project = loadProject();
    const worker = service(project, 'worker');
    const env = containerEnv(worker);
    expect(() => loadConfig(env, sections)).not.toThrow();
    const config = loadConfig(env, ['temporal', 'gorgias', 'logging']);
    expect(config.temporal.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(config.gorgias).toMatchObject({
      GORGIAS_BASE_URL: USER_ENV.GORGIAS_BASE_URL,
      GORGIAS_USERNAME: USER_ENV.GORGIAS_USERNAME,
      GORGIAS_API_KEY: USER_ENV.GORGIAS_API_KEY,
      GORGIAS_RATE_LIMIT_BURST: 40,
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: 20,
      GORGIAS_WORKERS_SHARING_ACCOUNT: 1,
    });
    expect(config.gorgias.GORGIAS_SENDER_USER_ID).toBeUndefined();
    // Metrics where the healthcheck and Prometheus look for them.
    expect(env.METRICS_PORT).toBe('9464');
    expect(worker.expose).toContain('9464');
    expect(worker.healthcheck?.test.join(' ')).toContain('127.0.0.1:9464/metrics');
  });

  test('the worker reads the reply policy from ./policy, mounted read-only where the image keeps it', () => {
    const worker = service(loadProject(), 'worker');
    const mount = worker.volumes?.find((v) => v.target === '/app/policy');
    expect(mount).toMatchObject({ type: 'bind', source: join(REPO_ROOT, 'policy'), read_only: true });
    expect(() => loadPolicy(join(mount?.source ?? '', 'default.yaml'))).not.toThrow();
    expect(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')).toMatch(/^COPY policy \.\/policy$/m);
  });

  test('an old .env with GORGIAS_RATE_LIMIT_PER_SECOND still paces the worker as it did', () => {
    const env = containerEnv(
      service(loadProject({ ...USER_ENV, GORGIAS_RATE_LIMIT_PER_SECOND: '4' }), 'worker'),
    );
    expect(loadConfig(env, ['gorgias']).gorgias.GORGIAS_RATE_LIMIT_WINDOW_SECONDS).toBe(10);
  });

  test('the Web UI and the Temporal frontend listen on the host only, and the UI is read-only, by default', () => {
    const project = loadProject(USER_ENV, ['sandbox']);
    const ui = service(project, 'temporal-ui');
    expect(ui.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    // Every published port is bound to the loopback interface, but the webhook's, which Gorgias must reach.
    for (const [name, s] of Object.entries(project.services)) {
      for (const port of s.ports ?? []) {
        expect({ name, target: port.target, host_ip: port.host_ip }).toEqual({
          name,
          target: port.target,
          host_ip: name === 'webhook' ? undefined : '127.0.0.1',
        });
      }
    }
    expect(service(project, 'temporal').ports?.map((p) => p.target)).toEqual([7233]);
    expect(service(project, 'postgres').ports ?? []).toEqual([]);
    expect(service(project, 'worker').ports ?? []).toEqual([]);

    // An operator opts in to both, e.g. behind a reverse proxy with authentication.
    const opened = service(
      loadProject({
        ...USER_ENV,
        TEMPORAL_UI_BIND_ADDRESS: '0.0.0.0',
        TEMPORAL_UI_DISABLE_WRITE_ACTIONS: 'false',
      }),
      'temporal-ui',
    );
    expect(opened.ports?.find((p) => p.target === 8080)).toMatchObject({
      host_ip: '0.0.0.0',
      published: '8080',
    });
    expect(opened.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('false');
  });

  test('optional settings reach the worker only when the user sets them, and still validate', () => {
    const project = loadProject({
      ...USER_ENV,
      GORGIAS_SENDER_USER_ID: '42',
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: '10',
      GORGIAS_WORKERS_SHARING_ACCOUNT: '3',
      POLICY_FILE: '/app/policy/default.yaml',
      DRY_RUN: 'true',
      TEMPORAL_NAMESPACE: 'support',
      WORKER_MAX_CACHED_WORKFLOWS: '250',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
    });
    const worker = service(project, 'worker');
    const env = containerEnv(worker);
    expect(() => loadConfig(env, sectionsLoadedBy('worker'))).not.toThrow();
    const config = loadConfig(env, ['temporal', 'gorgias']);
    expect(config.gorgias.GORGIAS_SENDER_USER_ID).toBe(42);
    expect(config.gorgias).toMatchObject({
      GORGIAS_RATE_LIMIT_WINDOW_SECONDS: 10,
      GORGIAS_WORKERS_SHARING_ACCOUNT: 3,
    });
    expect(loadConfig(env, ['worker']).worker).toMatchObject({
      WORKER_MAX_CACHED_WORKFLOWS: 250,
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 20,
    });
    expect(env.POLICY_FILE).toBe('/app/policy/default.yaml');
    expect(loadConfig(env, ['policy']).policy.DRY_RUN).toBe(true);
    // One namespace for the worker, the webhook, the setup job and the UI.
    for (const name of ['worker', 'webhook', 'temporal-setup']) {
      expect(service(project, name).environment?.TEMPORAL_NAMESPACE).toBe('support');
    }
    expect(service(project, 'temporal-ui').environment?.TEMPORAL_DEFAULT_NAMESPACE).toBe('support');
    expect(service(project, 'webhook').environment?.TEMPORAL_TASK_QUEUE).toBe(
      service(project, 'worker').environment?.TEMPORAL_TASK_QUEUE,
    );
  });

  test.each(REQUIRED_VARIABLES)('refuses to load without %s, naming it', (variable) => {
    const env: Record<string, string> = { ...USER_ENV };
    delete env[variable];
    const result = composeConfig(binary, { env });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain(`required variable ${variable} is missing a value: set ${variable}`);
      // The message never shows a secret's value.
      for (const secret of ['POSTGRES_PASSWORD', 'WEBHOOK_SECRET', 'GORGIAS_API_KEY'] as const) {
        expect(result.error).not.toContain(USER_ENV[secret]);
      }
    }
  });

  test('.env.example documents every required variable and leaves the secrets to fill in', () => {
    const example = join(REPO_ROOT, '.env.example');
    const text = readFileSync(example, 'utf8');
    for (const variable of REQUIRED_VARIABLES) expect(text).toMatch(new RegExp(`^${variable}=`, 'm'));
    const unfilled = composeConfig(binary, { envFiles: [example] });
    expect(unfilled.ok).toBe(false);
    if (!unfilled.ok) {
      for (const variable of ['POSTGRES_PASSWORD', 'WEBHOOK_SECRET', 'GORGIAS_USERNAME', 'GORGIAS_API_KEY']) {
        expect(unfilled.error).toContain(`required variable ${variable} is missing a value`);
      }
    }
    // Filled in (the environment wins over the file, as with docker compose), it validates.
    const filled = composeConfig(binary, { envFiles: [example], env: USER_ENV });
    expect(filled.ok).toBe(true);
  });

  test('start-up is gated by healthchecks and one-shot jobs', () => {
    const project = loadProject(USER_ENV, ['sandbox']);
    const healthcheck = (name: string) => service(project, name).healthcheck?.test.join(' ') ?? '';
    expect(healthcheck('postgres')).toContain('pg_isready');
    expect(healthcheck('temporal')).toContain('7233');
    expect(healthcheck('webhook')).toContain('/healthz');
    expect(healthcheck('worker')).toContain('/metrics');
    expect(healthcheck('gorgias-sandbox')).toContain('/_sandbox/health');

    const dependsOn = (name: string) =>
      Object.fromEntries(
        Object.entries(service(project, name).depends_on ?? {}).map(([dep, d]) => [dep, d.condition]),
      );
    expect(dependsOn('temporal-schema')).toEqual({ postgres: 'service_healthy' });
    expect(dependsOn('temporal')).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependsOn('temporal-setup')).toEqual({ temporal: 'service_healthy' });
    expect(dependsOn('temporal-ui')).toMatchObject({ temporal: 'service_healthy' });
    for (const app of ['worker', 'webhook']) {
      expect(dependsOn(app)).toMatchObject({
        temporal: 'service_healthy',
        'temporal-setup': 'service_completed_successfully',
      });
    }
    // With the sandbox profile the worker waits for it; without it the dependency is dropped.
    expect(service(project, 'worker').depends_on?.['gorgias-sandbox']).toEqual({
      condition: 'service_healthy',
      required: false,
    });
  });

  test('Temporal’s database lives in a named volume; the Temporal server runs on PostgreSQL', () => {
    const project = loadProject();
    const postgres = service(project, 'postgres');
    const data = postgres.volumes?.find((v) => v.target === '/var/lib/postgresql/data');
    expect(data?.type).toBe('volume');
    expect(Object.keys(project.volumes ?? {})).toContain(data?.source);

    const temporal = service(project, 'temporal');
    expect(temporal.environment).toMatchObject({
      DB: 'postgres12',
      DB_PORT: '5432',
      POSTGRES_SEEDS: 'postgres',
      POSTGRES_USER: postgres.environment?.POSTGRES_USER,
      POSTGRES_PWD: USER_ENV.POSTGRES_PASSWORD,
      BIND_ON_IP: '0.0.0.0',
    });
  });

  test('the setup jobs and the dynamic config they mount exist in the repository', () => {
    const project = loadProject();
    for (const name of ['temporal-schema', 'temporal-setup']) {
      const job = service(project, name);
      const mount = job.volumes?.find((v) => v.type === 'bind');
      const script = job.command?.[0] ?? '';
      expect(mount && script.startsWith(`${mount.target}/`)).toBe(true);
      expect(existsSync(join(mount?.source ?? '', script.slice((mount?.target.length ?? 0) + 1)))).toBe(true);
      expect(job.restart).toMatch(/^on-failure/);
    }
    const temporal = service(project, 'temporal');
    const configFile = temporal.environment?.DYNAMIC_CONFIG_FILE_PATH ?? '';
    const mount = temporal.volumes?.find((v) => configFile.startsWith(`${v.target}/`));
    expect(mount?.read_only).toBe(true);
    expect(existsSync(join(mount?.source ?? '', basename(configFile)))).toBe(true);
  });

  test('the setup job registers exactly the search attributes the workflow sets', () => {
    const setup = service(loadProject(), 'temporal-setup');
    const registered = (setup.environment?.SEARCH_ATTRIBUTES ?? '').split(/\s+/).filter(Boolean).sort();
    expect(registered).toEqual(SEARCH_ATTRIBUTES.map((key) => `${key.name}=${cliTypeName(key.type)}`).sort());
  });
});

describe('the kill switch under compose', () => {
  const runtime = () => dockerfileRuntime(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));

  test('every named volume on our image is mounted on a folder the image creates for the user it runs as', () => {
    const { user, ownedFolders } = runtime();
    expect(user).toBe('node');
    const project = loadProject(USER_ENV, ['sandbox']);
    const mounts = Object.entries(project.services)
      .filter(([, s]) => s.build)
      .flatMap(([name, s]) =>
        (s.volumes ?? []).filter((v) => v.type === 'volume').map((v) => ({ name, ...v })),
      );
    expect(mounts.map((m) => m.source)).toContain('worker-control');
    // Docker fills an empty named volume from the image's folder, owner included; a folder the image lacks is
    // created owned by root, and the worker (and `docker compose exec`) cannot write there.
    for (const mount of mounts) {
      expect({ volume: mount.source, at: mount.target, owner: ownedFolders.get(mount.target) }).toEqual({
        volume: mount.source,
        at: mount.target,
        owner: user,
      });
    }
  });

  test('KILL_SWITCH_FILE is in the worker-control volume, and the documented commands name it', () => {
    const project = loadProject();
    const worker = service(project, 'worker');
    const file = containerEnv(worker).KILL_SWITCH_FILE ?? '';
    const mount = worker.volumes?.find((v) => v.target === dirname(file));
    expect(mount).toMatchObject({ type: 'volume', source: 'worker-control' });
    expect(Object.keys(project.volumes ?? {})).toContain('worker-control');
    for (const doc of ['docker-compose.yml', join('docs', 'production.md')]) {
      const text = readFileSync(join(REPO_ROOT, doc), 'utf8');
      expect({ doc, touch: text.includes(`docker compose exec worker touch ${file}`) }).toEqual({
        doc,
        touch: true,
      });
    }
  });
});

describe('Dockerfile', () => {
  test('builds on Debian (glibc for the worker), runs as the node user and starts the webhook server', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    const stages = dockerfile.split('\n').filter((line) => line.startsWith('FROM '));
    expect(stages.length).toBeGreaterThan(1);
    for (const from of stages) expect(from).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile.trim().split('\n').at(-1)).toBe('CMD ["node", "dist/server/main.js"]');
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', '.data', 'test-artifacts', '.git', '.env']) {
      expect(ignored).toContain(entry);
    }
  });
});

/** The type names `temporal operator search-attribute create --type` takes. */
function cliTypeName(type: SearchAttributeType): string {
  const names: Record<SearchAttributeType, string> = {
    [SearchAttributeType.TEXT]: 'Text',
    [SearchAttributeType.KEYWORD]: 'Keyword',
    [SearchAttributeType.INT]: 'Int',
    [SearchAttributeType.DOUBLE]: 'Double',
    [SearchAttributeType.BOOL]: 'Bool',
    [SearchAttributeType.DATETIME]: 'Datetime',
    [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
  };
  return names[type];
}
