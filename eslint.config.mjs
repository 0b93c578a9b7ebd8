import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from './eslint-rules/module-boundaries.mjs';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-sandbox/**',
      'node_modules/**',
      '.data/**',
      'coverage/**',
      'test-output/**',
      '*.js',
      '*.mjs',
      '*.mts',
      'test/bench/**/*.js',
      'eslint-rules/**',
      'scripts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { boundaries },
    rules: {
      // The module graph (cycles, upward edges, deep imports): see eslint-rules/module-boundaries.mjs.
      'boundaries/module-boundaries': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The console's browser modules (no build step): plain JS, browser globals, no type information.
    files: ['console/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'navigator',
          'console',
          'fetch',
          'Headers',
          'URL',
          'URLSearchParams',
          'FormData',
          'Node',
          'Element',
          'CSS',
          'setTimeout',
          'clearTimeout',
          'confirm',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
