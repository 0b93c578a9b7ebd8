import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Three tiers, one command: unit specs beside the code, medium tests against a real PostgreSQL, and e2e
// tests driving the whole app over HTTP. All share the PostgreSQL prepared by test/setup/global-setup.ts.
// SWC compiles the TypeScript because NestJS needs decorator metadata, which esbuild does not emit.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    globals: true,
    environment: 'node',
    globalSetup: ['test/setup/global-setup.ts'],
    include: [
      'src/**/*.spec.ts',
      'sandbox/**/*.spec.ts',
      'test/medium/**/*.spec.ts',
      'test/e2e/**/*.spec.ts',
      'test/browser/**/*.spec.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: one test file at a time keeps the e2e apps from starving each other.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
