// What every jest config here shares: Node, and TypeScript compiled by SWC. SWC only strips the types (as
// `isolatedModules` allows); the type check is `tsc --noEmit` in `npm run lint`, once for the tree, not per file.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
};
