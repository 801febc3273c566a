import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { adminQuery, urlFor } from '../../test/support/test-db.js';
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
