import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { defaultCacheDir, findTemporalCli } from '../src/temporal/cli';

function fakeCli(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'temporal');
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('finding the Temporal CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'cli-locate-'));
  const explicit = fakeCli(join(root, 'explicit'));
  const onPath = fakeCli(join(root, 'bin'));
  const cacheDir = join(root, 'cache');
  const cached = fakeCli(cacheDir);

  it('prefers an explicit TEMPORAL_CLI_PATH', () => {
    expect(findTemporalCli({ explicitPath: explicit, searchPath: join(root, 'bin'), cacheDir })).toEqual({
      path: explicit,
      source: 'explicit-path',
    });
  });

  it('then a temporal on PATH', () => {
    expect(findTemporalCli({ searchPath: `/nonexistent:${join(root, 'bin')}`, cacheDir })).toEqual({
      path: onPath,
      source: 'path',
    });
  });

  it('then the binary an earlier run cached outside the repo', () => {
    expect(findTemporalCli({ searchPath: '/nonexistent', cacheDir })).toEqual({
      path: cached,
      source: 'cache',
    });
  });

  it('finds nothing (so the caller builds or downloads) when none exists', () => {
    expect(findTemporalCli({ searchPath: '', cacheDir: join(root, 'empty') })).toBeNull();
  });

  it('says clearly when an explicit path is wrong', () => {
    expect(() => findTemporalCli({ explicitPath: join(root, 'missing') })).toThrow(
      /TEMPORAL_CLI_PATH points to .*missing/,
    );
  });

  it('keeps its cache under XDG_CACHE_HOME, outside the repository', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe(
      '/var/cache/me/gorgias-autoreply/temporal-cli-v1.5.1',
    );
  });
});
