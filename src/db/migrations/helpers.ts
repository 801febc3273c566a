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

/**
 * No two active bookings of one property may overlap. On PostgreSQL: an exclusion constraint over
 * half-open date ranges (btree_gist), so the guarantee holds across processes and connections.
 * The status list must match ACTIVE_STATUSES in the bookings module.
 */
export async function createNoOverlapGuard(db: MigrationDb): Promise<void> {
  await sql`create extension if not exists btree_gist`.execute(db);
  await sql`
    alter table bookings add constraint bookings_no_overlap
    exclude using gist (property_id with =, daterange(check_in, check_out, '[)') with &&)
    where (status in ('pending_payment', 'awaiting_host', 'confirmed', 'completed'))`.execute(db);
}

/**
 * Full-text search over weighted text columns. On PostgreSQL: a stored generated tsvector column
 * `search_vector` (the 'simple' configuration: no stemming, works for every language) with a GIN index.
 */
export async function addFullTextSearch(
  db: MigrationDb,
  table: string,
  weighted: Partial<Record<'A' | 'B' | 'C', string>>,
) {
  const parts = Object.entries(weighted).map(
    ([weight, column]) => `setweight(to_tsvector('simple', coalesce(${column}, '')), '${weight}')`,
  );
  await sql
    .raw(
      `alter table ${table} add column search_vector tsvector generated always as (${parts.join(' || ')}) stored`,
    )
    .execute(db);
  await sql.raw(`create index ${table}_search_idx on ${table} using gin (search_vector)`).execute(db);
}
