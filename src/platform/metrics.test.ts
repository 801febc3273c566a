/**
 * The database pool gauges of /metrics on the engine this suite runs on (TEST_DB: PostgreSQL, PGlite or
 * MariaDB), and on a PostgreSQL read replica's pool whatever TEST_DB says: connections open, idle, in use
 * and waiting while a transaction holds the only connection and a query queues behind it, and all idle
 * again afterwards. The worker's plain-HTTP endpoint (`serveMetrics`) is exercised here too.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testDbKind } from '../../test/support/test-db.js';
import { createDatabase, type Database } from '../db/database.js';
import { type PoolStats, registry, serveMetrics, trackPools } from './metrics.js';

const kind = testDbKind();
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(kind === 'mysql' ? undefined : inject('templateDatabase'));
});
afterAll(async () => {
  await database?.close();
});

/** The value of each series of a gauge, keyed by its labels as written (`state="idle"`, or '' for none). */
async function gauge(name: string): Promise<Map<string, number>> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return new Map(
    values.map((v) => [
      Object.entries(v.labels)
        .map(([k, l]) => `${k}="${l}"`)
        .join(','),
      v.value,
    ]),
  );
}

const STATES = ['total', 'idle', 'in_use', 'waiting'] as const;

/** roost_db_pool_connections by state (the sum over every database this process tracks). */
async function poolGauge(): Promise<Record<(typeof STATES)[number], number>> {
  const g = await gauge('roost_db_pool_connections');
  return Object.fromEntries(STATES.map((s) => [s, g.get(`state="${s}"`) ?? Number.NaN])) as Record<
    (typeof STATES)[number],
    number
  >;
}

const minus = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(Object.keys(a).map((k) => [k, a[k]! - (b[k] ?? 0)]));

/** Resolves once `check` holds (polled), or throws after `ms`. */
async function until(check: () => boolean, ms: number, label: string) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe(`database pool gauges (${kind})`, () => {
  it('count the open, idle, in-use and waiting connections of a one-connection pool as a transaction holds it', async () => {
    // PGlite has one connection anyway; on a server, a pool of one makes the second caller wait.
    const small: Database = database.url ? await createDatabase({ url: database.url, poolMax: 1 }) : database;
    // Other files' databases in this worker are tracked too: compare with the gauges before this one is.
    const before = await poolGauge();
    const maxBefore = (await gauge('roost_db_pool_max_connections')).get('') ?? 0;
    const untrack = trackPools(small);
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let inTransaction = false;
    try {
      expect(minus(await poolGauge(), before)).toEqual(
        kind === 'pglite'
          ? { total: 1, idle: 1, in_use: 0, waiting: 0 } // its one connection, always open
          : { total: 0, idle: 0, in_use: 0, waiting: 0 }, // no connection opened yet
      );
      expect((await gauge('roost_db_pool_max_connections')).get('')! - maxBefore).toBe(1);

      const transaction = small.db.transaction().execute(async (trx) => {
        await trx.selectFrom('users').select('id').limit(1).execute();
        inTransaction = true;
        await held;
      });
      await until(() => inTransaction, 10_000, 'the transaction to start');
      const second = small.db.selectFrom('users').select('id').limit(1).execute();
      await until(() => small.poolStats().primary.waiting === 1, 10_000, 'the second query to wait');
      const busy: PoolStats = small.poolStats().primary;
      expect(busy).toEqual({ max: 1, total: 1, idle: 0, inUse: 1, waiting: 1 });
      expect(minus(await poolGauge(), before)).toEqual({ total: 1, idle: 0, in_use: 1, waiting: 1 });

      release();
      await transaction;
      await second;
      await until(() => small.poolStats().primary.inUse === 0, 10_000, 'the connection to be released');
      expect(small.poolStats().primary).toEqual({ max: 1, total: 1, idle: 1, inUse: 0, waiting: 0 });
      expect(minus(await poolGauge(), before)).toEqual({ total: 1, idle: 1, in_use: 0, waiting: 0 });
      expect(small.poolStats().replicas).toEqual([]);
    } finally {
      release();
      untrack();
      if (small !== database) await small.close();
    }
    // Untracked: its connections no longer count.
    expect(minus(await poolGauge(), before)).toEqual({ total: 0, idle: 0, in_use: 0, waiting: 0 });
  });

  it('count a failed transaction’s connection as released (idle again, nothing in use)', async () => {
    const before = database.poolStats().primary;
    await expect(
      database.db.transaction().execute(async (trx) => {
        await trx.selectFrom('users').select('id').limit(1).execute();
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    const after = database.poolStats().primary;
    expect(after.inUse).toBe(0);
    expect(after.waiting).toBe(0);
    expect(after.idle).toBe(after.total);
    expect(after.total).toBeGreaterThanOrEqual(Math.max(1, before.total));
    expect(after.max).toBe(kind === 'pglite' ? 1 : 20);
  });
});

describe('read replica pool gauges (PostgreSQL, whatever TEST_DB says)', () => {
  it('show each replica pool by name, and drop it when the database closes', async () => {
    const primary = await createTestDatabase(
      kind === 'postgres' ? inject('templateDatabase') : undefined,
      'postgres',
    );
    // The primary itself stands in as its own "replica": a second pool, with the replica machinery.
    const url = primary.url!;
    const withReplica = await createDatabase({
      url,
      poolMax: 3,
      readReplicas: { urls: [url], maxLagMs: 2_000, checkEveryMs: 60_000 },
    });
    const name = withReplica.replicas!.states()[0]!.name;
    const untrack = trackPools(withReplica);
    try {
      const u = new URL(url);
      expect(name).toBe(`${u.hostname}:${u.port || '5432'}${u.pathname}`);
      const stats = withReplica.poolStats();
      expect(stats.replicas).toHaveLength(1);
      expect(stats.replicas[0]!.name).toBe(name);
      // The start-up lag check opened one connection on it, idle again now.
      expect(stats.replicas[0]!.stats).toMatchObject({ max: 3, total: 1, idle: 1, inUse: 0, waiting: 0 });
      const g = await gauge('roost_db_replica_pool_connections');
      expect(g.get(`replica="${name}",state="total"`)).toBe(1);
      expect(g.get(`replica="${name}",state="idle"`)).toBe(1);
      expect(g.get(`replica="${name}",state="in_use"`)).toBe(0);
      expect(g.get(`replica="${name}",state="waiting"`)).toBe(0);
      const text = await registry.metrics();
      expect(text).toContain(`roost_db_replica_pool_connections{replica="${name}",state="total"} 1`);
    } finally {
      untrack();
      await withReplica.close();
      await primary.close();
    }
    expect((await gauge('roost_db_replica_pool_connections')).has(`replica="${name}",state="total"`)).toBe(
      false,
    );
  });
});

describe('serveMetrics (the worker’s endpoint)', () => {
  it('answers GET /metrics in the Prometheus text format, 404 elsewhere, and refuses a port in use', async () => {
    const server = await serveMetrics(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toMatch(/^# HELP roost_db_pool_connections /m);
      expect(text).toMatch(/^# TYPE roost_job_duration_seconds histogram$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
      for (const path of ['/', '/metrics/extra', '/health']) {
        const other = await fetch(`${base}${path}`);
        expect(other.status, path).toBe(404);
        await other.arrayBuffer();
      }
      const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
      expect(post.status).toBe(404);
      await post.arrayBuffer();
      await expect(serveMetrics(server.port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await server.close();
    }
    await expect(fetch(`http://127.0.0.1:${server.port}/metrics`)).rejects.toThrow();
  });
});
