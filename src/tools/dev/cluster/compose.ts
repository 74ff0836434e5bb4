import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * docker-compose.yml as the local production stack reads it: the environment, command and volumes of a
 * service, interpolated the way `docker compose` does (`${VAR:-default}`, `${VAR:?message}`, anchors and
 * merge keys), from variables given explicitly (never the process environment, so a developer's shell
 * cannot make this stack differ from compose). test/cluster/compose-values.test.ts checks the result against
 * compose-go, the loader `docker compose` itself uses.
 */

/** The repository: the nearest folder above this file with docker-compose.yml (src/, dist/ or dist-bench/ below). */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'docker-compose.yml')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no docker-compose.yml in any folder above ${from}`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');

export interface ComposeVolume {
  /** Absolute path on this machine (a bind mount) or the name of a named volume. */
  source: string;
  target: string;
  readOnly: boolean;
  bind: boolean;
}

export interface ComposeServiceValues {
  name: string;
  image: string | null;
  /** Variables as the container sees them: entries passed through unset are absent. */
  environment: Record<string, string>;
  entrypoint: string[] | null;
  command: string[] | null;
  volumes: ComposeVolume[];
}

interface RawService {
  image?: string;
  environment?: Record<string, unknown> | string[];
  entrypoint?: string | string[];
  command?: string | string[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean })[];
}

export class ComposeFile {
  private constructor(
    private readonly services: Record<string, RawService>,
    private readonly dir: string,
  ) {}

  static load(file = COMPOSE_FILE): ComposeFile {
    const doc = parse(readFileSync(file, 'utf8'), { merge: true }) as {
      services?: Record<string, RawService>;
    };
    if (!doc?.services) throw new Error(`${file} has no services`);
    return new ComposeFile(doc.services, dirname(resolve(file)));
  }

  serviceNames(): string[] {
    return Object.keys(this.services);
  }

  /** One service's values, interpolated with `vars` (the .env a user would write). */
  service(name: string, vars: Record<string, string>): ComposeServiceValues {
    const raw = this.services[name];
    if (!raw) throw new Error(`docker-compose.yml has no service "${name}"`);
    const where = `service ${name}`;
    const environment: Record<string, string> = {};
    const entries: [string, unknown][] = Array.isArray(raw.environment)
      ? raw.environment.map((item) => {
          const at = item.indexOf('=');
          return at < 0 ? [item, null] : [item.slice(0, at), item.slice(at + 1)];
        })
      : Object.entries(raw.environment ?? {});
    for (const [key, value] of entries) {
      if (value === null || value === undefined) {
        // `KEY:` with no value: passed through from the environment compose runs in, when set there.
        if (vars[key] !== undefined) environment[key] = vars[key];
      } else {
        environment[key] = interpolate(String(value), vars, `${where}, ${key}`);
      }
    }
    const list = (value: string | string[] | undefined, what: string) =>
      value === undefined
        ? null
        : (Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean)).map((part) =>
            interpolate(String(part), vars, `${where}, ${what}`),
          );
    return {
      name,
      image: raw.image ? interpolate(raw.image, vars, `${where}, image`) : null,
      environment,
      entrypoint: list(raw.entrypoint, 'entrypoint'),
      command: list(raw.command, 'command'),
      volumes: (raw.volumes ?? []).map((volume) => this.volume(volume, vars, where)),
    };
  }

  private volume(
    volume: NonNullable<RawService['volumes']>[number],
    vars: Record<string, string>,
    where: string,
  ) {
    let source: string;
    let target: string;
    let readOnly = false;
    if (typeof volume === 'string') {
      const parts = interpolate(volume, vars, `${where}, volumes`).split(':');
      source = parts[0] ?? '';
      target = parts[1] ?? '';
      readOnly = (parts[2] ?? '').split(',').includes('ro');
    } else {
      source = volume.source ?? '';
      target = volume.target ?? '';
      readOnly = volume.read_only ?? false;
    }
    const bind = source.startsWith('.') || isAbsolute(source);
    return { source: bind ? resolve(this.dir, source) : source, target, readOnly, bind };
  }
}

/**
 * Compose's interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
 * `${VAR?message}`, `${VAR:+alternative}`, `${VAR+alternative}`. Throws, as compose does, for a required
 * variable that is missing.
 */
export function interpolate(
  text: string,
  vars: Record<string, string>,
  where = 'docker-compose.yml',
): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = vars[name];
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      const inner = () => interpolate(arg ?? '', vars, where);
      switch (op) {
        case undefined:
          return value ?? '';
        case ':-':
          return nonEmpty ? (value as string) : inner();
        case '-':
          return set ? (value as string) : inner();
        case ':?':
        case '?':
          if (op === ':?' ? nonEmpty : set) return value as string;
          throw new Error(`${where}: required variable ${name} is missing a value: ${inner()}`);
        case ':+':
          return nonEmpty ? inner() : '';
        case '+':
          return set ? inner() : '';
        default:
          return match;
      }
    },
  );
}

/**
 * A path inside a container, as the same file on this machine: through the service's bind mounts, and through its
 * named volumes when `volumeFolder` gives each one a folder here (shared, as the volume is, by every process of
 * the service).
 */
export function hostPath(
  containerPath: string,
  volumes: readonly ComposeVolume[],
  volumeFolder?: (volume: string) => string,
): string {
  const mount = volumes
    .filter((v) => v.bind || volumeFolder)
    .filter((v) => containerPath === v.target || containerPath.startsWith(`${v.target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
  if (!mount) throw new Error(`${containerPath} is not inside a mount of the service`);
  const source = mount.bind ? mount.source : (volumeFolder as (volume: string) => string)(mount.source);
  return join(source, containerPath.slice(mount.target.length));
}

/** The variables of our compose file that hold a host name or a bind address (host, or host:port). */
export const ADDRESS_VARIABLES = [
  'POSTGRES_SEEDS',
  'TEMPORAL_ADDRESS',
  'BIND_ON_IP',
  'PROMETHEUS_ENDPOINT',
  'HOST',
];

/**
 * The environment of a compose service with its network names replaced by addresses on this machine, and
 * nothing else changed: in the ADDRESS_VARIABLES, `hosts` maps a compose host name (e.g. `postgres`) to an IP
 * and `bindIp` replaces a wildcard bind (0.0.0.0); paths inside the container's bind mounts become the
 * mounted files on this machine, and paths inside its named volumes files in `volumeFolder`'s folders.
 */
export function localEnvironment(
  service: ComposeServiceValues,
  hosts: Record<string, string>,
  bindIp?: string,
  volumeFolder?: (volume: string) => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.environment)) {
    let local = value;
    if (ADDRESS_VARIABLES.includes(key)) {
      const [, host, port] = /^([^:]+)(:\d+)?$/.exec(value) ?? [];
      if (host === '0.0.0.0' && bindIp) local = `${bindIp}${port ?? ''}`;
      else if (host !== undefined && hosts[host] !== undefined) local = `${hosts[host]}${port ?? ''}`;
      else if (!host || !/^[\d.]+$/.test(host))
        throw new Error(`service ${service.name}: no local address for ${key}=${value}`);
    } else if (value.startsWith('/')) {
      try {
        local = hostPath(value, service.volumes, volumeFolder);
      } catch {
        // Not in a mount (e.g. a path the image itself holds): left as it is.
      }
    }
    out[key] = local;
  }
  return out;
}

/** `temporalio/server:1.30.1` → `1.30.1`. */
export function imageTag(image: string | null): string {
  const tag = image?.split(':').at(-1);
  if (!image || !tag || tag === image) throw new Error(`image ${image ?? '(none)'} has no tag`);
  return tag;
}
