// One lint setup for the whole tree; `npm test` runs it before the suites.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'tests/artifacts/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Configuration is read once, in each process's main.ts (STYLE.md §2).
    files: ['shared/**/*.ts', 'services/**/*.ts', 'workers/**/*.ts'],
    ignores: ['**/main.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration in main.ts and pass it down.' },
      ],
    },
  },
);
