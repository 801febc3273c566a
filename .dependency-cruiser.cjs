/**
 * Import rules for src/ (npm run deps:check; test/architecture.test.ts runs the same rules).
 *
 * Layers, bottom to top:
 *   src/platform, src/db        cross-cutting code and the database; know nothing of what is above them
 *   src/modules/<name>          one domain each (routes, service, repository, schemas, rules); a module
 *                               never imports another module
 *   src/flows                   operations that span modules; compose module services
 *   routes, src/graphql         the edge: call one module's services or a flow
 *   src/{app,server,worker,jobs,services,runtime}.ts, src/cli   composition roots: wire everything
 *
 * Type-only imports count (tsPreCompilationDeps), so a module cannot borrow another module's types
 * either: shared types belong in src/platform (or the module that owns them is composed by a flow).
 */

/** The composition roots: the only files that may see every layer. */
const COMPOSITION_ROOTS = '^src/(app|server|worker|jobs|services|runtime)\\.ts$|^src/cli/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files must not import each other in a cycle (type-only imports included).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-cross-module',
      severity: 'error',
      comment:
        'A module must not import another module (not even a type). Operations that span modules ' +
        'belong in src/flows; types shared by several modules belong in src/platform.',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/', pathNot: '^src/modules/$1/' },
    },
    {
      name: 'modules-use-flows-only-from-routes',
      severity: 'error',
      comment:
        "Only a module's route files (*.routes.ts) may call src/flows; services, repositories, " +
        'schemas and rules are below the flows that compose them.',
      from: { path: '^src/modules/', pathNot: '\\.routes\\.ts$' },
      to: { path: '^src/flows/' },
    },
    {
      name: 'flows-use-module-services',
      severity: 'error',
      comment:
        'Flows compose module services (and their schemas and pure rules), never route files or ' +
        'repositories.',
      from: { path: '^src/flows/' },
      to: { path: '^src/modules/[^/]+/.*\\.(routes|repository)\\.ts$' },
    },
    {
      name: 'platform-and-db-below-modules',
      severity: 'error',
      comment:
        'src/platform and src/db are the bottom layer: they must not import modules, flows, GraphQL ' +
        'or the composition roots.',
      from: { path: '^src/(platform|db)/' },
      to: { path: ['^src/(modules|flows|graphql)/', COMPOSITION_ROOTS] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment: 'Every package imported from src/ is declared in package.json.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-dev-dependencies-in-src',
      severity: 'error',
      comment:
        'Production code (src/, tests excluded) must not import a devDependency at run time: the ' +
        'image installs with npm ci --omit=dev.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    // Tests (src/**/*.test.ts and test/) may cross layers to set things up; only src/ is checked.
    exclude: { path: ['\\.test\\.ts$', '^test/'] },
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: `import type` from another module is still a dependency on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
