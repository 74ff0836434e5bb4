import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import {
  builtCliDir,
  defaultCacheDir,
  describeCli,
  downloadedCliDir,
  downloadTemporalCli,
  ensureTemporalCli,
  findTemporalCli,
  type LocatedCli,
} from '../../src/tools/dev/temporal-cli';

function fakeCli(dir: string, name = 'temporal'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('finding the Temporal CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'cli-locate-'));
  const explicit = fakeCli(join(root, 'explicit'));
  const onPath = fakeCli(join(root, 'bin'));
  const cacheDir = join(root, 'cache');
  const built = fakeCli(builtCliDir(cacheDir));

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

  it('then the binary an earlier run built into the cache outside the repo', () => {
    expect(findTemporalCli({ searchPath: '/nonexistent', cacheDir })).toEqual({
      path: built,
      source: 'cache',
    });
  });

  it("or the one an earlier run downloaded through the SDK (never the download's unfinished file)", () => {
    const other = join(root, 'download-only');
    fakeCli(downloadedCliDir(other), 'temporal-sdk-typescript-1.24.0.downloading');
    expect(findTemporalCli({ searchPath: '', cacheDir: other })).toBeNull();
    const downloaded = fakeCli(downloadedCliDir(other), 'temporal-sdk-typescript-1.24.0');
    expect(findTemporalCli({ searchPath: '', cacheDir: other })).toEqual({
      path: downloaded,
      source: 'cache',
    });
  });

  it('finds nothing (so the caller downloads or builds) when none exists', () => {
    expect(findTemporalCli({ searchPath: '', cacheDir: join(root, 'empty') })).toBeNull();
  });

  it('says clearly when an explicit path is wrong', () => {
    expect(() => findTemporalCli({ explicitPath: join(root, 'missing') })).toThrow(
      /TEMPORAL_CLI_PATH points to .*missing/,
    );
  });

  it('keeps its cache under XDG_CACHE_HOME, outside the repository', () => {
    const cache = defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' });
    expect(cache).toBe('/var/cache/me/gorgias-autoreply');
    expect(builtCliDir(cache)).toBe('/var/cache/me/gorgias-autoreply/temporal-cli-v1.5.1');
  });
});

describe('getting a Temporal CLI that is not there yet', () => {
  const root = mkdtempSync(join(tmpdir(), 'cli-acquire-'));
  const nothingHere = { searchPath: '', cacheDir: join(root, 'empty'), log: () => undefined };
  const downloaded: LocatedCli = { path: '/cache/temporal-sdk-typescript-1.24.0', source: 'downloaded' };
  const built: LocatedCli = { path: '/cache/temporal-cli-v1.5.1/temporal', source: 'built' };

  it('tries the SDK download (seconds) before the Go build (minutes)', async () => {
    const tried: string[] = [];
    const cli = await ensureTemporalCli(nothingHere, {
      download: async () => (tried.push('download'), downloaded),
      build: async () => (tried.push('build'), built),
    });
    expect(cli).toEqual(downloaded);
    expect(tried).toEqual(['download']);
  });

  it('builds with Go only when the download fails', async () => {
    const tried: string[] = [];
    const cli = await ensureTemporalCli(nothingHere, {
      download: async () => (tried.push('download'), null),
      build: async () => (tried.push('build'), built),
    });
    expect(cli).toEqual(built);
    expect(tried).toEqual(['download', 'build']);
  });

  it('tries neither when a CLI is already there', async () => {
    const cacheDir = join(root, 'cached');
    const cached = fakeCli(builtCliDir(cacheDir));
    const fail = async (): Promise<LocatedCli | null> => {
      throw new Error('not expected');
    };
    await expect(
      ensureTemporalCli({ searchPath: '', cacheDir }, { download: fail, build: fail }),
    ).resolves.toEqual({ path: cached, source: 'cache' });
  });

  it('says what to do when neither works', async () => {
    const none = async () => null;
    await expect(ensureTemporalCli(nothingHere, { download: none, build: none })).rejects.toThrow(
      /TEMPORAL_CLI_PATH/,
    );
  });

  it('gives up on a download that fails, at once', async () => {
    const lines: string[] = [];
    // On Jest's clock, which never moves here: had it waited for the no-progress watchdog, it would never end.
    jest.useFakeTimers();
    try {
      const cli = await downloadTemporalCli({
        cacheDir: join(root, 'offline'),
        log: (line) => lines.push(line),
        startServer: async () => {
          throw new Error('failed to download ephemeral server executable: error sending request');
        },
      });
      expect(cli).toBeNull();
      expect(jest.getTimerCount()).toBe(0); // the watchdog is stopped too
    } finally {
      jest.useRealTimers();
    }
    expect(lines.at(-1)).toMatch(/download failed after .* error sending request/);
  });

  it('gives up on a download that makes no progress', async () => {
    const cli = await downloadTemporalCli({
      cacheDir: join(root, 'stalled'),
      log: () => undefined,
      stallMs: 300,
      startServer: () => new Promise(() => undefined),
    });
    expect(cli).toBeNull();
  });

  it('keeps the binary the SDK downloaded, and stops the server it started from it', async () => {
    let stopped = false;
    const cacheDir = join(root, 'online');
    const cli = await downloadTemporalCli({
      cacheDir,
      log: () => undefined,
      startServer: async (dir) => {
        fakeCli(dir, 'temporal-sdk-typescript-1.24.0');
        return { teardown: async () => void (stopped = true) };
      },
    });
    expect(cli).toEqual({
      path: join(downloadedCliDir(cacheDir), 'temporal-sdk-typescript-1.24.0'),
      source: 'downloaded',
    });
    expect(stopped).toBe(true);
  });

  it('says in its log line where the CLI came from', () => {
    expect(describeCli(downloaded)).toMatch(
      /temporal-sdk-typescript-1\.24\.0 \(downloaded through the Temporal SDK\)/,
    );
    expect(describeCli(built)).toMatch(/built from source with Go/);
  });
});
