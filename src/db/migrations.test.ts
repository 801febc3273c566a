import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { adminQuery, createTestDatabase, urlFor } from '../../test/support/test-db.js';
import { createDatabase, type Database } from './database.js';
import { migrateToLatest } from './migrate.js';
import { migrations } from './migrations/index.js';

/** Tables, columns with their types and nullability, and index names: what "the same schema" means. */
async function describeSchema(database: Database) {
  const columns = await sql<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
  }>`
    select table_name, column_name, data_type, is_nullable from information_schema.columns
    where table_schema = 'public' order by table_name, column_name`.execute(database.db);
  const indexes = await sql<{ indexname: string }>`
    select indexname from pg_indexes where schemaname = 'public' order by indexname`.execute(database.db);
  return { columns: columns.rows, indexes: indexes.rows.map((r) => r.indexname) };
}

describe('migrations', () => {
  it('produce the same schema on PostgreSQL and on PGlite, and are idempotent', async () => {
    const name = `roost_mig_${process.pid}_${Date.now().toString(36)}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const postgres = await createDatabase({ url: urlFor(name) });
    const pglite = await createDatabase({ pgliteDataDir: 'memory' });
    try {
      const first = await migrateToLatest(postgres.db);
      expect(first.results?.map((r) => r.migrationName)).toEqual(Object.keys(migrations));
      await migrateToLatest(pglite.db);

      const [a, b] = await Promise.all([describeSchema(postgres), describeSchema(pglite)]);
      expect(a.columns.length).toBeGreaterThan(20);
      expect(b).toEqual(a);

      // A second run applies nothing.
      const again = await migrateToLatest(postgres.db);
      expect(again.results).toEqual([]);
    } finally {
      await postgres.close();
      await pglite.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});

/** Columns (name, nullability) and foreign keys as "table.column -> table.column", in any family. */
async function describeRelations(database: Database) {
  const mysql = database.kind === 'mysql';
  const schema = mysql ? sql`database()` : sql`'public'`;
  const columns = await sql<{ col: string }>`
    select concat(table_name, '.', column_name, ' ', is_nullable) as col from information_schema.columns
    where table_schema = ${schema} and table_name not like 'schema_migrations%'`.execute(database.db);
  const fks = mysql
    ? await sql<{ fk: string }>`
        select concat(table_name, '.', column_name, ' -> ', referenced_table_name, '.', referenced_column_name) as fk
        from information_schema.key_column_usage
        where table_schema = database() and referenced_table_name is not null`.execute(database.db)
    : await sql<{ fk: string }>`
        select concat(k.table_name, '.', k.column_name, ' -> ', u.table_name, '.', u.column_name) as fk
        from information_schema.table_constraints c
        join information_schema.key_column_usage k
          on k.constraint_name = c.constraint_name and k.table_schema = c.table_schema
        join information_schema.constraint_column_usage u
          on u.constraint_name = c.constraint_name and u.table_schema = c.table_schema
        where c.constraint_type = 'FOREIGN KEY' and c.table_schema = 'public'`.execute(database.db);
  return {
    columns: columns.rows.map((r) => r.col).sort(),
    fks: fks.rows.map((r) => r.fk).sort(),
  };
}

describe('migrations on MySQL/MariaDB', () => {
  it('produce the PostgreSQL schema (columns, nullability, foreign keys) plus the no-overlap table', async () => {
    const postgres = await createTestDatabase(undefined, 'postgres');
    const mysql = await createTestDatabase(undefined, 'mysql');
    try {
      const [pg, my] = await Promise.all([describeRelations(postgres), describeRelations(mysql)]);
      expect(pg.fks.length).toBeGreaterThan(20);
      // PostgreSQL's tsvector column is a FULLTEXT index on MySQL; booking_nights is MySQL's guard.
      expect(my.columns.filter((c) => !c.startsWith('booking_nights.'))).toEqual(
        pg.columns.filter((c) => !c.startsWith('properties.search_vector ')),
      );
      expect(my.fks.filter((f) => !f.startsWith('booking_nights.'))).toEqual(pg.fks);
      expect(my.fks).toContain('booking_nights.booking_id -> bookings.id');

      // A second run applies nothing.
      expect((await migrateToLatest(mysql.db)).results).toEqual([]);
    } finally {
      await postgres.close();
      await mysql.close();
    }
  });
});
