/**
 * A small cache for read-heavy endpoints (listing detail, search pages, the per-request session check):
 * Redis when REDIS_URL is set, memory otherwise. Invalidation is explicit: delete a key, or bump a
 * namespace's version so every key built under the old version is never read again (and expires by TTL).
 *
 * Redis is an optimisation here, never a dependency a request may fail on: with Redis, the cache is a
 * `FailSoftCache`, and every Redis call made on a request's behalf (cache, rate limits, readiness) goes
 * through one `RedisGuard` per client, which bounds it in time and bypasses Redis while it fails.
 */
import type { Redis } from 'ioredis';
import client from 'prom-client';
import { registry } from './metrics.js';

export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Read and delete in one step: of concurrent takes of one key, at most one gets the value. */
  take<T>(key: string): Promise<T | undefined>;
  /** Current version of a namespace (starts at 0). */
  version(namespace: string): Promise<number>;
  /** Invalidate a whole namespace. */
  bump(namespace: string): Promise<void>;
}

export class RedisCache implements Cache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'roost:cache:',
  ) {}
  async get<T>(key: string) {
    const raw = await this.redis.get(this.prefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }
  async set(key: string, value: unknown, ttlSeconds: number) {
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'EX', ttlSeconds);
  }
  async del(key: string) {
    await this.redis.del(this.prefix + key);
  }
  async take<T>(key: string) {
    const raw = await this.redis.getdel(this.prefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }
  async version(namespace: string) {
    return Number((await this.redis.get(`${this.prefix}v:${namespace}`)) ?? 0);
  }
  async bump(namespace: string) {
    await this.redis.incr(`${this.prefix}v:${namespace}`);
  }
}

export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  private readonly versions = new Map<string, number>();
  async get<T>(key: string) {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return JSON.parse(e.value) as T;
  }
  async set(key: string, value: unknown, ttlSeconds: number) {
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(key, { value: JSON.stringify(value), expires: Date.now() + ttlSeconds * 1000 });
  }
  async del(key: string) {
    this.entries.delete(key);
  }
  async take<T>(key: string) {
    // No await between the read and the delete: one take wins.
    const e = this.entries.get(key);
    this.entries.delete(key);
    return e && e.expires >= Date.now() ? (JSON.parse(e.value) as T) : undefined;
  }
  async version(namespace: string) {
    return this.versions.get(namespace) ?? 0;
  }
  async bump(namespace: string) {
    this.versions.set(namespace, (this.versions.get(namespace) ?? 0) + 1);
  }
}

/** Read through the cache: `load` runs on a miss and its result is stored. TTL 0 disables caching. */
export async function cached<T>(
  cache: Cache,
  key: string,
  ttlSeconds: number,
  load: () => Promise<T>,
): Promise<T> {
  if (ttlSeconds <= 0) return load();
  const hit = await cache.get<T>(key);
  if (hit !== undefined) return hit;
  const value = await load();
  await cache.set(key, value, ttlSeconds);
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Degrade, don't fail: bounded Redis calls with a circuit breaker, and a cache that falls back to memory.

const dependencyErrors = new client.Counter({
  name: 'roost_dependency_errors_total',
  help:
    'Calls to a dependency that failed or were bypassed, by operation and reason ' +
    '(error, timeout, unavailable: not sent because the connection is down or the circuit is open)',
  labelNames: ['dependency', 'op', 'reason'] as const,
  registers: [registry],
});

const dependencyUp = new client.Gauge({
  name: 'roost_dependency_up',
  help: 'Whether the last call to a dependency succeeded (1) or it is being bypassed (0)',
  labelNames: ['dependency'] as const,
  registers: [registry],
});

/** The part of a pino / Fastify logger the guard uses. */
export interface GuardLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
}

const consoleLogger: GuardLogger = {
  warn: (obj, msg) => console.error(JSON.stringify({ level: 'warn', msg, ...obj })),
  info: (obj, msg) => console.log(JSON.stringify({ level: 'info', msg, ...obj })),
};

/** Thrown (and caught by the callers in this module) when a Redis call is not made or not answered in time. */
export class RedisUnavailable extends Error {
  override name = 'RedisUnavailable';
}

export interface RedisGuardOptions {
  /** Bound of one call made on a request's behalf (default 100 ms). */
  timeoutMs?: number;
  /** Consecutive failures (errors, timeouts) that open the circuit (default 3). */
  failureThreshold?: number;
  /** How long an open circuit bypasses Redis before calls try it again (default 2 000 ms). */
  cooldownMs?: number;
  /** While Redis fails, at most one log line per this many ms (default 30 000). */
  logEveryMs?: number;
  log?: GuardLogger;
}

/**
 * Guards calls to one Redis client:
 *  - a call is not even sent unless the connection is `ready` (so ioredis's offline queue never makes a
 *    request wait for a reconnect), nor while the circuit is open (after `failureThreshold` consecutive
 *    errors or timeouts: a Redis that accepts connections but does not answer);
 *  - a call that is sent is bounded by `timeoutMs`;
 *  - failures are counted in `roost_dependency_errors_total{dependency="redis"}` and logged at most once
 *    per `logEveryMs` (first failure, periodic summaries, recovery), never once per request;
 *  - recovery needs nothing: ioredis reconnects by itself, its `ready` event closes the circuit, and the
 *    next call uses Redis again.
 */
export class RedisGuard {
  readonly timeoutMs: number;
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly logEveryMs: number;
  readonly log: GuardLogger;
  private failures = 0;
  private openUntil = 0;
  private degradedSince: number | null = null;
  private lastLogAt = 0;
  private unlogged = 0;
  private readonly readyListeners = new Set<() => void>();

  constructor(
    readonly redis: Redis,
    opts: RedisGuardOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 100;
    this.failureThreshold = opts.failureThreshold ?? 3;
    this.cooldownMs = opts.cooldownMs ?? 2000;
    this.logEveryMs = opts.logEveryMs ?? 30_000;
    this.log = opts.log ?? consoleLogger;
    // A listener also keeps ioredis from printing "Unhandled error event" on every reconnect attempt.
    redis.on('error', (err: Error) => this.failed('connection', 'error', err));
    redis.on('ready', () => {
      this.failures = 0;
      this.openUntil = 0;
      for (const listener of this.readyListeners) listener();
    });
    dependencyUp.set({ dependency: 'redis' }, redis.status === 'ready' ? 1 : 0);
  }

  /** Whether a call would be sent now: connected, circuit closed. */
  available(): boolean {
    return this.redis.status === 'ready' && Date.now() >= this.openUntil;
  }

  /** Called each time the connection becomes ready again (after a reconnect). */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * Run one Redis call within the bound, or throw: RedisUnavailable when it is not sent (connection down,
   * circuit open) or not answered in time, the client's error otherwise. Every failure is counted.
   */
  async run<T>(op: string, call: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    if (!this.available()) {
      this.failed(op, 'unavailable');
      throw new RedisUnavailable(`redis ${op}: not sent (connection ${this.redis.status}, or circuit open)`);
    }
    return this.send(op, call, timeoutMs);
  }

  /** Like `run`, but ignores an open circuit (still needs a connection): readiness probes. */
  async probe<T>(op: string, call: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    if (this.redis.status !== 'ready') {
      this.failed(op, 'unavailable');
      throw new RedisUnavailable(`redis ${op}: connection is ${this.redis.status}`);
    }
    return this.send(op, call, timeoutMs);
  }

  /** Count (and maybe log) a call that was bypassed without trying Redis. */
  bypassed(op: string) {
    this.failed(op, 'unavailable');
  }

  private async send<T>(op: string, call: () => Promise<T>, timeoutMs: number): Promise<T> {
    try {
      const value = await within(Promise.resolve().then(call), timeoutMs);
      this.succeeded();
      return value;
    } catch (err) {
      this.failed(op, err instanceof RedisUnavailable ? 'timeout' : 'error', err);
      throw err;
    }
  }

  private succeeded() {
    this.failures = 0;
    this.openUntil = 0;
    dependencyUp.set({ dependency: 'redis' }, 1);
    if (this.degradedSince === null) return;
    this.log.info(
      {
        dependency: 'redis',
        downForMs: Date.now() - this.degradedSince,
        failuresSinceLastLog: this.unlogged,
      },
      'redis is answering again: cache and rate limits use it again',
    );
    this.degradedSince = null;
    this.unlogged = 0;
  }

  private failed(op: string, reason: 'error' | 'timeout' | 'unavailable', err?: unknown) {
    dependencyErrors.inc({ dependency: 'redis', op, reason });
    const now = Date.now();
    if (reason !== 'unavailable' && ++this.failures >= this.failureThreshold) {
      this.openUntil = now + this.cooldownMs;
    }
    const detail = { dependency: 'redis', op, reason, ...(err ? { err: errorText(err) } : {}) };
    if (this.degradedSince === null) {
      this.degradedSince = now;
      this.lastLogAt = now;
      this.unlogged = 0;
      dependencyUp.set({ dependency: 'redis' }, 0);
      this.log.warn(
        detail,
        'redis is failing: serving without it (cache bypassed, rate limits counted locally)',
      );
    } else if (now - this.lastLogAt >= this.logEveryMs) {
      this.log.warn(
        { ...detail, downForMs: now - this.degradedSince, failuresSinceLastLog: this.unlogged + 1 },
        'redis is still failing',
      );
      this.lastLogAt = now;
      this.unlogged = 0;
    } else {
      this.unlogged++;
    }
  }
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/**
 * `p`, or a RedisUnavailable after `ms`. The timer's verdict waits for the I/O phase of the event loop
 * (setImmediate), so a reply that arrived while the loop was busy still wins over the timer: only a
 * slow Redis times out, not a slow process.
 */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new RedisUnavailable(`no answer within ${ms} ms`));
        }),
      ms,
    );
    p.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

const guards = new WeakMap<Redis, RedisGuard>();

/** The guard of a Redis client (one per client, shared by the cache, the rate limits and readiness). */
export function redisGuard(redis: Redis, opts: RedisGuardOptions = {}): RedisGuard {
  let guard = guards.get(redis);
  if (!guard) {
    guard = new RedisGuard(redis, opts);
    guards.set(redis, guard);
  }
  return guard;
}

export interface FailSoftCacheOptions {
  /** Lifetime cap of entries kept in process memory while Redis fails (default 5 s; 0: no local cache). */
  fallbackTtlSeconds?: number;
  /** Invalidations remembered for replay after an outage (default 10 000). */
  maxPending?: number;
}

/**
 * The Redis cache, failing soft. A Redis call that fails or is slow (see RedisGuard) never fails the
 * request: reads miss, writes are skipped, and meanwhile a process-local memory cache with a short TTL
 * (`fallbackTtlSeconds`) keeps the database from taking every read.
 *
 * Invalidations must not be lost, or an entry cached before the outage would be served after it (for up
 * to its TTL; with the session check, a revoked session accepted again). So a `del` or `bump` that does
 * not reach Redis is remembered, and until every remembered one has been replayed on Redis (when the
 * connection is ready again), this process keeps reading its local cache instead of Redis. Local
 * invalidations apply at once, so this process reads its own writes throughout.
 * What remains: another process may read such an entry from Redis between Redis's return and our replay
 * (ioredis reconnects within ~2 s, and we replay on its `ready` event), or a process that dies during
 * the outage takes its remembered invalidations with it; both are bounded by the entry's TTL
 * (CACHE_TTL_SECONDS, SESSION_CACHE_SECONDS). Across processes, an entry of the local cache can be up to
 * `fallbackTtlSeconds` old.
 */
export class FailSoftCache implements Cache {
  private local = new MemoryCache();
  private usedLocal = false;
  private readonly pendingDel = new Set<string>();
  private readonly pendingBump = new Set<string>();
  private replaying: Promise<void> | null = null;
  private readonly fallbackTtlSeconds: number;
  private readonly maxPending: number;
  private warnedOverflow = false;

  constructor(
    private readonly remote: Cache,
    private readonly guard: RedisGuard,
    opts: FailSoftCacheOptions = {},
  ) {
    this.fallbackTtlSeconds = opts.fallbackTtlSeconds ?? 5;
    this.maxPending = opts.maxPending ?? 10_000;
    guard.onReady(() => void this.replay());
  }

  /** Invalidations still owed to Redis (for tests and diagnostics). */
  get pendingInvalidations(): number {
    return this.pendingDel.size + this.pendingBump.size;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const r = await this.remoteCall('get', () => this.remote.get<T>(key));
    if (r.ok) return r.value;
    return this.local.get<T>(key);
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    const r = await this.remoteCall('set', () => this.remote.set(key, value, ttlSeconds));
    if (!r.ok && this.fallbackTtlSeconds > 0) {
      await this.local.set(key, value, Math.min(ttlSeconds, this.fallbackTtlSeconds));
    }
  }

  async del(key: string): Promise<void> {
    await this.local.del(key);
    const r = await this.remoteCall('del', () => this.remote.del(key));
    if (!r.ok) this.owe(this.pendingDel, key);
  }

  async take<T>(key: string): Promise<T | undefined> {
    // A value stored locally during an outage is taken there; one stored on Redis, from Redis.
    const local = await this.local.take<T>(key);
    if (local !== undefined) return local;
    const r = await this.remoteCall('take', () => this.remote.take<T>(key));
    return r.ok ? r.value : undefined;
  }

  async version(namespace: string): Promise<number> {
    const r = await this.remoteCall('version', () => this.remote.version(namespace));
    return r.ok ? r.value : this.local.version(namespace);
  }

  async bump(namespace: string): Promise<void> {
    await this.local.bump(namespace);
    const r = await this.remoteCall('bump', () => this.remote.bump(namespace));
    if (!r.ok) this.owe(this.pendingBump, namespace);
  }

  private async remoteCall<T>(
    op: string,
    call: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    if (this.pendingInvalidations > 0) {
      // Redis may still hold what those invalidations were meant to remove: not until they are replayed.
      if (this.guard.available()) void this.replay();
      else this.guard.bypassed(`cache_${op}`);
      this.usedLocal = true;
      return { ok: false };
    }
    try {
      const value = await this.guard.run(`cache_${op}`, call);
      if (this.usedLocal) {
        // Back on Redis: the local entries are not kept for the next outage.
        this.usedLocal = false;
        this.local = new MemoryCache();
      }
      return { ok: true, value };
    } catch {
      this.usedLocal = true;
      return { ok: false };
    }
  }

  private owe(set: Set<string>, item: string) {
    if (
      set.size + (set === this.pendingDel ? this.pendingBump.size : this.pendingDel.size) <
      this.maxPending
    ) {
      set.add(item);
    } else if (!this.warnedOverflow) {
      this.warnedOverflow = true;
      this.guard.log.warn(
        { dependency: 'redis', maxPending: this.maxPending },
        'too many cache invalidations owed to redis: further ones are dropped (entries expire by TTL)',
      );
    }
  }

  /** Apply the remembered invalidations on Redis; they stay remembered if that fails. */
  private replay(): Promise<void> {
    if (this.replaying) return this.replaying;
    if (this.pendingInvalidations === 0 || !this.guard.available()) return Promise.resolve();
    const dels = [...this.pendingDel];
    const bumps = [...this.pendingBump];
    this.replaying = this.guard
      .run(
        'cache_replay',
        () => Promise.all([...dels.map((k) => this.remote.del(k)), ...bumps.map((n) => this.remote.bump(n))]),
        Math.max(1000, this.guard.timeoutMs),
      )
      .then(
        () => {
          for (const k of dels) this.pendingDel.delete(k);
          for (const n of bumps) this.pendingBump.delete(n);
          this.warnedOverflow = false;
        },
        () => undefined,
      )
      .finally(() => {
        this.replaying = null;
      });
    return this.replaying;
  }
}
