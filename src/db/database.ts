/**
 * Database connection: PostgreSQL through `pg` for a postgres:// URL, MySQL/MariaDB through `mysql2`
 * for a mysql:// URL, embedded PGlite otherwise. Services receive the Kysely handle and never learn
 * which engine is behind it; the few differences live in ./dialect.ts and the migration helpers.
 *
 * Only the driver in use is loaded (`await import` per engine): PGlite and its extensions, mysql2 and pg
 * are large, and a process never needs more than one of them.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import type { PoolOptions, TypeCastField } from 'mysql2';
import type pg from 'pg';
import type { Config } from '../platform/config.js';
import type { PoolSource } from '../platform/metrics.js';
import { lockPgliteDir } from './pglite-lock.js';
import { readPgliteTemplate } from './pglite-template.js';
import {
  type ConnectionCounter,
  countConnections,
  mysqlPoolStats,
  pgPoolStats,
  singleConnectionStats,
} from './pool-stats.js';
import type { ReadReplicas } from './replicas.js';
import type { DB } from './schema/index.js';
import {
  mysqlTimeoutStatement,
  postgresStartupOptions,
  type SessionSettings,
  splitPostgresOptions,
} from './session.js';
import { tracedDialect } from './tracing.js';
import { guardTransactions } from './transaction.js';

export type DatabaseKind = 'postgres' | 'pglite' | 'mysql';

export interface Database {
  db: Kysely<DB>;
  /** Statements executed through `db` so far (tests assert on it; no N+1). */
  stats: { queries: number };
  kind: DatabaseKind;
  /** The pg pool, when running on PostgreSQL (exposed for health checks and metrics). */
  pool?: pg.Pool;
  /** PostgreSQL with DATABASE_READ_URL: the read replicas (closed with the database). */
  replicas?: ReadReplicas;
  /** PGlite only: the whole data directory as a tarball (a copy another PGlite can start from). */
  dumpPglite?: () => Promise<Blob>;
  /** Connection counts of the pool behind `db` and of each read replica's (the pool gauges of /metrics). */
  poolStats: PoolSource['poolStats'];
  close(): Promise<void>;
}

export interface ReadReplicaOptions {
  /** postgres:// URLs of streaming replicas of `url`. */
  urls: string[];
  /** A replica further behind the primary than this is set aside until it catches up. */
  maxLagMs: number;
  /** How often each replica's lag is measured. */
  checkEveryMs: number;
}

export interface DatabaseOptions extends SessionSettings {
  url?: string | undefined;
  /** PGlite data directory, or `memory` for an in-memory database. */
  pgliteDataDir?: string;
  /** PGlite: start from this data-directory tarball (`dumpPglite`) instead of an empty database. */
  pgliteLoadFrom?: Blob;
  poolMax?: number;
  /** Called when an idle pooled connection fails (it is discarded either way). */
  onIdleError?: (err: Error) => void;
  /**
   * PostgreSQL only: read replicas for `ctx.reads` (each with a pool of `poolMax` and the same session
   * settings). Refused on PGlite and MySQL.
   */
  readReplicas?: ReadReplicaOptions | undefined;
}

export const isMysqlUrl = (url: string) => /^(mysql|mariadb):\/\//.test(url);

/** The comma-separated URLs of DATABASE_READ_URL. */
export const splitUrls = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);

/**
 * The options the API (and, without replicas, the worker) open their database with. The CLI commands
 * (migrate, seed, backups) open theirs without a statement timeout: their statements may rightly be long.
 */
export function databaseOptions(config: Config, opts: { readReplicas?: boolean } = {}): DatabaseOptions {
  const urls = splitUrls(config.DATABASE_READ_URL);
  return {
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    poolMax: config.DATABASE_POOL_MAX,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    ...(opts.readReplicas && urls.length > 0
      ? {
          readReplicas: {
            urls,
            maxLagMs: config.DATABASE_READ_MAX_LAG_MS,
            checkEveryMs: config.DATABASE_READ_CHECK_MS,
          },
        }
      : {}),
  };
}

let pgModule: Promise<typeof pg> | undefined;

/** pg, loaded once, with this service's column conversions. */
export function loadPg(): Promise<typeof pg> {
  pgModule ??= import('pg').then(({ default: pg }) => {
    // DATE columns stay 'YYYY-MM-DD' strings (dates of stay are calendar dates, not instants);
    // BIGINT (int8) columns come back as numbers: money in minor units stays far below 2^53.
    pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
    // NUMERIC holds ratings and bathrooms (never money): numbers, not strings.
    pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
    return pg;
  });
  return pgModule;
}

/** A pg pool whose connections start with the session settings (jit off, statement timeout). */
export function postgresPool(
  pgLib: typeof pg,
  url: string,
  options: DatabaseOptions,
  extra: pg.PoolConfig = {},
): pg.Pool {
  const split = splitPostgresOptions(url);
  const pool = new pgLib.Pool({
    connectionString: split.url,
    max: options.poolMax ?? 10,
    options: postgresStartupOptions(options, split.options ?? process.env['PGOPTIONS']),
    ...extra,
  });
  // An idle connection cut by the server (restart, failover, admin) must not crash the process:
  // the pool drops it and opens a new one on the next query.
  pool.on('error', (err) => options.onIdleError?.(err));
  // A connection that dies while checked out, between two queries (a read that failed on a replica is
  // being run again on the primary), has no listener of the pool's: without one of its own, its 'error'
  // event would be an uncaught exception. Its next query fails instead, and the pool discards it.
  pool.on('connect', (client) => void client.on('error', () => {}));
  return pool;
}

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

/** The mysql2 pool options for a mysql:// URL: utf8mb4, UTC, and the column conversions above. */
export function mysqlPoolOptions(url: string, connectionLimit: number): PoolOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    connectionLimit,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    dateStrings: ['DATE'],
    decimalNumbers: true,
    supportBigNumbers: true,
    typeCast: mysqlTypeCast,
  };
}

async function createMysqlDatabase(url: string, options: DatabaseOptions): Promise<Database> {
  const { createPool } = await import('mysql2');
  const pool = createPool(mysqlPoolOptions(url, options.poolMax ?? 10));
  pool.on('connection', (conn) => {
    conn.on('error', (err) => options.onIdleError?.(err));
  });
  const stats = { queries: 0 };
  // MariaDB or MySQL: asked once, on the first connection (their statement timeouts differ).
  let version: string | undefined;
  const db = new Kysely<DB>({
    dialect: tracedDialect(
      guardTransactions(
        new MysqlDialect({
          pool,
          // Same semantics as PostgreSQL: UTC instants, READ COMMITTED, strict modes, ANSI quotes off.
          onCreateConnection: async (conn) => {
            await conn.executeQuery(
              CompiledQuery.raw(
                "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY'",
              ),
            );
            await conn.executeQuery(
              CompiledQuery.raw('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'),
            );
            if (options.statementTimeoutMs) {
              version ??= String(
                (await conn.executeQuery<{ v: string }>(CompiledQuery.raw('SELECT VERSION() AS v'))).rows[0]
                  ?.v,
              );
              const timeout = mysqlTimeoutStatement(options, version);
              if (timeout) await conn.executeQuery(timeout);
            }
          },
        }),
      ),
      () => (version && /mariadb/i.test(version) ? 'mariadb' : 'mysql'),
    ),
    log: () => void stats.queries++,
  });
  return {
    db,
    kind: 'mysql',
    stats,
    poolStats: () => ({ primary: mysqlPoolStats(pool), replicas: [] }),
    close: () => db.destroy(),
  };
}

async function createPostgresDatabase(url: string, options: DatabaseOptions): Promise<Database> {
  const pgLib = await loadPg();
  const pool = postgresPool(pgLib, url, options);
  const stats = { queries: 0 };
  const db = new Kysely<DB>({
    dialect: tracedDialect(guardTransactions(new PostgresDialect({ pool })), 'postgresql'),
    log: () => void stats.queries++,
  });
  let replicas: ReadReplicas | undefined;
  let replicaPools: { name: string; pool: pg.Pool }[] = [];
  if (options.readReplicas && options.readReplicas.urls.length > 0) {
    const { createReadReplicas, replicaName } = await import('./replicas.js');
    // Replica pools: the same settings, and a short connect timeout (a replica that does not answer
    // is set aside quickly; its reads go to the primary).
    const pools = options.readReplicas.urls.map((u) => ({
      url: u,
      pool: postgresPool(pgLib, u, options, { connectionTimeoutMillis: 1000 }),
    }));
    replicaPools = pools.map((p) => ({ name: replicaName(p.url), pool: p.pool }));
    replicas = createReadReplicas({ ...options.readReplicas, primaryPool: pool, pools });
    // Measured before the first read (bounded: a replica that does not answer is down within ~1 s).
    await replicas.check();
  }
  return {
    db,
    kind: 'postgres',
    pool,
    stats,
    poolStats: () => ({
      primary: pgPoolStats(pool),
      replicas: replicaPools.map((r) => ({ name: r.name, stats: pgPoolStats(r.pool) })),
    }),
    ...(replicas ? { replicas } : {}),
    close: async () => {
      await replicas?.close();
      await db.destroy();
    },
  };
}

async function createPgliteDatabase(options: DatabaseOptions): Promise<Database> {
  const [{ PGlite }, { btree_gist }, { pg_trgm }, { PGliteDialect }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/btree_gist'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('kysely-pglite-dialect'),
  ]);
  const dir = options.pgliteDataDir ?? 'memory';
  if (dir !== 'memory') mkdirSync(dir, { recursive: true });
  // One process per data directory: a second one would silently lose one side's changes (./pglite-lock.ts).
  const lock = dir === 'memory' ? undefined : lockPgliteDir(dir);
  // A new data directory starts from the install's initdb template when there is one (src/db/pglite-template.ts).
  const fresh = dir !== 'memory' && !existsSync(join(dir, 'PG_VERSION'));
  const loadFrom = options.pgliteLoadFrom ?? (fresh ? await readPgliteTemplate() : undefined);
  let client: PGlite;
  try {
    client = await PGlite.create({
      ...(dir === 'memory' ? {} : { dataDir: dir }),
      ...(loadFrom ? { loadDataDir: loadFrom } : {}),
      extensions: { btree_gist, pg_trgm },
      parsers: {
        1082: (v: string) => v, // date
        20: (v: string) => Number(v), // int8
        1700: (v: string) => Number(v), // numeric
      },
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
  // After loading a tarball PGlite syncs its whole file system after every query until something syncs
  // it once (its own initdb path does this; loadDataDir does not): 5–8× slower queries otherwise.
  if (loadFrom) await client.syncToFs();
  const stats = { queries: 0 };
  // One connection, which Kysely's PGlite driver hands to one caller at a time: counted for /metrics.
  const connections: ConnectionCounter = { inUse: 0, waiting: 0 };
  const db = new Kysely<DB>({
    dialect: tracedDialect(
      guardTransactions(countConnections(new PGliteDialect(client), connections)),
      'postgresql',
    ),
    log: () => void stats.queries++,
  });
  return {
    db,
    kind: 'pglite',
    stats,
    poolStats: () => ({ primary: singleConnectionStats(connections), replicas: [] }),
    dumpPglite: () => client.dumpDataDir('none'),
    close: async () => {
      try {
        await db.destroy();
        // Kysely leaves a driver that never ran a query alone: close the instance itself too.
        if (!client.closed) await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.readReplicas?.urls.length && (!options.url || isMysqlUrl(options.url))) {
    throw new Error(
      `read replicas need PostgreSQL (DATABASE_URL=postgres://…); ${options.url ? 'MySQL/MariaDB' : 'embedded PGlite'} has none`,
    );
  }
  if (options.url && isMysqlUrl(options.url)) return createMysqlDatabase(options.url, options);
  if (options.url) return createPostgresDatabase(options.url, options);
  return createPgliteDatabase(options);
}
