/**
 * Read replicas (PostgreSQL streaming replicas, DATABASE_READ_URL) and the one way services use them:
 * `await ctx.reads(actor)` gives the Kysely handle a read should run on.
 *
 *  - **Which handle.** A replica fit for reads (round-robin over those that answer and are within
 *    DATABASE_READ_MAX_LAG_MS of the primary), or the primary when there is none, or when the caller
 *    changed something in the last DATABASE_READ_STICKY_MS (read-your-writes, below).
 *  - **Writes and transactions never reach a replica.** `ctx.db` and `inTransaction` are the primary
 *    only; a replica handle refuses to open a transaction and refuses INSERT/UPDATE/DELETE/MERGE, even
 *    when it is serving from the primary.
 *  - **Read-your-writes.** After a successful change by a signed-in user (any non-GET request that did not
 *    fail; GraphQL: a mutation), `wrote(actor)` marks the user for DATABASE_READ_STICKY_MS, and their
 *    reads go to the primary meanwhile. The mark lives in the cache (Redis when REDIS_URL is set, so every
 *    API process sees it; memory otherwise; fail-soft either way) and in this process's memory.
 *  - **Lag.** Every DATABASE_READ_CHECK_MS (unref'd timer) the primary's WAL position is sampled and
 *    each replica is asked how far it has replayed. A replica whose replay position has passed a sample
 *    has every commit made before that sample: its staleness is at most the age of the newest such
 *    sample, and at most the age of its last replayed commit (`pg_last_xact_replay_timestamp()`, a bound
 *    only while WAL is pending: on an idle primary that timestamp is old though nothing is missing). A
 *    replica with nothing pending has lag 0. Past DATABASE_READ_MAX_LAG_MS a replica is `lagging` and
 *    left alone until it catches up.
 *  - **Down.** A connection failure on a replica (refused, reset, shut down, connect timeout) marks it
 *    `down` for a few seconds and the query is run again on the primary (reads only, so that is safe);
 *    a query cancelled by a replay conflict is run again on the primary too. A failing check keeps it
 *    down; the first passing check after the pause brings it back.
 */
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresDriver,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import type pg from 'pg';
import client from 'prom-client';
import type { Cache } from '../platform/cache.js';
import { registry } from '../platform/metrics.js';
import type { DB } from './schema/index.js';

export type ReplicaStatus = 'ok' | 'lagging' | 'down';

export interface ReplicaState {
  /** host:port/database of the replica (no credentials). */
  name: string;
  status: ReplicaStatus;
  /** Estimated staleness at the last check (ms); null when unknown (down, or never measured). */
  lagMs: number | null;
  /** Queries the replica answered, and queries sent to it that the primary answered instead. */
  served: { replica: number; primary: number };
}

export interface ReadReplicas {
  /** A replica fit for reads now (round-robin), or undefined: read from the primary. */
  pick(): Kysely<DB> | undefined;
  states(): ReplicaState[];
  /** Measure every replica now (the timer calls it; tests too). */
  check(): Promise<void>;
  close(): Promise<void>;
}

const routed = new client.Counter({
  name: 'roost_db_reads_routed_total',
  help: 'Read handles given out by ctx.reads: to a replica, or to the primary (sticky: the caller just wrote; unavailable: no replica fit)',
  labelNames: ['target'] as const,
  registers: [registry],
});
const fallbacks = new client.Counter({
  name: 'roost_db_replica_fallbacks_total',
  help: 'Reads sent to a replica and run again on the primary, by replica and reason',
  labelNames: ['replica', 'reason'] as const,
  registers: [registry],
});
const replicaUp = new client.Gauge({
  name: 'roost_db_replica_up',
  help: 'Whether a read replica is taking reads (1) or set aside, lagging or down (0)',
  labelNames: ['replica'] as const,
  registers: [registry],
});
const replicaLag = new client.Gauge({
  name: 'roost_db_replica_lag_seconds',
  help: 'Estimated staleness of a read replica at its last check',
  labelNames: ['replica'] as const,
  registers: [registry],
});

/** How long a replica that failed a connection stays out of rotation before a check may bring it back. */
const DOWN_FOR_MS = 5_000;

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, or shutting down)
  '53300', // too_many_connections
]);
const CONNECTION_ERROR_TEXT =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|server closed the connection|not queryable/i;

/** The replica (or the way to it) failed, not the query: another server may well answer it. */
export function isConnectionFailure(err: unknown): boolean {
  const e = err as { code?: string; message?: string; errors?: unknown[] } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code && (CONNECTION_ERROR_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  if (Array.isArray(e.errors) && e.errors.some(isConnectionFailure)) return true;
  return CONNECTION_ERROR_TEXT.test(String(e.message ?? ''));
}

/** A hot standby cancelled the query because replaying WAL needed what it was reading. */
const isRecoveryConflict = (err: unknown) =>
  /conflict with recovery/i.test(String((err as { message?: string } | null)?.message ?? ''));

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

function readOnlyHandle(what: string): Error {
  return new Error(`${what} on a read handle (ctx.reads): writes and transactions go to ctx.db`);
}

/** An LSN ('16/B374D848') as a number that orders like it. */
function lsn(text: string | null | undefined): bigint | null {
  if (!text) return null;
  const [hi, lo] = text.split('/');
  if (hi === undefined || lo === undefined) return null;
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/** Where the primary's WAL was at a moment. */
interface Sample {
  at: number;
  lsn: bigint;
}

/** Staleness of a replica that has replayed up to `replay` (see the file comment). */
export function estimateLag(
  history: readonly Sample[],
  replay: bigint,
  sinceLastReplayMs: number | null,
  now: number,
): number | null {
  const latest = history[history.length - 1];
  if (!latest) return sinceLastReplayMs;
  if (replay >= latest.lsn) return 0;
  let bound = Number.POSITIVE_INFINITY;
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i]!;
    if (s.lsn <= replay) {
      bound = now - s.at;
      break;
    }
  }
  if (sinceLastReplayMs !== null) bound = Math.min(bound, Math.max(0, sinceLastReplayMs));
  return Number.isFinite(bound) ? Math.round(bound) : null;
}

class Replica {
  status: ReplicaStatus = 'ok';
  lagMs: number | null = null;
  downUntil = 0;
  readonly served = { replica: 0, primary: 0 };
  readonly db: Kysely<DB>;

  constructor(
    readonly name: string,
    readonly pool: pg.Pool,
    primaryPool: pg.Pool,
  ) {
    this.db = new Kysely<DB>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new ReplicaDriver(this, pool, primaryPool),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
  }

  usable(now = Date.now()): boolean {
    return this.status === 'ok' && now >= this.downUntil;
  }

  /** A connection to it failed: out of rotation for a while. */
  failed() {
    this.status = 'down';
    this.lagMs = null;
    this.downUntil = Date.now() + DOWN_FOR_MS;
    this.publish();
  }

  publish() {
    replicaUp.set({ replica: this.name }, this.usable() ? 1 : 0);
    if (this.lagMs === null) replicaLag.remove({ replica: this.name });
    else replicaLag.set({ replica: this.name }, this.lagMs / 1000);
  }
}

/** What PostgresDriver hands out (typed as the generic connection on acquire, as its own on release). */
type PgConnection = Parameters<PostgresDriver['releaseConnection']>[0];

/** A connection of a replica handle: on the replica, or on the primary when the replica is unfit. */
class ReadConnection implements DatabaseConnection {
  constructor(
    readonly inner: PgConnection,
    readonly driver: PostgresDriver,
    private readonly owner: ReplicaDriver,
    private readonly onReplica: boolean,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (WRITES.has(query.query.kind)) throw readOnlyHandle(query.query.kind.replace('QueryNode', ''));
    if (!this.onReplica) return this.owner.onPrimary<R>(query, this.inner);
    try {
      const result = await this.inner.executeQuery<R>(query);
      this.owner.replica.served.replica++;
      return result;
    } catch (err) {
      const reason = isConnectionFailure(err)
        ? 'connection_error'
        : isRecoveryConflict(err)
          ? 'recovery_conflict'
          : undefined;
      if (!reason) throw err;
      if (reason === 'connection_error') this.owner.replica.failed();
      fallbacks.inc({ replica: this.owner.replica.name, reason });
      return this.owner.onPrimary<R>(query);
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    if (WRITES.has(query.query.kind)) throw readOnlyHandle(query.query.kind.replace('QueryNode', ''));
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

class ReplicaDriver implements Driver {
  private readonly toReplica: PostgresDriver;
  private readonly toPrimary: PostgresDriver;

  constructor(
    readonly replica: Replica,
    replicaPool: pg.Pool,
    primaryPool: pg.Pool,
  ) {
    this.toReplica = new PostgresDriver({ pool: replicaPool });
    // Shares the primary's pool (never ended here: it belongs to the primary's handle).
    this.toPrimary = new PostgresDriver({ pool: primaryPool });
  }

  async init() {
    await this.toReplica.init();
    await this.toPrimary.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.replica.usable()) {
      try {
        return new ReadConnection(
          (await this.toReplica.acquireConnection()) as PgConnection,
          this.toReplica,
          this,
          true,
        );
      } catch (err) {
        if (!isConnectionFailure(err)) throw err;
        this.replica.failed();
        fallbacks.inc({ replica: this.replica.name, reason: 'connection_error' });
      }
    }
    return new ReadConnection(
      (await this.toPrimary.acquireConnection()) as PgConnection,
      this.toPrimary,
      this,
      false,
    );
  }

  /** Run one read on the primary: on `conn` (already the primary's), or on a connection borrowed for it. */
  async onPrimary<R>(query: CompiledQuery, conn?: DatabaseConnection): Promise<QueryResult<R>> {
    this.replica.served.primary++;
    if (conn) return conn.executeQuery<R>(query);
    const borrowed = await this.toPrimary.acquireConnection();
    try {
      return await borrowed.executeQuery<R>(query);
    } finally {
      await this.toPrimary.releaseConnection(borrowed as PgConnection);
    }
  }

  async beginTransaction(): Promise<void> {
    throw readOnlyHandle('A transaction');
  }
  async commitTransaction(): Promise<void> {
    throw readOnlyHandle('A transaction');
  }
  async rollbackTransaction(): Promise<void> {
    throw readOnlyHandle('A transaction');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as ReadConnection;
    await c.driver.releaseConnection(c.inner);
  }

  async destroy(): Promise<void> {
    await this.toReplica.destroy();
  }
}

/** host:port/database of a URL, for logs, metrics and /health/ready (never credentials). */
export function replicaName(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

export interface ReadReplicaSetOptions {
  /** The replicas' pools (built with the primary's session settings). */
  pools: { url: string; pool: pg.Pool }[];
  primaryPool: pg.Pool;
  maxLagMs: number;
  checkEveryMs: number;
}

export function createReadReplicas(opts: ReadReplicaSetOptions): ReadReplicas {
  const replicas = opts.pools.map((p) => new Replica(replicaName(p.url), p.pool, opts.primaryPool));
  const history: Sample[] = [];
  let next = 0;
  let running: Promise<void> | undefined;
  let closed = false;
  const queryTimeout = Math.max(1000, opts.checkEveryMs);

  async function measure(r: Replica, now: number) {
    try {
      const { rows } = await r.pool.query<{
        in_recovery: boolean;
        replay_lsn: string | null;
        since_replay_ms: number | null;
      }>({
        text:
          'select pg_is_in_recovery() as in_recovery, pg_last_wal_replay_lsn()::text as replay_lsn, ' +
          '(extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8 as since_replay_ms',
        query_timeout: queryTimeout,
      } as pg.QueryConfig);
      const row = rows[0];
      const replay = lsn(row?.replay_lsn);
      // Not in recovery (pointed at a primary, or promoted): nothing to lag behind.
      r.lagMs =
        !row?.in_recovery || replay === null
          ? 0
          : estimateLag(
              history,
              replay,
              row.since_replay_ms === null ? null : Number(row.since_replay_ms),
              now,
            );
      if (Date.now() >= r.downUntil) {
        r.status = r.lagMs !== null && r.lagMs <= opts.maxLagMs ? 'ok' : 'lagging';
      }
    } catch {
      r.status = 'down';
      r.lagMs = null;
    }
    r.publish();
  }

  async function checkAll() {
    const now = Date.now();
    try {
      const { rows } = await opts.primaryPool.query<{ lsn: string }>({
        text: 'select pg_current_wal_lsn()::text as lsn',
        query_timeout: queryTimeout,
      } as pg.QueryConfig);
      const position = lsn(rows[0]?.lsn);
      if (position !== null) history.push({ at: now, lsn: position });
    } catch {
      // The primary did not answer: replicas are judged on what is known (their replay timestamps).
    }
    // Keep what can still bound a lag within the limit, plus a margin.
    const keepFrom = now - (opts.maxLagMs + 4 * opts.checkEveryMs);
    while (history.length > 2 && history[0]!.at < keepFrom) history.shift();
    await Promise.all(replicas.map((r) => measure(r, now)));
  }

  const check = () => {
    running ??= checkAll().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (!closed) void check();
  }, opts.checkEveryMs);
  timer.unref();
  for (const r of replicas) r.publish();

  return {
    pick() {
      const now = Date.now();
      for (let i = 0; i < replicas.length; i++) {
        const r = replicas[(next + i) % replicas.length]!;
        if (r.usable(now)) {
          next = (next + i + 1) % replicas.length;
          return r.db;
        }
      }
      return undefined;
    },
    states: () =>
      replicas.map((r) => ({
        name: r.name,
        status: r.usable() ? 'ok' : r.status === 'ok' ? 'down' : r.status,
        lagMs: r.lagMs,
        served: { ...r.served },
      })),
    check,
    async close() {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
      for (const r of replicas) {
        replicaUp.remove({ replica: r.name });
        replicaLag.remove({ replica: r.name });
      }
      await Promise.all(replicas.map((r) => r.db.destroy()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Routing: which handle a read of a given caller uses.

export interface ReadRouting {
  /** The handle for a read by `actor` (null: anonymous): a replica, or the primary. */
  reads(actor: { userId: string } | null | undefined): Promise<Kysely<DB>>;
  /** `actor` changed something: their reads go to the primary for the sticky window. */
  wrote(actor: { userId: string }): Promise<void>;
}

const stickyKey = (userId: string) => `rw:${userId}`;

export function createReadRouting(opts: {
  primary: Kysely<DB>;
  replicas?: ReadReplicas | undefined;
  cache: Cache;
  stickyMs: number;
}): ReadRouting {
  const { primary, replicas, cache, stickyMs } = opts;
  if (!replicas) return { reads: async () => primary, wrote: async () => {} };
  /** This process's own marks (no cache round trip for a user who wrote through this process). */
  const local = new Map<string, number>();

  async function sticky(userId: string): Promise<boolean> {
    if (stickyMs <= 0) return false;
    const now = Date.now();
    const mine = local.get(userId);
    if (mine !== undefined) {
      if (mine > now) return true;
      local.delete(userId);
    }
    // Another API process may have taken the write. The cache never fails a request (fail-soft).
    const until = await cache.get<number>(stickyKey(userId)).catch(() => undefined);
    return typeof until === 'number' && until > now;
  }

  return {
    async reads(actor) {
      if (actor && (await sticky(actor.userId))) {
        routed.inc({ target: 'primary_sticky' });
        return primary;
      }
      const db = replicas.pick();
      routed.inc({ target: db ? 'replica' : 'primary_unavailable' });
      return db ?? primary;
    },
    async wrote(actor) {
      if (stickyMs <= 0) return;
      const now = Date.now();
      const until = now + stickyMs;
      if (local.size >= 10_000) for (const [id, t] of local) if (t <= now) local.delete(id);
      local.set(actor.userId, until);
      await cache.set(stickyKey(actor.userId), until, Math.ceil(stickyMs / 1000)).catch(() => undefined);
    },
  };
}

/**
 * With replicas, a cache entry filled from a replica just after an invalidation may hold what the
 * invalidation was for (the replica had not replayed the change yet), and would be served for its whole
 * TTL. So every invalidation is done again once a replica in rotation must have the change
 * (`delayMs`: the lag bound plus one check).
 */
export class ReplicaAwareCache implements Cache {
  private readonly later = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly inner: Cache,
    private readonly delayMs: number,
  ) {}

  get<T>(key: string) {
    return this.inner.get<T>(key);
  }
  set(key: string, value: unknown, ttlSeconds: number) {
    return this.inner.set(key, value, ttlSeconds);
  }
  take<T>(key: string) {
    return this.inner.take<T>(key);
  }
  version(namespace: string) {
    return this.inner.version(namespace);
  }
  async del(key: string) {
    await this.inner.del(key);
    this.again(`del:${key}`, () => this.inner.del(key));
  }
  async bump(namespace: string) {
    await this.inner.bump(namespace);
    this.again(`bump:${namespace}`, () => this.inner.bump(namespace));
  }

  private again(id: string, invalidate: () => Promise<void>) {
    clearTimeout(this.later.get(id));
    const timer = setTimeout(() => {
      this.later.delete(id);
      invalidate().catch(() => undefined);
    }, this.delayMs);
    timer.unref();
    this.later.set(id, timer);
  }
}
