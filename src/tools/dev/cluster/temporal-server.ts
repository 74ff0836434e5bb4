import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir, isExecutable } from '../temporal-cli';
import { ComposeFile, imageTag } from './compose';

/**
 * The self-hosted Temporal server (`temporal-server`) and its SQL admin tool (`temporal-sql-tool`), built from
 * source at exactly the version docker-compose.yml pins (`temporalio/server:<version>`), kept in the cache
 * outside the repository like the CLI: `~/.cache/gorgias-autoreply/temporal-server-v<version>/{server,sql}`,
 * with the PostgreSQL schema the admin-tools image ships (`schema/postgresql/v12`) copied beside them.
 */

const SERVER_MODULE = 'go.temporal.io/server';
/** What the binaries were built with (the server's go.mod needs a recent Go; this fetches it if older). */
const GO_TOOLCHAIN = 'go1.26.10+auto';
const BUILD_TIMEOUT_MS = 30 * 60_000;

export interface TemporalServerBinaries {
  version: string;
  dir: string;
  /** `temporal-server` */
  server: string;
  /** `temporal-sql-tool` */
  sqlTool: string;
  /** The admin-tools image's /etc/temporal/schema/postgresql/v12. */
  schemaRoot: string;
  source: 'cache' | 'built';
}

/** The server version docker-compose.yml runs (`temporalio/server:1.30.1` → `v1.30.1`). */
export function composeServerVersion(compose = ComposeFile.load()): string {
  const server = imageTag(compose.service('temporal', { POSTGRES_PASSWORD: 'x' }).image);
  const tools = imageTag(compose.service('temporal-schema', { POSTGRES_PASSWORD: 'x' }).image);
  if (server !== tools) {
    throw new Error(
      `docker-compose.yml runs temporalio/server:${server} but temporalio/admin-tools:${tools}: pin both to one version`,
    );
  }
  return `v${server}`;
}

export function serverCacheDir(version: string, cacheDir = defaultCacheDir()): string {
  return join(cacheDir, `temporal-server-${version}`);
}

function located(version: string, dir: string, source: 'cache' | 'built'): TemporalServerBinaries {
  return {
    version,
    dir,
    server: join(dir, 'server'),
    sqlTool: join(dir, 'sql'),
    schemaRoot: join(dir, 'schema', 'postgresql', 'v12'),
    source,
  };
}

/** Where Go keeps the module's source (the schema and config templates live there). */
function moduleDir(version: string): string | null {
  const env = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8', timeout: 60_000 });
  if (env.status !== 0) return null;
  const dir = join(env.stdout.trim(), `${SERVER_MODULE}@${version}`);
  if (existsSync(dir)) return dir;
  // The module cache was cleaned after the build: fetch the source again (seconds).
  const download = spawnSync('go', ['mod', 'download', '-json', `${SERVER_MODULE}@${version}`], {
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN },
    timeout: 300_000,
  });
  if (download.status !== 0) return null;
  return (JSON.parse(download.stdout) as { Dir?: string }).Dir ?? null;
}

/** Copies the PostgreSQL schema next to the binaries, as the admin-tools image has it in /etc/temporal/schema. */
function ensureSchema(binaries: TemporalServerBinaries, log: (line: string) => void): void {
  if (existsSync(join(binaries.schemaRoot, 'temporal', 'versioned'))) return;
  const source = moduleDir(binaries.version);
  const from = source && join(source, 'schema', 'postgresql', 'v12');
  if (!from || !existsSync(from)) {
    throw new Error(
      `The PostgreSQL schema of Temporal ${binaries.version} is missing: neither in ${binaries.schemaRoot} nor ` +
        `in Go's module cache. Delete ${binaries.dir} to build the server again.`,
    );
  }
  log(`Copying the PostgreSQL schema of Temporal ${binaries.version} from ${from}`);
  cpSync(from, binaries.schemaRoot, { recursive: true });
}

/**
 * The server binaries at the compose file's version: from the cache, else built with `go install` (minutes,
 * once), printing Go's progress.
 */
export async function ensureTemporalServer(
  options: { version?: string; cacheDir?: string; log?: (line: string) => void } = {},
): Promise<TemporalServerBinaries> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const version = options.version ?? composeServerVersion();
  const dir = serverCacheDir(version, options.cacheDir);
  const cached = located(version, dir, 'cache');
  if (isExecutable(cached.server) && isExecutable(cached.sqlTool)) {
    ensureSchema(cached, log);
    return cached;
  }
  if (spawnSync('go', ['version']).status !== 0) {
    throw new Error(
      `No Temporal server ${version} in ${dir}, and no Go to build it. Install Go (>= 1.21; it fetches the ` +
        'toolchain the server needs), or put `server` and `sql` (temporal-sql-tool) of that version there.',
    );
  }
  mkdirSync(dir, { recursive: true });
  const packages = [`${SERVER_MODULE}/cmd/server@${version}`, `${SERVER_MODULE}/cmd/tools/sql@${version}`];
  log(`Building the Temporal server ${version} and temporal-sql-tool from source into ${dir}`);
  log(`(first time only; about 4 to 8 minutes on 2 cores): go install ${packages.join(' ')}`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', '-v', ...packages], {
      env: { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, CGO_ENABLED: '0', GOBIN: dir },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let compiled = 0;
    let tail = '';
    const ticker = setInterval(
      () => log(`  ...${compiled} packages compiled (${Math.round((Date.now() - started) / 1000)} s)`),
      30_000,
    );
    // Bounded, generously: a cold build with the toolchain download takes 4 to 8 minutes on 2 cores.
    const limit = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      for (const line of chunk.split('\n').filter(Boolean)) {
        compiled += 1;
        if (compiled % 200 === 0 || line.startsWith('go:')) {
          log(`  ...${compiled} packages compiled (${Math.round((Date.now() - started) / 1000)} s): ${line}`);
        }
      }
    });
    child.on('error', (err) => {
      clearInterval(ticker);
      clearTimeout(limit);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearInterval(ticker);
      clearTimeout(limit);
      if (code === 0) resolve();
      else reject(new Error(`go install of the Temporal server failed (${code ?? signal}):\n${tail}`));
    });
  });
  log(`Temporal server built in ${Math.round((Date.now() - started) / 1000)} s.`);
  const built = located(version, dir, 'built');
  ensureSchema(built, log);
  return built;
}
