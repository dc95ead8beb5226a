import { readdirSync } from 'node:fs'
import js from '@eslint/js'
import { createNodeResolver, importX } from 'eslint-plugin-import-x'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/**
 * The floors of the platform and what each may import besides itself (README, "Architecture").
 * Anything else in the repository, including a folder added later, is out of bounds for a floor;
 * test/ and bench/ may import every floor.
 */
const floors = {
  models: [],
  core: ['models'],
  ingest: ['models', 'core'],
  broker: ['models', 'core', 'ingest'],
  processors: ['models', 'core', 'ingest'],
  api: ['models', 'core'],
  dashboards: ['models', 'core'],
  simulator: ['models', 'core'],
  cli: ['models', 'core', 'ingest', 'broker', 'processors', 'api', 'dashboards', 'simulator'],
  bin: ['cli'],
}
/** Processors share only what lies in processors/ itself: one processor's folder never imports another's. */
const processorFolders = readdirSync(new URL('./processors', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)

const layering = [
  ...Object.entries(floors).map(([floor, allowed]) => ({
    target: `./${floor}`,
    from: './',
    except: [floor, ...allowed, 'node_modules'].map((f) => `./${f}`),
    message: `${floor}/ may import only ${[floor, ...allowed].join(', ')} (README, "Architecture").`,
  })),
  ...processorFolders.map((folder) => ({
    target: `./processors/${folder}`,
    from: processorFolders.filter((f) => f !== folder).map((f) => `./processors/${f}`),
    message: `processors/${folder}/ may not import another processor's folder; move what both need to processors/, core/ or models/.`,
  })),
  {
    target: './processors/*.*',
    from: processorFolders.map((f) => `./processors/${f}`),
    message: "processors/ may not import a processor's folder; move what both need to processors/, core/ or models/.",
  },
]

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', '.local/', 'coverage/', 'test-artifacts/', 'dashboards/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['bin/*.js', 'deploy/local/*.mjs', 'eslint.config.js', '.dependency-cruiser.cjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      'no-console': 'off',
    },
  },
  {
    // Every import follows the layering; cycles are checked by dependency-cruiser (see .dependency-cruiser.cjs).
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    plugins: { 'import-x': importX },
    settings: {
      // Sources import `./x.js` for `./x.ts` (NodeNext resolution).
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layering }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
  {
    // The live web view runs in the browser and is plain JavaScript, outside the TypeScript project.
    files: ['api/web/**/*.js'],
    languageOptions: { globals: globals.browser, parserOptions: { projectService: false, project: false } },
  },
)
