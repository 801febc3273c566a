/**
 * Migration helpers: the one place where column types that differ between SQL dialects are spelled.
 * Migrations call these instead of writing dialect-specific types inline.
 */
import { type CreateTableBuilder, type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against an untyped schema.
export type MigrationDb = Kysely<any>;

export const now = sql`now()`;

/** `created_at` and `updated_at` timestamptz columns defaulting to now(). */
export function withTimestamps<T extends string>(table: CreateTableBuilder<T, never>) {
  return table
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now));
}
