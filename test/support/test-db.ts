/**
 * Test databases. TEST_DB selects the engine the suite runs on:
 *  - `postgres` (default): a real PostgreSQL server at TEST_DATABASE_URL (default
 *    postgres://postgres@127.0.0.1:5432/postgres). Global setup migrates one template database;
 *    each test file gets its own copy (CREATE DATABASE … TEMPLATE), so files run in parallel.
 *  - `pglite`: an in-memory PGlite per test file, loaded from a data directory that global setup migrated
 *    once (or migrated from scratch when no template is given).
 *  - `mysql`: a real MySQL/MariaDB server at TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/test);
 *    each test file creates and migrates a database of its own.
 */
import { readFile } from 'node:fs/promises';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export type TestDbKind = 'postgres' | 'pglite' | 'mysql';

export function testDbKind(): TestDbKind {
  const kind = process.env['TEST_DB'] ?? 'postgres';
  if (kind !== 'postgres' && kind !== 'pglite' && kind !== 'mysql') {
    throw new Error(`TEST_DB must be postgres, pglite or mysql, not ${kind}`);
  }
  return kind;
}

export const mysqlAdminUrl = () => process.env['TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';

export async function mysqlAdminQuery(statement: string): Promise<void> {
  const conn = await mysql.createConnection(mysqlAdminUrl());
  try {
    await conn.query(statement);
  } finally {
    await conn.end();
  }
}

export const adminUrl = () =>
  process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of `database` on the server of `base` (the PostgreSQL admin URL unless given). */
export function urlFor(database: string, base = adminUrl()): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestDatabase extends Database {
  /** Connection string of this test's PostgreSQL or MySQL database (undefined on PGlite). */
  url?: string;
}

let counter = 0;
const freshName = () => `roost_t_${process.pid}_${Date.now().toString(36)}_${counter++}`;

/** Open a database this test owns: closing it drops it. */
async function ownedDatabase(
  url: string,
  migrate: boolean,
  drop: () => Promise<void>,
): Promise<TestDatabase> {
  const database = await createDatabase({ url, poolMax: 20 });
  if (migrate) await migrateToLatest(database.db);
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      await drop();
    },
  };
}

export async function createTestDatabase(
  template?: string,
  engine: TestDbKind = testDbKind(),
  /** false: an empty database, for tests of the migrate command itself. */
  migrate = true,
): Promise<TestDatabase> {
  if (engine === 'pglite') {
    if (template && migrate) return loadPgliteDatabase(template);
    const database = await createDatabase({ pgliteDataDir: 'memory' });
    await migrateToLatest(database.db);
    return database;
  }
  const name = freshName();
  if (engine === 'mysql') {
    await mysqlAdminQuery(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    return ownedDatabase(urlFor(name, mysqlAdminUrl()), migrate, () =>
      mysqlAdminQuery(`DROP DATABASE IF EXISTS ${name}`),
    );
  }
  await adminQuery(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  return ownedDatabase(urlFor(name), !template && migrate, () =>
    adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  );
}

/** A second handle on an existing test database: its own pool on a server; closing it drops nothing. */
export async function shareTestDatabase(of: TestDatabase): Promise<TestDatabase> {
  if (!of.url) return { ...of, close: async () => {} };
  const database = await createDatabase({ url: of.url, poolMax: 20 });
  return { ...database, url: of.url };
}

/** A migrated PGlite data directory as a tarball (global setup writes it once per run). */
export async function migratedPgliteTarball(): Promise<Uint8Array> {
  const database = await createDatabase({ pgliteDataDir: 'memory' });
  try {
    await migrateToLatest(database.db);
    const dump = await database.dumpPglite!();
    return new Uint8Array(await dump.arrayBuffer());
  } finally {
    await database.close();
  }
}

/** A new in-memory PGlite database with the contents of a data-directory tarball (a copy of the template). */
async function loadPgliteDatabase(tarball: string): Promise<TestDatabase> {
  return createDatabase({ pgliteDataDir: 'memory', pgliteLoadFrom: new Blob([await readFile(tarball)]) });
}
