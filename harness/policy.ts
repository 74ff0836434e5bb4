import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parsePolicy } from '../src/policy/load';
import type { Policy } from '../src/policy/schema';
import { REPO_ROOT } from './repo';

type PolicyKeys = Record<string, unknown>;

/**
 * The shipped default policy (policy/default.yaml) with some keys replaced: a top-level key replaces the
 * shipped one, except that `timing`, `catch_up` and `orders` keep the shipped values of the keys they do not name.
 */
export function shippedPolicyWith(overrides: PolicyKeys = {}): PolicyKeys {
  const shipped = parseYaml(readFileSync(join(REPO_ROOT, 'policy', 'default.yaml'), 'utf8')) as PolicyKeys;
  const merged: PolicyKeys = { ...shipped, ...overrides };
  for (const key of ['timing', 'catch_up', 'orders']) {
    merged[key] = { ...(shipped[key] as object), ...(overrides[key] as object) };
  }
  return merged;
}

/**
 * The policy the tests run: the shipped default with some keys replaced, and Gorgias asked whether it sent a
 * reply after 1 s instead of 5 s (the sandbox sends within a fraction of a second), unless `timing` says otherwise.
 */
export function testPolicyWith(overrides: PolicyKeys = {}): PolicyKeys {
  const timing = { confirm_first_check_seconds: 1, ...(overrides.timing as object) };
  return shippedPolicyWith({ ...overrides, timing });
}

/**
 * The policy of the in-process tests, parsed as a worker loads it. Order-aware replies are off unless `orders`
 * turns them on: the sample ticket asks where its order is, and would otherwise take an order branch (and its
 * template) by the parity of its customer's id. (The chaos suite and the bench run them as shipped.)
 */
export function policyWith(overrides: PolicyKeys = {}): Policy {
  const orders = { enabled: false, ...(overrides.orders as object) };
  return parsePolicy(testPolicyWith({ ...overrides, orders }));
}

/** A policy as a file in `dir`, for service processes (POLICY_FILE); returns its path. */
export function writePolicyFile(dir: string, keys: PolicyKeys): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify(keys));
  return file;
}
