/**
 * Connection counts of a database's pools, for the `roost_db_pool_*` gauges in /metrics: the same four
 * numbers on every engine.
 *
 *  - PostgreSQL (`pg`): the pool's own counters.
 *  - MySQL/MariaDB (`mysql2`): the pool's connection lists (mysql2 has no public counters, and its events
 *    do not tell when a connection is dropped or a queued request is served).
 *  - PGlite: one connection, serialised by its Kysely driver; the dialect is wrapped to count who holds
 *    it and who waits for it.
 */
import type { DatabaseConnection, Dialect, Driver } from 'kysely';
import type { Pool as MysqlPool } from 'mysql2';
import type pg from 'pg';
import type { PoolStats } from '../platform/metrics.js';

export function pgPoolStats(pool: pg.Pool): PoolStats {
  const total = pool.totalCount;
  const idle = pool.idleCount;
  return { max: pool.options.max ?? 10, total, idle, inUse: total - idle, waiting: pool.waitingCount };
}

/** What this file reads of mysql2's pool (lib/base/pool.js: denque queues with a `length`). */
interface MysqlPoolInternals {
  config?: { connectionLimit?: number };
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
}

export function mysqlPoolStats(pool: MysqlPool): PoolStats {
  const p = pool as unknown as MysqlPoolInternals;
  const total = p._allConnections?.length ?? 0;
  const idle = p._freeConnections?.length ?? 0;
  return {
    max: p.config?.connectionLimit ?? 10,
    total,
    idle,
    inUse: Math.max(0, total - idle),
    waiting: p._connectionQueue?.length ?? 0,
  };
}

/** Counts kept by `countConnections`. */
export interface ConnectionCounter {
  /** Connections handed out and not yet released. */
  inUse: number;
  /** acquireConnection calls not yet answered. */
  waiting: number;
}

/**
 * `dialect` with a driver that counts, in `counter`, the connections Kysely holds and the acquisitions
 * still waiting. Every other driver call goes straight through (savepoints only where the driver has them).
 */
export function countConnections(dialect: Dialect, counter: ConnectionCounter): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => countingDriver(dialect.createDriver(), counter),
  };
}

function countingDriver(inner: Driver, counter: ConnectionCounter): Driver {
  const driver: Driver = {
    init: (o) => inner.init(o),
    async acquireConnection(o) {
      counter.waiting++;
      let conn: DatabaseConnection;
      try {
        conn = await inner.acquireConnection(o);
      } finally {
        counter.waiting--;
      }
      counter.inUse++;
      return conn;
    },
    async releaseConnection(conn, o) {
      counter.inUse--;
      await inner.releaseConnection(conn, o);
    },
    beginTransaction: (conn, settings) => inner.beginTransaction(conn, settings),
    commitTransaction: (conn) => inner.commitTransaction(conn),
    rollbackTransaction: (conn) => inner.rollbackTransaction(conn),
    destroy: (o) => inner.destroy(o),
  };
  if (inner.savepoint) driver.savepoint = inner.savepoint.bind(inner);
  if (inner.rollbackToSavepoint) driver.rollbackToSavepoint = inner.rollbackToSavepoint.bind(inner);
  if (inner.releaseSavepoint) driver.releaseSavepoint = inner.releaseSavepoint.bind(inner);
  return driver;
}

/** PGlite's single connection as pool numbers. */
export function singleConnectionStats(counter: ConnectionCounter): PoolStats {
  const inUse = Math.min(1, counter.inUse);
  return { max: 1, total: 1, idle: 1 - inUse, inUse, waiting: counter.waiting };
}
