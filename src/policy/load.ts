import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { PolicyConfig } from '../config';
import { policySchema, type Policy } from './schema';

/** The documented default policy shipped with the service. */
export const DEFAULT_POLICY_FILE = join(__dirname, '..', '..', 'policy', 'default.yaml');

export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid policy file ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicyError';
  }
}

/** Validates a policy given as data; problems name the key (e.g. `loop_guard.cooldown_minutes`). */
export function parsePolicy(data: unknown, file = '(inline policy)'): Policy {
  const parsed = policySchema.safeParse(data ?? {});
  if (parsed.success) return parsed.data;
  throw new PolicyError(
    file,
    parsed.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(top level)';
      const unknown = issue.code === 'unrecognized_keys' ? `: ${issue.keys.join(', ')}` : '';
      return `${key}: ${issue.message}${unknown}`;
    }),
  );
}

/** The policy a process runs: the file (or the default), with DRY_RUN forcing a dry run everywhere. */
export function policyFromConfig(config: PolicyConfig): Policy {
  const policy = loadPolicy(config.POLICY_FILE);
  return config.DRY_RUN ? forcedDryRun(policy) : policy;
}

/** Every channel of the top level and of every store section runs dry, whatever the file says. */
export function forcedDryRun(policy: Policy): Policy {
  const dry = <C extends { dry_run?: boolean }>(channels: Record<string, C>) =>
    Object.fromEntries(Object.entries(channels).map(([name, c]) => [name, { ...c, dry_run: true }]));
  const stores = Object.fromEntries(
    Object.entries(policy.stores).map(([key, store]) => [
      key,
      { ...store, dry_run: true, ...(store.channels ? { channels: dry(store.channels) } : {}) },
    ]),
  );
  return { ...policy, dry_run: true, channels: dry(policy.channels), stores };
}

/** Reads and validates a policy file (YAML, or JSON by its .json extension). */
export function loadPolicy(file: string = DEFAULT_POLICY_FILE): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let data: unknown;
  try {
    data = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new PolicyError(file, [
      `not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    ]);
  }
  return parsePolicy(data, file);
}
