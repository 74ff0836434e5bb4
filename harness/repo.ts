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

/**
 * JavaScript for a `node -e` child started in REPO_ROOT: binds `name` to the exports of the TypeScript module at
 * `path` (relative to the root), transpiled as it is, so the child runs the source without a build.
 */
export function sourceModuleInChild(path: string, name: string): string {
  return `const ${name} = (() => {
    const ts = require('typescript');
    const source = require('fs').readFileSync(${JSON.stringify(path)}, 'utf8');
    const options = { module: ts.ModuleKind.CommonJS, esModuleInterop: true };
    const m = { exports: {} };
    const js = ts.transpileModule(source, { compilerOptions: options }).outputText;
    new Function('module', 'exports', 'require', js)(m, m.exports, require);
    return m.exports;
  })();`;
}
