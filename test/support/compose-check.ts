import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isExecutable } from '../../src/tools/dev/temporal-cli';

/**
 * tools/compose-check: a small Go program around compose-go, the library `docker compose` itself uses to
 * load, interpolate, normalize and validate Compose files. No Docker engine or compose plugin is needed.
 * Built once with Go into the cache outside the repo (like the Temporal CLI), one binary per version of its
 * sources, so an edit to the tool rebuilds it.
 */

export const REPO_ROOT = join(__dirname, '..', '..');

/** What a user puts in .env next to docker-compose.yml: dummy values, none of them real. */
export const EXAMPLE_USER_ENV = {
  POSTGRES_PASSWORD: 'compose-test-postgres-password',
  WEBHOOK_SECRET: 'compose-test-webhook-secret-0123456789',
  GORGIAS_BASE_URL: 'https://acme.gorgias.com',
  GORGIAS_USERNAME: 'autoreply@acme.example.com',
  GORGIAS_API_KEY: 'compose-test-gorgias-api-key',
};
const TOOL_DIR = join(REPO_ROOT, 'tools', 'compose-check');
const TOOL_SOURCES = ['go.mod', 'go.sum', 'main.go'];

export function composeCheckPath(env: Record<string, string | undefined> = process.env): string {
  const hash = createHash('sha256');
  for (const file of TOOL_SOURCES) hash.update(readFileSync(join(TOOL_DIR, file)));
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'gorgias-autoreply', `compose-check-${hash.digest('hex').slice(0, 12)}`, 'compose-check');
}

/** The compose-check binary, built with `go build` the first time (a minute or so, with the downloads). */
export async function ensureComposeCheck(log: (line: string) => void = () => undefined): Promise<string> {
  const binary = composeCheckPath();
  if (isExecutable(binary)) return binary;
  if (spawnSync('go', ['version']).status !== 0) {
    throw new Error(
      'Go is needed to build tools/compose-check (the Compose file validator); none is on PATH',
    );
  }
  const dir = join(binary, '..');
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  log(`Building tools/compose-check into ${dir} (first time only)...`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['build', '-trimpath', '-o', partial, '.'], {
      cwd: TOOL_DIR,
      env: { ...process.env, CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`go build of tools/compose-check failed (${code}):\n${stderr}`)),
    );
  });
  renameSync(partial, binary);
  return binary;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | null;
  entrypoint?: string[] | null;
  profiles?: string[];
  environment?: Record<string, string | null>;
  ports?: { target: number; published?: string; host_ip?: string }[];
  expose?: string[];
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  healthcheck?: { test: string[]; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string; required: boolean }>;
  restart?: string;
}

export interface ComposeProject {
  name: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, { name: string }>;
}

export type ComposeCheck =
  { ok: true; project: ComposeProject; stderr: string } | { ok: false; error: string };

/**
 * Loads a Compose file as `docker compose config` would, with exactly the given variables (no process
 * environment, no implicit .env), and returns the normalized project or the loader's error.
 */
export function composeConfig(
  binary: string,
  options: { file?: string; env?: Record<string, string>; envFiles?: string[]; profiles?: string[] } = {},
): ComposeCheck {
  const args = [
    ...(options.envFiles ?? []).flatMap((f) => ['--env-file', f]),
    ...(options.profiles ?? []).flatMap((p) => ['--profile', p]),
    options.file ?? join(REPO_ROOT, 'docker-compose.yml'),
  ];
  const result = spawnSync(binary, args, {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) return { ok: false, error: result.stderr };
  return { ok: true, project: JSON.parse(result.stdout) as ComposeProject, stderr: result.stderr };
}

/** A service's environment as the container would see it: variables passed through unset are absent. */
export function containerEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

/**
 * What the image's last stage leaves for run time, read from the Dockerfile (no Docker engine here): the user the
 * container runs as, and the folders that stage's RUN steps create and give to a user (`mkdir -p <folder>` and
 * `chown <user>[:<group>] <folder>`, run as root), folder → owner. An empty named volume mounted on a folder of
 * the image takes that folder's owner; on a folder the image lacks, Docker creates it owned by root.
 */
export function dockerfileRuntime(dockerfile: string): { user: string; ownedFolders: Map<string, string> } {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const lastStage = instructions.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  let user = 'root';
  const created = new Set<string>();
  const ownedFolders = new Map<string, string>();
  for (const line of instructions.slice(lastStage + 1)) {
    const [, keyword = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'USER') user = rest.split(':')[0] ?? rest;
    if (keyword.toUpperCase() !== 'RUN' || user !== 'root') continue;
    for (const command of rest.split(/&&|;/).map((c) => c.trim().split(/\s+/))) {
      const [program, ...args] = command;
      const operands = args.filter((a) => !a.startsWith('-'));
      if (program === 'mkdir') operands.forEach((folder) => created.add(folder));
      if (program === 'chown' && operands.length > 1) {
        const owner = (operands[0] ?? '').split(':')[0] ?? '';
        for (const folder of operands.slice(1)) if (created.has(folder)) ownedFolders.set(folder, owner);
      }
    }
  }
  return { user, ownedFolders };
}
