import { defineConfig } from 'vitest/config';

/**
 * Test files that measure time (a reply within N ms, two timings alike, the event loop's lag): they run
 * after the others, one at a time, so another file's work cannot make them fail.
 */
const timed = [
  'test/event-loop.test.ts',
  'test/redis-outage.test.ts',
  'src/modules/accounts/auth.test.ts',
  'src/graphql/hardening.test.ts',
  'src/platform/input.test.ts',
  'src/platform/queue/queue.test.ts',
  // Pub/sub delivery within 1 s between two buses: flaked once under the PGlite suite's full load.
  'src/platform/events.test.ts',
];

/**
 * Files about the embedded engine only (they start `npm start` without DATABASE_URL, whatever TEST_DB
 * is): they run once, in the PGlite suite.
 */
const embeddedOnly = process.env['TEST_DB'] === 'pglite' ? [] : ['test/pglite-lock.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    // Most files wait on the database, Redis or a child process more than they compute: three at a time.
    maxWorkers: 3,
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...timed, 'test/fuzz-*.test.ts', ...embeddedOnly],
          // Files share a worker's loaded modules (each still builds its own app and database): most of
          // a file's cost was importing the code again.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The fuzz halves keep module state (fixtures, a clock): each file gets fresh modules.
        extends: true,
        test: {
          name: 'fuzz',
          include: ['test/fuzz-*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timed',
          include: timed,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
