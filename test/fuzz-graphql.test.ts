/**
 * The fuzz run's GraphQL half. test/support/fuzz-harness.ts holds the generators, the fixtures and the
 * checks (its header lists the FUZZ_* settings); the two halves are separate files so they run side by side.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fuzzGraphql, setupFuzz, teardownFuzz } from './support/fuzz-harness.js';
import { testDbKind } from './support/test-db.js';

beforeAll(setupFuzz, 120_000);
afterAll(teardownFuzz);

describe(`fuzz (${testDbKind()})`, () => {
  it(
    'GraphQL: every Query and Mutation field, as every caller, survives hostile arguments',
    fuzzGraphql,
    3_600_000,
  );
});
