// Lint for every workspace. Type-aware rules are left to `tsc --noEmit` (run by `npm test`)
// to keep lint fast on a 2-core machine.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/dist-*/**', '**/.parley/**', 'docs/**', 'test-results/**', '**/.vite/**', '**/coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='only'][callee.object.name=/^(it|describe|test)$/]", message: 'Focused tests (.only) must not be committed.' },
        { selector: "CallExpression[callee.property.name='skip'][callee.object.name=/^(it|describe|test)$/]", message: 'Skipped tests hide missing work; CI runs everything.' },
      ],
    },
  },
  {
    files: ['widget-remote/**/*.{ts,tsx}', 'canvas-host/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    // One way to the database (docs/architecture.md): SQL and TypeORM live in `*.repository.ts` files (and entities,
    // migrations, module wiring). The last entries are infrastructure: `database/` and the `keys:rotate` command.
    files: ['backend/src/**/*.ts'],
    ignores: [
      'backend/src/**/*.repository.ts',
      'backend/src/**/entities/**',
      'backend/src/**/*.module.ts',
      'backend/src/**/*.spec.ts',
      'backend/src/database/**',
      'backend/src/auth/keys/rotate-keys.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'typeorm', message: 'Put SQL and TypeORM in a *.repository.ts of the module (docs/architecture.md, The database).' },
            { name: '@nestjs/typeorm', message: 'Put SQL and TypeORM in a *.repository.ts of the module (docs/architecture.md, The database).' },
          ],
          patterns: [
            { group: ['typeorm/*'], message: 'Put SQL and TypeORM in a *.repository.ts of the module (docs/architecture.md, The database).' },
            {
              group: ['**/database/transactions'],
              importNames: ['managerOf'],
              message: 'Only repositories open a Tx; services pass it on (docs/architecture.md, The database).',
            },
          ],
        },
      ],
    },
  },
);
