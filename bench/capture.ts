/**
 * The SQL a request runs, captured from the application under test (`--app`): its own service modules
 * are imported (TypeScript, through tsx) and called with its own service context over a spy Kysely
 * whose `log` records every statement, BEGIN and COMMIT included, in order. The raw replay
 * (bench/raw-sql.ts) then runs exactly that list.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CompiledQuery, type Dialect, Kysely, MysqlDialect, PostgresDialect, sql } from 'kysely';
import { createPool as createMysqlPool } from 'mysql2';
import pg from 'pg';
import { mysqlPoolOptions } from '../src/db/database.js';

export interface Statement {
  sql: string;
  parameters: unknown[];
}

/** JSON-safe parameters (Dates become {$date}). */
export type WireParam = string | number | boolean | null | { $date: string } | { $json: unknown };
export interface WireStatement {
  sql: string;
  parameters: WireParam[];
}

export function toWire(s: Statement): WireStatement {
  return {
    sql: s.sql,
    parameters: s.parameters.map((p): WireParam => {
      if (p instanceof Date) return { $date: p.toISOString() };
      if (p === null || p === undefined) return null;
      if (typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean') return p;
      if (typeof p === 'bigint') return Number(p);
      return { $json: p };
    }),
  };
}

export function fromWire(p: WireParam): unknown {
  if (p !== null && typeof p === 'object') return '$date' in p ? new Date(p.$date) : p.$json;
  return p;
}

/** MySQL session set-up the application's pool runs on each connection (src/db/database.ts). */
export const MYSQL_SESSION = [
  "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY'",
  'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
];

function dialectFor(url: string, engine: 'postgres' | 'mysql', pgOptions: string): Dialect {
  if (engine === 'postgres') {
    const pool = new pg.Pool({ connectionString: url, max: 2, ...(pgOptions ? { options: pgOptions } : {}) });
    pool.on('error', () => undefined);
    return new PostgresDialect({ pool });
  }
  const pool = createMysqlPool(mysqlPoolOptions(url, 2));
  return new MysqlDialect({
    pool,
    onCreateConnection: async (conn) => {
      for (const s of MYSQL_SESSION) await conn.executeQuery(CompiledQuery.raw(s));
    },
  });
}

// The target's modules are loaded at run time from another directory: typed here by what is used.
interface TargetConfigModule {
  loadConfig(env: Record<string, string | undefined>): unknown;
}
interface TargetDatabaseModule {
  createDatabase(options: { url: string; poolMax: number }): Promise<{
    db: Kysely<never>;
    close(): Promise<void>;
  }>;
}
interface TargetServicesModule {
  createServiceContext(config: unknown, database: unknown): unknown;
}
interface TargetPropertiesModule {
  searchProperties(ctx: unknown, query: Record<string, unknown>): Promise<{ items?: unknown[] }>;
}
interface TargetBookModule {
  createBooking(
    ctx: unknown,
    actor: { userId: string; role: string; sessionId: string },
    input: { propertyId: string; checkIn: string; checkOut: string; guests: number },
    idempotencyKey: string | undefined,
  ): Promise<{ status: number; body: { id: string } }>;
}

const importFrom = async <T>(appDir: string, rel: string): Promise<T> =>
  (await import(pathToFileURL(join(appDir, rel)).href)) as T;

/** A capture session over the target's modules; `close` ends its pool. */
export async function openCapture(
  appDir: string,
  url: string,
  engine: 'postgres' | 'mysql',
  env: Record<string, string>,
) {
  const pgOptions = engine === 'postgres' ? await sessionOptions(appDir, url) : '';
  const log: Statement[] = [];
  const db = new Kysely<never>({
    dialect: dialectFor(url, engine, pgOptions),
    log: (e) => {
      if (e.level === 'query') log.push({ sql: e.query.sql, parameters: [...e.query.parameters] });
    },
  });
  const { loadConfig } = await importFrom<TargetConfigModule>(appDir, 'src/platform/config.ts');
  const { createServiceContext } = await importFrom<TargetServicesModule>(appDir, 'src/services.ts');
  const config = loadConfig({ ...env, CACHE_TTL_SECONDS: '0' });
  const database = { db, kind: engine, stats: { queries: 0 }, close: () => db.destroy() };
  const ctx = createServiceContext(config, database);
  const record = async (fn: () => Promise<unknown>): Promise<Statement[]> => {
    log.length = 0;
    await fn();
    return log.splice(0);
  };
  return {
    async search(query: Record<string, unknown>): Promise<{ statements: Statement[]; results: number }> {
      const { searchProperties } = await importFrom<TargetPropertiesModule>(
        appDir,
        'src/modules/properties/properties.service.ts',
      );
      let results = 0;
      const statements = await record(async () => {
        results = (await searchProperties(ctx, query)).items?.length ?? 0;
      });
      return { statements, results };
    },
    async booking(
      actor: { userId: string; role: string; sessionId: string },
      input: { propertyId: string; checkIn: string; checkOut: string; guests: number },
    ): Promise<{ statements: Statement[]; status: number; capturedAt: number }> {
      const { createBooking } = await importFrom<TargetBookModule>(appDir, 'src/flows/book.ts');
      const capturedAt = Date.now();
      let status = 0;
      const statements = await record(async () => {
        status = (await createBooking(ctx, actor, input, undefined)).status;
      });
      return { statements, status, capturedAt };
    },
    /** The session settings the application's pool gives its connections, as a pg `options` string. */
    pgOptions,
    close: () => db.destroy(),
  };
}

/**
 * What the application's own pool sets on its PostgreSQL connections (e.g. `jit = off` in the startup
 * packet, or a SET on connect): read from a connection of that pool, replayed by the raw side.
 */
async function sessionOptions(appDir: string, url: string): Promise<string> {
  const { createDatabase } = await importFrom<TargetDatabaseModule>(appDir, 'src/db/database.ts');
  const database = await createDatabase({ url, poolMax: 1 });
  try {
    const { rows } = await sql<{ name: string; setting: string }>`
      select name, setting from pg_settings
      where source in ('client', 'session') and name not in ('client_encoding', 'application_name')
      order by name`.execute(database.db);
    return rows.map((r) => `-c ${r.name}=${r.setting.replace(/([\\ ])/g, '\\$1')}`).join(' ');
  } finally {
    await database.close();
  }
}
