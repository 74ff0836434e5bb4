import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isExecutable } from '../temporal-cli';

/**
 * A PostgreSQL server of its own for the local production stack: its own data directory, listening on one
 * loopback address only (and its socket in the data directory), so it never meets the machine's main
 * cluster. Uses the PostgreSQL installed on the machine (Debian: `apt-get install postgresql`). As root, it
 * runs as the `postgres` user, as PostgreSQL requires.
 */

export interface PostgresOptions {
  /** PGDATA; created (initdb) on first start. Its parent must be reachable by the `postgres` user. */
  dataDir: string;
  host: string;
  port: number;
  /** The superuser, its password and a first database: what the postgres image's POSTGRES_* variables set. */
  user: string;
  password: string;
  database: string;
  log?: (line: string) => void;
}

/** The directory with initdb and pg_ctl: PG_BIN, Debian's newest /usr/lib/postgresql/<n>/bin, or PATH. */
export function findPostgresBin(env: Record<string, string | undefined> = process.env): string {
  const candidates: string[] = [];
  if (env.PG_BIN) candidates.push(env.PG_BIN);
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // Not a Debian-style installation.
  }
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
  candidates.push(...(env.PATH ?? '').split(':').filter(Boolean));
  const found = candidates.find(
    (dir) => isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'pg_ctl')),
  );
  if (!found) {
    throw new Error(
      'No PostgreSQL server found (initdb and pg_ctl). Install it, e.g. on Debian or Ubuntu: ' +
        '`apt-get install postgresql` (as root), or set PG_BIN to the directory holding initdb and pg_ctl.',
    );
  }
  return found;
}

/** As root: the uid and gid of `postgres` (initdb refuses to run as root). Otherwise: null, run as we are. */
function postgresIdentity(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      'Running as root, but there is no `postgres` user to run PostgreSQL as (apt-get install postgresql creates it)',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export class LocalPostgres {
  readonly bin: string;
  private readonly identity = postgresIdentity();
  private readonly log: (line: string) => void;

  constructor(readonly options: PostgresOptions) {
    this.bin = findPostgresBin();
    this.log = options.log ?? (() => undefined);
  }

  /** e.g. `postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)`. */
  version(): string {
    const result = spawnSync(join(this.bin, 'postgres'), ['--version'], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : 'unknown';
  }

  get logFile(): string {
    return join(this.options.dataDir, 'server.log');
  }

  /** The postmaster's pid while it runs (from postmaster.pid), else null. */
  pid(): number | null {
    try {
      const pid = Number(readFileSync(join(this.options.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  /** Creates the cluster if it does not exist yet, then starts it. Idempotent. */
  async start(): Promise<void> {
    const { dataDir, user, password, database } = this.options;
    const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
    if (fresh) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const pwfile = join(dataDir, '..', `.pgpass-init-${process.pid}`);
      writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
      this.own(dataDir);
      this.own(pwfile);
      if (
        this.identity &&
        spawnSync('test', ['-w', dataDir, '-a', '-r', pwfile], this.identity).status !== 0
      ) {
        spawnSync('rm', ['-f', pwfile]);
        throw new Error(
          `The postgres user cannot reach ${dataDir}: make the folders above it traversable (chmod o+x) or choose another folder`,
        );
      }
      this.log(`initdb ${dataDir} (superuser ${user})`);
      try {
        await this.run('initdb', [
          ...['-D', dataDir, '-U', user, `--pwfile=${pwfile}`],
          ...['--auth-local=scram-sha-256', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C'],
        ]);
      } finally {
        spawnSync('rm', ['-f', pwfile]);
      }
    }
    if (this.pid() === null) await this.pgCtlStart();
    if (fresh) {
      // What the postgres image does with POSTGRES_DB on its first start.
      this.log(`createdb ${database}`);
      await this.run('createdb', [...this.connectArgs(), database], { PGPASSWORD: password });
    }
  }

  /** Runs one SQL statement with psql in `database`; resolves with its unaligned, tuples-only output. */
  query(database: string, sql: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        join(this.bin, 'psql'),
        [...this.connectArgs(), '-d', database, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
        {
          env: { PATH: process.env.PATH ?? '', PGPASSWORD: this.options.password },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out.trim());
        else reject(new Error(`psql failed (${code}): ${err}`));
      });
    });
  }

  private connectArgs(): string[] {
    return ['-h', this.options.host, '-p', String(this.options.port), '-U', this.options.user];
  }

  private pgCtlStart(): Promise<void> {
    const { dataDir, host, port } = this.options;
    const settings = [
      `listen_addresses='${host}'`,
      `port=${port}`,
      // The socket in the data directory, away from the main cluster's /var/run/postgresql.
      `unix_socket_directories='${dataDir}'`,
    ];
    return this.run('pg_ctl', [
      ...['-D', dataDir, '-l', this.logFile, '-w', '-t', '60'],
      ...['-o', settings.map((s) => `-c ${s}`).join(' '), 'start'],
    ]);
  }

  /** Starts a stopped server again (same data directory and address). */
  async restart(): Promise<void> {
    if (this.pid() === null) await this.pgCtlStart();
  }

  /** `fast`: disconnects clients and shuts down cleanly; `immediate`: like a crash (recovery on next start). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (this.pid() === null) return;
    await this.run('pg_ctl', ['-D', this.options.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** For an exit handler: stops the server without waiting for the event loop. */
  stopNow(): void {
    if (this.pid() === null) return;
    spawnSync(
      join(this.bin, 'pg_ctl'),
      ['-D', this.options.dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop'],
      {
        stdio: 'ignore',
        ...this.identity,
      },
    );
  }

  private own(path: string): void {
    if (this.identity) chownSync(path, this.identity.uid, this.identity.gid);
  }

  private run(
    tool: string,
    args: string[],
    env: Record<string, string> = {},
    timeoutMs = 90_000,
  ): Promise<void> {
    const options: SpawnOptions = {
      env: { PATH: process.env.PATH ?? '', LANG: 'C', ...env },
      // pg_ctl forks the server: give it no pipes to hold open.
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
      ...this.identity,
    };
    return new Promise<void>((resolve, reject) => {
      const child = spawn(join(this.bin, tool), args, options);
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
      child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) return resolve();
        let serverLog = '';
        try {
          serverLog = readFileSync(this.logFile, 'utf8').slice(-2000);
        } catch {
          // No log yet.
        }
        reject(new Error(`${tool} ${args.join(' ')} failed (${code ?? signal}):\n${output}\n${serverLog}`));
      });
    });
  }
}
