import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository: the nearest folder above this file with the project's package.json. Found, not assumed,
 * so the same code works from test/ (jest) and compiled into dist-bench/ (the bench).
 */
export const REPO_ROOT = ((): string => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'gorgias-autoreply') {
      return dir;
    }
  }
  throw new Error(`No gorgias-autoreply package.json above ${__dirname}`);
})();
