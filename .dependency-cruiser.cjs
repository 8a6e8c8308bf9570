/**
 * The arrows of docs/architecture.md, checked by `npm test` (npm run lint:deps). Every rule is an
 * error: a build with a forbidden import fails and names the import.
 */
const PROJECT = '^(contract|engine|workers|db|src-main|src-renderer|bench|bin)/';

/** A rule: modules under `from` may import, of the project, only what `allowed` matches. */
const onlyImports = (name, from, allowed, comment) => ({ name, severity: 'error', comment, from: { path: from }, to: { path: PROJECT, pathNot: allowed } });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Imports form no cycles: every folder can be read (and tested) without what sits above it.',
      from: {},
      to: { circular: true },
    },
    onlyImports(
      'contract-is-a-leaf',
      '^contract/',
      '^contract/',
      'contract/ is the ground floor every process imports: it imports nothing of the project.',
    ),
    {
      name: 'contract-runs-anywhere',
      severity: 'error',
      comment: 'contract/ loads in the browser, a worker and Node alike: no Node built-ins, no package but zod.',
      from: { path: '^contract/' },
      to: { dependencyTypesNot: ['local', 'type-only'], pathNot: '^node_modules/zod/' },
    },
    onlyImports(
      'engine-is-pure-numerics',
      '^engine/',
      '^(contract|engine)/',
      'engine/ (energies, flows, training, samplers, estimates) imports only the contract and itself.',
    ),
    {
      name: 'engine-reads-no-files',
      severity: 'error',
      comment: 'The engine takes texts and arrays, never paths: callers read files. compute/ may probe the machine.',
      from: { path: '^engine/', pathNot: '^engine/compute/' },
      to: { dependencyTypes: ['core'], path: '^(fs|node:fs|fs/promises|node:fs/promises|child_process|node:child_process|worker_threads|node:worker_threads)$' },
    },
    onlyImports(
      'workers-run-jobs-only',
      '^workers/',
      '^(contract|engine|workers)/',
      'A worker thread runs engine code on what the scheduler sent: no database, server, CLI or UI.',
    ),
    onlyImports(
      'db-stores-contract-types',
      '^db/',
      '^(contract|db)/',
      'db/ persists contract types; it knows nothing of the engine, the server or the UI.',
    ),
    onlyImports(
      'renderer-talks-through-the-contract',
      '^src-renderer/',
      '^(contract|src-renderer)/|^engine/energies/analytic2d\\.ts$',
      'The UI reaches the backend only through the contract (API client, bridge type); from the engine it takes only the pure 2-D energies.',
    ),
    {
      name: 'renderer-has-no-node',
      severity: 'error',
      comment: 'The renderer runs in a browser tab: no Node built-ins, no Node-only packages.',
      from: { path: '^src-renderer/' },
      to: {
        dependencyTypes: ['core'],
      },
    },
    {
      name: 'renderer-has-no-node-packages',
      severity: 'error',
      comment: 'Node-only packages (database, server, tfjs native, Electron main) never enter the bundle.',
      from: { path: '^src-renderer/' },
      to: { path: '^node_modules/(better-sqlite3|fastify|@fastify|ws|electron|@tensorflow|env-paths|csv-parse|csv-stringify|tsx|esbuild)/' },
    },
    onlyImports(
      'electron-shell-is-thin',
      '^src-main/electron/',
      '^(contract|src-main/electron)/',
      'The Electron shell starts `bgw serve` and shows its page: it imports no backend, database, engine or worker code.',
    ),
    {
      name: 'backend-knows-no-cli',
      severity: 'error',
      comment: 'The backend serves the CLI, the API and the tests alike; only the CLI imports it, not the reverse.',
      from: { path: '^src-main/backend/' },
      to: { path: '^src-main/(cli|electron)/|^src-main/cli\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|out)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.svelte', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
