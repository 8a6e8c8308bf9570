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
    // expect.poll waits for the UI or the backend to react (an import parsed and typed, an alert
    // drawn); vitest's 1-s default is a speed check in disguise and failed one browser test on a
    // loaded 2-core host. 30 s is a hang guard; a poll that must see a change sets its own.
    expect: { poll: { timeout: 30_000 } },
    reporters: ['default'],
  },
});
