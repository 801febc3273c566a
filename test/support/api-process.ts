/**
 * The real API process (src/server.ts, as `npm start` runs it) on the engine under test, for tests that
 * drive the public API from outside (the typed client, the Postman collection):
 *  - `postgres`: a copy of the migrated template database;
 *  - `mysql`: a MySQL/MariaDB database of the file's own (migrated);
 *  - `pglite`: an embedded PGlite data directory of its own (the server migrates it at start-up, as
 *    `npm start` does on a bare machine).
 * Redis is the shared server, under a DB index and key prefix of the caller's own (removed by `close`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { freePort, killLeftovers, type RoostProcess, startRoost, waitUntilServing } from './processes.js';
import { dropPrefix, redisUrl, uniquePrefix } from './redis.js';
import { TEST_JWT_SECRET } from './test-app.js';
import { createTestDatabase, type TestDatabase, type TestDbKind, testDbKind } from './test-db.js';

export interface ApiProcess {
  /** e.g. http://127.0.0.1:34567 */
  baseUrl: string;
  engine: TestDbKind;
  api: RoostProcess;
  /** Its database (PostgreSQL or MySQL; none for PGlite), e.g. for `createTestApp({ database })`. */
  database: TestDatabase | undefined;
  /** The environment it was started with (a second process `sharing` it starts with the same). */
  env: Record<string, string>;
  /**
   * Stop the process (SIGTERM), drop its database, its Redis keys and its directory (a process started
   * `sharing` another leaves the database and the keys to that one).
   */
  close(): Promise<void>;
}

export async function startApiProcess(opts: {
  name: string;
  /** A Redis DB index of the caller's own on the shared server. */
  redisDb: number;
  env?: Record<string, string>;
  /** The engine, instead of TEST_DB's (e.g. PostgreSQL where PGlite cannot serve two processes). */
  engine?: TestDbKind;
  /**
   * Start a second API process on the same database, Redis DB index and key prefix as this one (and
   * the same environment, plus `env`), as a deployment with several API processes runs. Not PGlite's.
   */
  sharing?: ApiProcess;
}): Promise<ApiProcess> {
  const engine = opts.sharing?.engine ?? opts.engine ?? testDbKind();
  if (opts.sharing && !opts.sharing.database) throw new Error('an embedded PGlite serves one process only');
  const dir = mkdtempSync(join(tmpdir(), `roost-${opts.name}-`));
  let database: TestDatabase | undefined = opts.sharing?.database;
  if (!opts.sharing && engine === 'postgres') {
    database = await createTestDatabase(
      testDbKind() === 'postgres' ? inject('templateDatabase') : undefined,
      'postgres',
    );
  } else if (!opts.sharing && engine === 'mysql') database = await createTestDatabase(undefined, 'mysql');
  const redisAt = new URL(redisUrl());
  redisAt.pathname = `/${opts.redisDb}`;
  const prefix = opts.sharing?.env['QUEUE_PREFIX'] ?? uniquePrefix(opts.name);
  const port = await freePort();
  const env: Record<string, string> = {
    ...(database ? { DATABASE_URL: database.url! } : { PGLITE_DATA_DIR: join(dir, 'pglite') }),
    REDIS_URL: redisAt.toString(),
    QUEUE_PREFIX: prefix,
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: join(dir, 'data'),
    MAIL_DIR: join(dir, 'mail'),
    UPLOADS_DIR: join(dir, 'uploads'),
    LOG_LEVEL: 'warn',
    ...opts.sharing?.env,
    ...opts.env,
  };
  if (opts.sharing && env['REDIS_URL'] !== redisAt.toString()) {
    throw new Error(`a process sharing ${opts.sharing.baseUrl} must use its Redis DB index`);
  }
  const api = startRoost('src/server.ts', { ...env, PORT: String(port) }, opts.name);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(api, `${baseUrl}/health/ready`, 90_000);
  } catch (err) {
    killLeftovers();
    if (!opts.sharing) await database?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  if (opts.sharing) {
    // The database and the Redis keys are the first process's to drop.
    const close = async () => {
      try {
        await api.stop('SIGTERM', 15_000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    return { baseUrl, engine, api, database, env, close };
  }
  return {
    baseUrl,
    engine,
    api,
    database,
    env,
    async close() {
      try {
        await api.stop('SIGTERM', 15_000);
      } finally {
        killLeftovers();
        const redis = new Redis(redisAt.toString(), { maxRetriesPerRequest: 3 });
        // The queue's keys, and the API's own (rate-limit counters, caches) in this DB index.
        await dropPrefix(redis, prefix).catch(() => {});
        await dropPrefix(redis, 'roost:').catch(() => {});
        redis.disconnect();
        await database?.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
