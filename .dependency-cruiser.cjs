/**
 * No import cycle anywhere, type-only imports included (ESLint's import-x/no-cycle skips those).
 * The layering itself is checked by ESLint (eslint.config.js); `npm run lint` runs both.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other, even for types only: put the shared types in one module both import.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Everything the repository holds, but what is downloaded or generated at run time.
    exclude: { path: '^(node_modules|dist|\\.cache|\\.local|coverage|test-artifacts|dashboards/generated)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
}
