/**
 * Connection settings of the pools (jit off, statement timeout) on PostgreSQL and MariaDB, whatever
 * TEST_DB says, and what a statement cancelled by the timeout becomes: a 503 `database_timeout` problem.
 */
import Fastify from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.js';
import { registerErrorHandling } from '../platform/errors.js';
import { createDatabase, type Database } from './database.js';
import { migrateToLatest } from './migrate.js';
import {
  isStatementTimeout,
  postgresStartupOptions,
  splitPostgresOptions,
  withoutStatementTimeout,
} from './session.js';

describe('session settings', () => {
  it('are sent in the startup packet, after the URL’s own options', () => {
    expect(postgresStartupOptions({ statementTimeoutMs: 15_000 })).toBe(
      '-c jit=off -c statement_timeout=15000',
    );
    expect(postgresStartupOptions({ statementTimeoutMs: 0 })).toBe('-c jit=off');
    const split = splitPostgresOptions('postgres://u@h:5432/db?options=-c%20search_path%3Dx&sslmode=disable');
    expect(split.options).toBe('-c search_path=x');
    expect(split.url).toBe('postgres://u@h:5432/db?sslmode=disable');
    expect(postgresStartupOptions({ statementTimeoutMs: 5 }, split.options)).toBe(
      '-c search_path=x -c jit=off -c statement_timeout=5',
    );
  });
});

/** An app whose one route runs `statement` on `db`: shows how the error handler answers. */
async function appRunning(db: Database['db'], statement: ReturnType<typeof sql>) {
  const app = Fastify({ logger: false });
  registerErrorHandling(app);
  app.get('/slow', async () => {
    await statement.execute(db);
    return { ok: true };
  });
  await app.ready();
  return app;
}

describe.each(['postgres', 'mysql'] as const)('statement timeout on %s', (engine) => {
  let owned: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    owned = await createTestDatabase(undefined, engine, false);
    database = await createDatabase({ url: owned.url!, poolMax: 2, statementTimeoutMs: 300 });
  });
  afterAll(async () => {
    await database?.close();
    await owned?.close();
  });

  const slow = engine === 'postgres' ? sql`select pg_sleep(2)` : sql`select sleep(2)`;

  it('holds on every pooled connection', async () => {
    // Two connections at once: both carry the settings.
    const checks = await Promise.all(
      [0, 1].map(() =>
        database.db.connection().execute(async (conn) => {
          if (engine === 'postgres') {
            const jit = await sql<{ jit: string }>`show jit`.execute(conn);
            const timeout = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(conn);
            return [jit.rows[0]?.jit, timeout.rows[0]?.statement_timeout];
          }
          const r = await sql<{ t: string }>`select @@session.max_statement_time as t`.execute(conn);
          return [Number(r.rows[0]?.t)];
        }),
      ),
    );
    for (const c of checks) expect(c).toEqual(engine === 'postgres' ? ['off', '300ms'] : [0.3]);
  });

  it('cancels a statement that runs longer, with a clear error', async () => {
    const started = Date.now();
    const err = await slow.execute(database.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(1_900);
    expect(isStatementTimeout(err)).toBe(true);
    expect(String((err as Error).message)).toMatch(/statement timeout|max_statement_time/);
  });

  it('is answered 503 database_timeout, not 500', async () => {
    const app = await appRunning(database.db, slow);
    try {
      const res = await app.inject({ method: 'GET', url: '/slow' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 503, code: 'database_timeout' });
    } finally {
      await app.close();
    }
  });

  it('does not bound migrations (they lift it on their connection), and the pool keeps it afterwards', async () => {
    const longer = engine === 'postgres' ? sql`select pg_sleep(0.6)` : sql`select sleep(0.6)`;
    await withoutStatementTimeout(database.db, (conn) => longer.execute(conn));
    await migrateToLatest(database.db);
    const err = await slow.execute(database.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStatementTimeout(err)).toBe(true);
  });
});
