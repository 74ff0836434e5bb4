import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_POLICY_FILE, parsePolicy } from '../../src/policy/load';
import type { Policy } from '../../src/policy/schema';

/**
 * The shipped default policy, with some top-level keys replaced. Tests look whether Gorgias sent a reply after
 * 1 s instead of 5 s (the sandbox sends within a fraction of a second), unless `timing` says otherwise.
 */
export function policyWith(overrides: Record<string, unknown> = {}): Policy {
  const defaults = parseYaml(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as Record<string, unknown>;
  const timing = {
    ...(defaults.timing as object),
    confirm_first_check_seconds: 1,
    ...(overrides.timing as object),
  };
  return parsePolicy({ ...defaults, ...overrides, timing });
}
