/**
 * Architecture checks (docs/architecture.md): no circular imports; layered modules (a module
 * imports only modules listed before it in LAYERS, so module-level cycles cannot exist); no
 * module reaching into another module's internals (files in its subfolders) or `entities/`
 * (modules export services, never repositories or entities); chat-protocol imports nothing of
 * the app.
 *
 * "Module" = first folder under backend/src. Its public surface = the files directly in it plus
 * its `dto/`. `common` and `chat-protocol` are libraries, public throughout. The composition root
 * (files directly in backend/src, and `openapi/`) and `cli/` (a separate program) are exempt as
 * importers.
 */
const LAYERS = [
  // L0 libraries
  'chat-protocol',
  'common',
  // L1 infrastructure
  'config',
  'database',
  'logging',
  'secrets',
  'outbound',
  'operations',
  // L2 identity
  'auth',
  'metrics',
  'audit',
  // L3 policy
  'ratelimit',
  'workflows',
  'webhooks',
  // L4 data
  'transcript',
  'publish',
  'analytics',
  // L5 runners
  'runners',
  'agents',
  // L6 edge
  'chatkit',
  'hosts',
  'web',
  'health',
];
const EXEMPT = ['openapi', 'cli'];

const layerRules = LAYERS.map((name, i) => ({
  name: `layer-${name}`,
  severity: 'error',
  comment: `${name} may import only: ${LAYERS.slice(0, i).join(', ') || 'nothing of the app'} (docs/architecture.md)`,
  from: { path: `^backend/src/${name}/` },
  to: { path: `^backend/src/(${LAYERS.slice(i + 1).join('|') || '$^'})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'module-has-a-layer',
      severity: 'error',
      comment: 'Every module folder of backend/src is placed in LAYERS (.dependency-cruiser.cjs and docs/architecture.md).',
      from: { path: '^backend/src/[^/]+/', pathNot: `^backend/src/(${[...LAYERS, ...EXEMPT].join('|')})/` },
      to: {},
    },
    {
      name: 'no-deep-imports',
      severity: 'error',
      comment: "Import another module only through its top-level files (its API) or its dto/; internals are the module's own.",
      from: { path: '^backend/src/([^/]+)/', pathNot: `^backend/src/(${EXEMPT.join('|')})/` },
      to: { path: '^backend/src/[^/]+/[^/]+/', pathNot: ['^backend/src/$1/', '^backend/src/(common|chat-protocol)/', '^backend/src/[^/]+/dto/'] },
    },
    {
      name: 'chat-protocol-is-a-leaf',
      severity: 'error',
      comment: 'The chat protocol core is framework-free: it imports nothing of the app.',
      from: { path: '^backend/src/chat-protocol/' },
      to: { path: '^backend/src/', pathNot: '^backend/src/chat-protocol/' },
    },
    {
      name: 'chat-protocol-is-framework-free',
      severity: 'error',
      comment: 'The chat protocol core uses only Node built-ins and the shared wire types (@parley/chat-protocol, types only).',
      from: { path: '^backend/src/chat-protocol/' },
      to: { dependencyTypesNot: ['core', 'local'], pathNot: '^(backend/src/chat-protocol/|packages/chat-protocol/)' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Circular imports make module boundaries meaningless and break DI ordering.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-foreign-entities',
      severity: 'error',
      comment: 'A module may use only its own entities; ask the owning module\'s service instead.',
      from: { path: '^backend/src/([^/]+)/' },
      to: { path: '^backend/src/([^/]+)/entities/', pathNot: '^backend/src/$1/entities/' },
    },
    {
      name: 'no-foreign-repositories',
      severity: 'error',
      comment:
        "SQL is the owning module's business: ask its service. transcript/chat-sessions.repository.ts is the one repository exported (docs/architecture.md, The database).",
      from: { path: '^backend/src/([^/]+)/' },
      to: { path: '^backend/src/([^/]+)/.*[.]repository[.]ts$', pathNot: ['^backend/src/$1/', '^backend/src/transcript/chat-sessions[.]repository[.]ts$'] },
    },
    {
      name: 'lazy-heavy-sdks',
      severity: 'error',
      comment:
        'The OpenAI SDK, undici, the MCP SDK and ajv are loaded on first use, not at start-up (idle memory and module count, ' +
        'docs/performance.md "ChatKit gateway"): `import type` only, the value through the one lazy loader of each.',
      from: {
        path: '^backend/src/',
        pathNot: ['^backend/src/runners/openai-sdk[.]ts$', '^backend/src/outbound/outbound-policy[.]ts$', '^backend/src/agents/tools/mcp-tools[.]ts$', '^backend/src/workflows/tool-schemas[.]ts$', '^backend/src/cli/'],
      },
      to: { path: 'node_modules/(openai|undici|@modelcontextprotocol/sdk|ajv)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'v8-heap-first',
      severity: 'error',
      comment:
        'config/v8-heap.ts is the first import of main.ts and sets the young generation\'s cap before the app loads ' +
        '(HEAP_SEMI_SPACE_MB, docs/performance.md "ChatKit gateway"): it imports Node built-ins only, or the cap would come ' +
        'after whatever it pulled in.',
      from: { path: '^backend/src/config/v8-heap[.]ts$' },
      to: { dependencyTypesNot: ['core', 'type-only'] },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^backend/src/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^backend/test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: require('node:path').join(__dirname, 'backend', 'tsconfig.json') },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
