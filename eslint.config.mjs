// Lint rules that catch what review misses: promises nobody awaits, and Node built-ins (or
// activity implementations) imported into deterministic workflow code.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'eslint.config.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'before', 'after'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'temporal/contract.ts', 'domain/request.ts', 'domain/notifications.ts', 'domain/text.ts', 'tools/bench/baseline-workflows.ts', 'test/attacks/rogue/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinModules.flatMap((name) => [name, `node:${name}`]),
          patterns: [{ group: ['../activities/*'], allowTypeImports: true, message: 'workflows import activities as types only' }],
        },
      ],
    },
  },
);
