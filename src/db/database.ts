/**
 * Database connection: PostgreSQL through `pg` for a postgres:// URL, MySQL/MariaDB through `mysql2`
 * for a mysql:// URL, embedded PGlite otherwise. Services receive the Kysely handle and never learn
 * which engine is behind it; the few differences live in ./dialect.ts and the migration helpers.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { CompiledQuery, Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { createPool as createMysqlPool, type TypeCastField } from 'mysql2';
import pg from 'pg';
import type { DB } from './schema/index.js';

export type DatabaseKind = 'postgres' | 'pglite' | 'mysql';

export interface Database {
  db: Kysely<DB>;
  /** Statements executed through `db` so far (tests assert on it; no N+1). */
  stats: { queries: number };
  kind: DatabaseKind;
  /** The pg pool, when running on PostgreSQL (exposed for health checks and metrics). */
  pool?: pg.Pool;
  /** PGlite only: the whole data directory as a tarball (a copy another PGlite can start from). */
  dumpPglite?: () => Promise<Blob>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url?: string | undefined;
  /** PGlite data directory, or `memory` for an in-memory database. */
  pgliteDataDir?: string;
  /** PGlite: start from this data-directory tarball (`dumpPglite`) instead of an empty database. */
  pgliteLoadFrom?: Blob;
  poolMax?: number;
  /** Called when an idle pooled connection fails (it is discarded either way). */
  onIdleError?: (err: Error) => void;
}

// DATE columns stay 'YYYY-MM-DD' strings (dates of stay are calendar dates, not instants);
// BIGINT (int8) columns come back as numbers: money in minor units stays far below 2^53.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// NUMERIC holds ratings and bathrooms (never money): numbers, not strings.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export const isMysqlUrl = (url: string) => /^(mysql|mariadb):\/\//.test(url);

/**
 * mysql2 column conversions matching the PostgreSQL ones: DATE stays a 'YYYY-MM-DD' string (set in the
 * pool options), TINYINT(1) (what BOOLEAN is on MySQL) becomes a boolean. JSON is parsed by mysql2
 * itself (MySQL's JSON type, and MariaDB's `json` format in its extended column metadata).
 */
function mysqlTypeCast(field: TypeCastField, next: () => unknown): unknown {
  if (field.type === 'TINY' && field.length === 1) {
    const v = field.string();
    return v === null ? null : v === '1';
  }
  return next();
}

function createMysqlDatabase(url: string, options: DatabaseOptions): Database {
  const u = new URL(url);
  const pool = createMysqlPool({
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    connectionLimit: options.poolMax ?? 10,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    dateStrings: ['DATE'],
    decimalNumbers: true,
    supportBigNumbers: true,
    typeCast: mysqlTypeCast,
  });
  pool.on('connection', (conn) => {
    conn.on('error', (err) => options.onIdleError?.(err));
  });
  const stats = { queries: 0 };
  const db = new Kysely<DB>({
    dialect: new MysqlDialect({
      pool,
      // Same semantics as PostgreSQL: UTC instants, READ COMMITTED, strict modes, ANSI quotes off.
      onCreateConnection: async (conn) => {
        await conn.executeQuery(
          CompiledQuery.raw(
            "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY'",
          ),
        );
        await conn.executeQuery(CompiledQuery.raw('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'));
      },
    }),
    log: () => void stats.queries++,
  });
  return { db, kind: 'mysql', stats, close: () => db.destroy() };
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url && isMysqlUrl(options.url)) return createMysqlDatabase(options.url, options);
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolMax ?? 10 });
    // An idle connection cut by the server (restart, failover, admin) must not crash the process:
    // the pool drops it and opens a new one on the next query.
    pool.on('error', (err) => options.onIdleError?.(err));
    const stats = { queries: 0 };
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: () => void stats.queries++ });
    return { db, kind: 'postgres', pool, stats, close: () => db.destroy() };
  }
  const dir = options.pgliteDataDir ?? 'memory';
  if (dir !== 'memory') mkdirSync(dir, { recursive: true });
  const client = await PGlite.create({
    ...(dir === 'memory' ? {} : { dataDir: dir }),
    ...(options.pgliteLoadFrom ? { loadDataDir: options.pgliteLoadFrom } : {}),
    extensions: { btree_gist, pg_trgm },
    parsers: {
      1082: (v: string) => v, // date
      20: (v: string) => Number(v), // int8
      1700: (v: string) => Number(v), // numeric
    },
  });
  const stats = { queries: 0 };
  const db = new Kysely<DB>({ dialect: new PGliteDialect(client), log: () => void stats.queries++ });
  return {
    db,
    kind: 'pglite',
    stats,
    dumpPglite: () => client.dumpDataDir('none'),
    close: async () => {
      await db.destroy();
      // Kysely leaves a driver that never ran a query alone: close the instance itself too.
      if (!client.closed) await client.close();
    },
  };
}
