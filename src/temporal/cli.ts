import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Finds the Temporal CLI (it contains the dev server and the Web UI), in this order:
 * an explicit path (TEMPORAL_CLI_PATH), a `temporal` on PATH, a binary cached outside the repo by an earlier
 * run, else a build from source with Go into that cache. Without Go, callers fall back to the SDK's download.
 */

/** v1.5.1 is the last CLI tag `go install` accepts (later tags carry a replace directive). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const CLI_MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export type CliSource = 'explicit-path' | 'path' | 'cache' | 'built';
export interface LocatedCli {
  path: string;
  source: CliSource;
}

export interface LocateOptions {
  /** TEMPORAL_CLI_PATH */
  explicitPath?: string;
  /** PATH, to look for an installed `temporal` */
  searchPath?: string;
  cacheDir?: string;
  log?: (line: string) => void;
}

export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'gorgias-autoreply', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds a CLI without building anything. */
export function findTemporalCli(options: LocateOptions = {}): LocatedCli | null {
  if (options.explicitPath) {
    if (!isExecutable(options.explicitPath)) {
      throw new Error(`TEMPORAL_CLI_PATH points to ${options.explicitPath}, which is not an executable file`);
    }
    return { path: options.explicitPath, source: 'explicit-path' };
  }
  for (const dir of (options.searchPath ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'temporal');
    if (isExecutable(candidate)) return { path: candidate, source: 'path' };
  }
  const cached = join(options.cacheDir ?? defaultCacheDir(), 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  return null;
}

/** The Go toolchain's version as [major, minor], or null when there is no `go`. */
export function goVersion(): [number, number] | null {
  const result = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  const match = /go(\d+)\.(\d+)/.exec(result.stdout);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/**
 * Builds the CLI with `go install` into the cache, printing each package as Go compiles it (the first
 * build takes minutes). Resolves to null when Go is missing or too old; rejects when the build fails.
 */
export async function buildTemporalCli(options: LocateOptions = {}): Promise<LocatedCli | null> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const version = goVersion();
  if (!version) return null;
  const [major, minor] = version;
  if (major === 1 && minor < 25) {
    log(`Go ${major}.${minor} is too old to build the Temporal CLI (needs >= 1.25); skipping the build.`);
    return null;
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  mkdirSync(cacheDir, { recursive: true });
  log(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from source into ${cacheDir} (first time only; takes minutes)...`,
  );
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', '-v', CLI_MODULE], {
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: cacheDir },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let built = 0;
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      for (const line of chunk.split('\n').filter(Boolean)) {
        built += 1;
        if (built % 100 === 0 || line.startsWith('go:')) {
          log(`  ...${built} packages compiled (${Math.round((Date.now() - started) / 1000)}s): ${line}`);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`go install ${CLI_MODULE} exited with code ${code}:\n${tail}`));
    });
  });
  log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)}s.`);
  return { path: join(cacheDir, 'temporal'), source: 'built' };
}

/** Finds the CLI, building it if needed; null means: use the SDK's own download. */
export async function ensureTemporalCli(options: LocateOptions = {}): Promise<LocatedCli | null> {
  return findTemporalCli(options) ?? (await buildTemporalCli(options));
}
