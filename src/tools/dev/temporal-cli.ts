import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';

/**
 * Finds the Temporal CLI (it contains the dev server and the Web UI) for `npm start`, the tests and the
 * benchmark. A caller given a server address (TEMPORAL_ADDRESS; the tests' TEST_TEMPORAL_ADDRESS) starts no
 * server and needs none. Otherwise, in this order: an explicit path (TEMPORAL_CLI_PATH), a `temporal` on PATH,
 * a binary cached outside the repository by an earlier run, the Temporal SDK's download (seconds; fails at
 * once offline), and last a build from source with Go (minutes, once) into that cache.
 */

/** v1.5.1 is the last CLI tag `go install` accepts (later tags carry a replace directive). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const CLI_MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export type CliSource = 'explicit-path' | 'path' | 'cache' | 'downloaded' | 'built';
export interface LocatedCli {
  path: string;
  source: CliSource;
}

export interface LocateOptions {
  /** TEMPORAL_CLI_PATH */
  explicitPath?: string;
  /** PATH, to look for an installed `temporal` */
  searchPath?: string;
  /** Where downloaded and built CLIs are kept (default: defaultCacheDir()). */
  cacheDir?: string;
  log?: (line: string) => void;
}

/** `$XDG_CACHE_HOME/gorgias-autoreply` (default `~/.cache/gorgias-autoreply`): outside the repository. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'gorgias-autoreply');
}

/** Where the Go build puts the CLI. */
export function builtCliDir(cacheDir: string): string {
  return join(cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

/** Where the SDK's download lands (the SDK names the file after its own version). */
export function downloadedCliDir(cacheDir: string): string {
  return join(cacheDir, 'temporal-sdk-download');
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The CLI the SDK downloaded into `dir`, if any (a download in progress ends in `.downloading`). */
function downloadedCli(dir: string): string | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const found = names
    .filter((name) => name.startsWith('temporal') && !name.endsWith('.downloading'))
    .map((name) => join(dir, name))
    .filter(isExecutable)
    .sort();
  return found.at(-1) ?? null;
}

/** Finds a CLI without downloading or building anything. */
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
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const built = join(builtCliDir(cacheDir), 'temporal');
  if (isExecutable(built)) return { path: built, source: 'cache' };
  const downloaded = downloadedCli(downloadedCliDir(cacheDir));
  if (downloaded) return { path: downloaded, source: 'cache' };
  return null;
}

/** What the SDK gives back from starting a dev server: enough to stop it again. */
interface StartedServer {
  teardown(): Promise<void>;
}

export interface DownloadOptions extends LocateOptions {
  /** Give up when the download shows no progress (no new bytes in the download directory) for this long. */
  stallMs?: number;
  /** Starts a dev server from a CLI downloaded into `dir` (tests pass a stand-in). */
  startServer?: (dir: string) => Promise<StartedServer>;
}

/** The SDK downloads its CLI only as part of starting a dev server: start one (in memory, headless). */
function startDownloadedServer(dir: string): Promise<StartedServer> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download', downloadDir: dir },
      log: { format: 'pretty', level: 'error' },
    },
  });
}

/** The newest modification time of anything in `dir` (the download's temporary file grows as bytes arrive). */
function lastChange(dir: string): number {
  try {
    return Math.max(0, ...readdirSync(dir).map((name) => statSync(join(dir, name)).mtimeMs));
  } catch {
    return 0;
  }
}

/** Resolves with `starting`, or rejects once `dir` has not changed for `stallMs`. */
function whileProgressing<T>(starting: Promise<T>, dir: string, stallMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let progressAt = Date.now();
    let seen = lastChange(dir);
    const timer = setInterval(
      () => {
        const changed = lastChange(dir);
        if (changed !== seen) {
          seen = changed;
          progressAt = Date.now();
        } else if (Date.now() - progressAt > stallMs) {
          clearInterval(timer);
          reject(new Error(`no progress for ${Math.round(stallMs / 1000)} s`));
        }
      },
      Math.min(250, stallMs),
    );
    starting.then(
      (value) => {
        clearInterval(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearInterval(timer);
        reject(err);
      },
    );
  });
}

/**
 * The CLI through the Temporal SDK's own download, kept in the cache: a dev server is started from it and
 * stopped at once. Resolves to null when the download fails (offline it fails within milliseconds) or makes
 * no progress for `stallMs` (default 10 s).
 */
export async function downloadTemporalCli(options: DownloadOptions = {}): Promise<LocatedCli | null> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = downloadedCliDir(options.cacheDir ?? defaultCacheDir());
  mkdirSync(dir, { recursive: true });
  log(`Downloading the Temporal CLI through the Temporal SDK into ${dir}...`);
  const started = Date.now();
  const starting = (options.startServer ?? startDownloadedServer)(dir);
  let failure: unknown = null;
  try {
    const server = await whileProgressing(starting, dir, options.stallMs ?? 10_000);
    await server.teardown();
  } catch (err) {
    failure = err;
    // Given up on while still going: stop the server should it start after all.
    starting.then((server) => server.teardown()).catch(() => undefined);
  }
  const path = downloadedCli(dir);
  const ms = Date.now() - started;
  const took = ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
  if (path) {
    log(`Temporal CLI downloaded in ${took}.`);
    return { path, source: 'downloaded' };
  }
  const reason = failure instanceof Error ? failure.message : String(failure);
  log(`The Temporal SDK's download failed after ${took}: ${reason.split('\n')[0]}`);
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
  const buildDir = builtCliDir(options.cacheDir ?? defaultCacheDir());
  mkdirSync(buildDir, { recursive: true });
  log(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from source into ${buildDir} (first time only; takes minutes)...`,
  );
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('go', ['install', '-v', CLI_MODULE], {
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: buildDir },
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
  return { path: join(buildDir, 'temporal'), source: 'built' };
}

/** The ways to get a CLI that is not on this machine yet, in the order they are tried. */
export interface CliAcquisition {
  download: (options: LocateOptions) => Promise<LocatedCli | null>;
  build: (options: LocateOptions) => Promise<LocatedCli | null>;
}

/** Finds the CLI, else downloads it, else builds it; throws when none of these works. */
export async function ensureTemporalCli(
  options: LocateOptions = {},
  acquire: CliAcquisition = { download: downloadTemporalCli, build: buildTemporalCli },
): Promise<LocatedCli> {
  const cli = findTemporalCli(options) ?? (await acquire.download(options)) ?? (await acquire.build(options));
  if (!cli) {
    throw new Error(
      'No Temporal CLI: none on PATH or in the cache, the Temporal SDK could not download one, and there is ' +
        'no Go >= 1.25 to build one. Set TEMPORAL_CLI_PATH to a `temporal` binary, or point the service at a ' +
        'running server (TEMPORAL_ADDRESS; for the tests, TEST_TEMPORAL_ADDRESS).',
    );
  }
  return cli;
}

const SOURCES: Record<CliSource, string> = {
  'explicit-path': 'TEMPORAL_CLI_PATH',
  path: 'found on PATH',
  cache: 'cached by an earlier run',
  downloaded: 'downloaded through the Temporal SDK',
  built: 'built from source with Go',
};

/** One log line saying which CLI is used and how it was found. */
export function describeCli(cli: LocatedCli): string {
  return `Using the Temporal CLI at ${cli.path} (${SOURCES[cli.source]})`;
}
