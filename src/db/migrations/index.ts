/**
 * Every migration, in order. Names sort lexically; add new ones at the end with the next number.
 * A static list (rather than a folder scan) works the same under tsx, the compiled build and tests.
 */
import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_users_auth.js';

export const migrations: Record<string, Migration> = {
  '0001_users_auth': m0001,
};
