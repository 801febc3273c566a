/**
 * Database connection: PostgreSQL through `pg` when a URL is given, embedded PGlite otherwise.
 * Services receive the Kysely handle and never learn which engine is behind it.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { DB } from './schema/index.js';

export type DatabaseKind = 'postgres' | 'pglite';

export interface Database {
  db: Kysely<DB>;
  /** Statements executed through `db` so far (tests assert on it; no N+1). */
  stats: { queries: number };
  kind: DatabaseKind;
  /** The pg pool, when running on PostgreSQL (exposed for health checks and metrics). */
  pool?: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url?: string | undefined;
  /** PGlite data directory, or `memory` for an in-memory database. */
  pgliteDataDir?: string;
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

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
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
    extensions: { btree_gist, pg_trgm },
    parsers: {
      1082: (v: string) => v, // date
      20: (v: string) => Number(v), // int8
      1700: (v: string) => Number(v), // numeric
    },
  });
  const stats = { queries: 0 };
  const db = new Kysely<DB>({ dialect: new PGliteDialect(client), log: () => void stats.queries++ });
  return { db, kind: 'pglite', stats, close: () => db.destroy() };
}
