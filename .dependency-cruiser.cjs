/**
 * Architecture checks (STYLE.md 2): no circular imports, and no module reaching into
 * another module's `entities/` (modules export services, never repositories or entities).
 */
module.exports = {
  forbidden: [
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
