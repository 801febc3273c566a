/**
 * Settings every pooled connection gets when it is opened, and the error they produce.
 *
 *  - PostgreSQL: `jit = off` (on the text + amenities search, JIT compilation cost more than the query:
 *    ~14 of 18 ms at 100 000 listings) and `statement_timeout`, both sent in the startup packet
 *    (`options: -c …`), so they cost no round trip.
 *  - MariaDB: `max_statement_time` (seconds) when the connection is opened. MySQL has no equivalent for
 *    every statement (its `max_execution_time` covers read-only SELECTs only): it gets that.
 *
 * Long operations that are not requests (migrations, the seed command, backups) run without the timeout:
 * the CLI commands open their database without one, migrations lift it on their connection
 * (`withoutStatementTimeout`), and pg_dump / pg_restore open connections of their own (and set
 * `statement_timeout = 0` themselves).
 */
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { sqlFamily } from './dialect.js';
import type { DB } from './schema/index.js';

export interface SessionSettings {
  /** Cancel any statement running longer than this (ms); 0 or unset: no limit. */
  statementTimeoutMs?: number | undefined;
}

/**
 * The `options` startup parameter of a PostgreSQL connection: what the URL's own `options` (or
 * PGOPTIONS) already says, then jit off and the statement timeout.
 */
export function postgresStartupOptions(settings: SessionSettings, existing?: string | null): string {
  const parts = [existing?.trim() ?? '', '-c jit=off'];
  const timeout = Math.max(0, Math.floor(settings.statementTimeoutMs ?? 0));
  if (timeout > 0) parts.push(`-c statement_timeout=${timeout}`);
  return parts.filter(Boolean).join(' ');
}

/**
 * A PostgreSQL URL without its `options` query parameter, and that parameter: pg lets a URL's
 * parameters override the pool's, so the settings above are merged into it instead.
 */
export function splitPostgresOptions(url: string): { url: string; options: string | null } {
  const u = new URL(url);
  const options = u.searchParams.get('options');
  if (options === null) return { url, options: null };
  u.searchParams.delete('options');
  return { url: u.toString(), options };
}

/** The statement that sets the timeout on a new MySQL/MariaDB connection (`version` from `select version()`). */
export function mysqlTimeoutStatement(settings: SessionSettings, version: string): CompiledQuery | undefined {
  const timeout = Math.max(0, Math.floor(settings.statementTimeoutMs ?? 0));
  if (timeout === 0) return undefined;
  return /mariadb/i.test(version)
    ? CompiledQuery.raw(`SET SESSION max_statement_time = ${(timeout / 1000).toFixed(3)}`)
    : CompiledQuery.raw(`SET SESSION max_execution_time = ${timeout}`);
}

interface DbError {
  code?: string;
  errno?: number;
  message?: string;
}

/**
 * The database cancelled the statement because it ran past the statement timeout (PostgreSQL 57014 with
 * its timeout message, not a cancel by an administrator; MariaDB 1969; MySQL 3024).
 */
export function isStatementTimeout(err: unknown): boolean {
  const e = err as DbError | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === '57014') return /statement timeout/i.test(String(e.message));
  return (
    e.errno === 1969 || e.errno === 3024 || e.code === 'ER_STATEMENT_TIMEOUT' || e.code === 'ER_QUERY_TIMEOUT'
  );
}

/**
 * Run `fn` on one connection of `db` with no statement timeout (migrations: an index build on a large
 * table may legitimately take minutes), then restore the connection's own setting.
 */
// biome-ignore lint/suspicious/noExplicitAny: works on any schema (the migrator's handle is untyped).
export async function withoutStatementTimeout<T, D = any>(
  db: Kysely<D>,
  fn: (conn: Kysely<D>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db);
  const family = sqlFamily(db as unknown as Kysely<DB>);
  return db.connection().execute(async (conn) => {
    let reset: (() => Promise<unknown>) | undefined;
    if (family === 'postgres') {
      await sql`set statement_timeout = 0`.execute(conn);
      // RESET returns to the session's default: the value given at connect time.
      reset = () => sql`reset statement_timeout`.execute(conn);
    } else {
      const { rows } = await sql<{ v: string }>`select version() as v`.execute(conn);
      if (/mariadb/i.test(rows[0]?.v ?? '')) {
        const { rows: before } = await sql<{ t: string }>`select @@session.max_statement_time as t`.execute(
          conn,
        );
        await sql`set session max_statement_time = 0`.execute(conn);
        reset = () =>
          sql`set session max_statement_time = ${sql.lit(Number(before[0]?.t ?? 0))}`.execute(conn);
      }
    }
    try {
      return await fn(conn);
    } finally {
      await reset?.();
    }
  });
}
