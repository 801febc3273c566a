/**
 * The fuzz run's REST half. test/support/fuzz-harness.ts holds the generators, the fixtures and the
 * checks (its header lists the FUZZ_* settings); the two halves are separate files so they run side by side.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fuzzRest, setupFuzz, teardownFuzz } from './support/fuzz-harness.js';
import { testDbKind } from './support/test-db.js';

beforeAll(setupFuzz, 120_000);
afterAll(teardownFuzz);

describe(`fuzz (${testDbKind()})`, () => {
  it('REST: every operation, as every caller, survives hostile input', fuzzRest, 3_600_000);
});
