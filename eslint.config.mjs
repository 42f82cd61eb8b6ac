// Lint: type-aware typescript-eslint, with floating promises forbidden everywhere and Node
// built-ins and I/O libraries kept out of workflow code (it must stay deterministic).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import handlersBeforeAwait from './dev/eslint/handlers-before-await.mjs';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  // test/partner-clients/ holds the Naveera seed's own client code, kept as the seed wrote it.
  { ignores: ['node_modules/', 'dist/', '.data/', '.tools/', 'coverage/', 'bench/results/', '*.js', '*.mjs', 'test/partner-clients/', 'api/console/', 'dev/eslint/'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-namespace': 'off',
    },
  },
  {
    // Shared code never depends on workflow code: each workflow's contract lives in common/temporal/.
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/workflows', '**/workflows/*'], message: 'common/ must not import workflows/: put the contract in common/temporal/.' }] }],
    },
  },
  {
    // One owner of a delivery: its statuses and moves live in common/deliveries/moves.ts, the
    // only code that writes webhook_deliveries (tests may set rows up; migrations shape the table).
    files: ['**/*.ts'],
    ignores: ['common/deliveries/moves.ts', 'common/db/migrations/**', 'test/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name=/^(updateTable|insertInto|deleteFrom|replaceInto|mergeInto)$/][arguments.0.value=/^webhook_deliveries\\b/]",
          message: 'Only common/deliveries/moves.ts writes webhook_deliveries: add or use a move there.',
        },
        {
          selector: 'TemplateElement[value.raw=/(update|insert\\s+into|delete\\s+from|merge\\s+into)\\s+webhook_deliveries\\b/i]',
          message: 'Only common/deliveries/moves.ts writes webhook_deliveries: add or use a move there.',
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    plugins: { hub: { rules: { 'handlers-before-await': handlersBeforeAwait } } },
    rules: {
      'hub/handlers-before-await': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: do I/O in an activity.' })),
          patterns: [
            {
              group: ['pg', 'kysely', 'express', 'undici', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '../common/db/*', '../api/*'],
              allowTypeImports: true,
              message: 'Workflow code must be deterministic: reach I/O through proxied activities only.',
            },
            {
              // The activities a workflow runs are declared in its contract (common/temporal/).
              group: ['../activities', '../activities/*', '../worker/*'],
              message: 'Workflows depend on their contract in common/temporal/, not on activities/.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'No network I/O in workflows: use an activity.' },
        { name: 'process', message: 'No process access in workflows.' },
        { name: 'require', message: 'No dynamic requires in workflows.' },
      ],
    },
  },
);
