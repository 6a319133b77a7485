import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: a few files at once keeps PostgreSQL and Redis busy without starving them.
    maxWorkers: 3,
    reporters: ['default'],
    // CI only: one retry of a failed test. Timing-sensitive end-to-end tests on a shared 2-core
    // machine occasionally miss a deadline; a retry that passes is still reported by vitest
    // (marked "retry") so flakes stay visible. Locally a failure is a failure.
    retry: process.env.CI ? 1 : 0,
  },
});
