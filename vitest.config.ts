import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // tfjs backends are process-global: one test file per worker process keeps them isolated.
    pool: 'forks',
    // A guard against hangs, not a speed check (speed lives in bench/): the hosts differ ~3× per
    // core between sessions, and the slowest training tests took 108–126 s on a loaded AVX2 host.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
