import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Every Node built-in by its bare name (`fs`, `url`, `events`, `timers`, `assert`, ...); `node:*` is a pattern.
const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('node:'));

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'dist-bench/',
      'node_modules/',
      'coverage/',
      '.data/',
      'test-artifacts/',
      '*.js',
      '*.mjs',
      'tools/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O libraries, and activities
    // only as types (the proxies are typed from createActivities; no activity code is bundled).
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'Workflows must be deterministic: no Node built-ins.',
            })),
            ...['axios', 'express', 'pino', 'prom-client', '@temporalio/activity', '@temporalio/worker'].map(
              (name) => ({ name, message: 'Side effects belong in activities.' }),
            ),
          ],
          patterns: [
            { group: ['node:*'], message: 'Workflows must be deterministic: no Node built-ins.' },
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message:
                'Import activities as types only (`import type`): no activity code in the workflow bundle.',
            },
          ],
        },
      ],
    },
  },
);
