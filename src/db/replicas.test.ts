/** Read routing without a server: lag estimates, the sticky window, repeated invalidations, configuration. */
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryCache } from '../platform/cache.js';
import { ConfigError, loadConfig } from '../platform/config.js';
import {
  createReadRouting,
  estimateLag,
  isConnectionFailure,
  type ReadReplicas,
  ReplicaAwareCache,
} from './replicas.js';
import type { DB } from './schema/index.js';

describe('estimateLag', () => {
  const history = [
    { at: 1_000, lsn: 100n },
    { at: 2_000, lsn: 200n },
    { at: 3_000, lsn: 300n },
  ];

  it('is 0 when the replica has replayed everything the primary had at the last sample', () => {
    expect(estimateLag(history, 300n, 60_000, 3_050)).toBe(0);
    expect(estimateLag(history, 310n, null, 3_050)).toBe(0);
  });

  it('is bounded by the newest sample the replica has passed', () => {
    // Replayed 200 (the sample at 2 000) but not 300: it has every commit made before 2 000.
    expect(estimateLag(history, 250n, null, 3_100)).toBe(1_100);
  });

  it('takes the replay timestamp only as a bound while WAL is pending (an idle primary makes it old)', () => {
    expect(estimateLag(history, 250n, 400, 3_100)).toBe(400);
    expect(estimateLag(history, 300n, 3_600_000, 3_100)).toBe(0);
  });

  it('is unknown when the replica is behind every sample and has no replay timestamp', () => {
    expect(estimateLag(history, 50n, null, 3_100)).toBeNull();
    expect(estimateLag(history, 50n, 9_000, 3_100)).toBe(9_000);
  });
});

describe('isConnectionFailure', () => {
  it('tells a failed connection from a failed query', () => {
    expect(
      isConnectionFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isConnectionFailure(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(
      true,
    );
    expect(
      isConnectionFailure(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })])),
    ).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
    expect(isConnectionFailure(Object.assign(new Error('canceling statement'), { code: '57014' }))).toBe(
      false,
    );
  });
});

describe('read routing', () => {
  // Stand-ins: routing only compares handles.
  const primary = {} as Kysely<DB>;
  const replica = {} as Kysely<DB>;
  const replicas = (fit: boolean): ReadReplicas => ({
    pick: () => (fit ? replica : undefined),
    states: () => [],
    check: async () => {},
    close: async () => {},
  });

  it('is the primary when there are no replicas, with no cache round trip', async () => {
    const cache = new MemoryCache();
    const get = vi.spyOn(cache, 'get');
    const routing = createReadRouting({ primary, cache, stickyMs: 5_000 });
    await routing.wrote({ userId: 'u1' });
    expect(await routing.reads({ userId: 'u1' })).toBe(primary);
    expect(get).not.toHaveBeenCalled();
  });

  it('sends a user who wrote to the primary for the sticky window, everyone else to a replica', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const cache = new MemoryCache();
    const routing = createReadRouting({ primary, replicas: replicas(true), cache, stickyMs: 3_000 });
    await routing.wrote({ userId: 'writer' });
    expect(await routing.reads({ userId: 'writer' })).toBe(primary);
    expect(await routing.reads({ userId: 'other' })).toBe(replica);
    expect(await routing.reads(null)).toBe(replica);
    vi.advanceTimersByTime(3_001);
    expect(await routing.reads({ userId: 'writer' })).toBe(replica);
  });

  it('sees marks made by another API process through the shared cache', async () => {
    const shared = new MemoryCache();
    const a = createReadRouting({ primary, replicas: replicas(true), cache: shared, stickyMs: 3_000 });
    const b = createReadRouting({ primary, replicas: replicas(true), cache: shared, stickyMs: 3_000 });
    await a.wrote({ userId: 'writer' });
    expect(await b.reads({ userId: 'writer' })).toBe(primary);
  });

  it('reads the primary when no replica is fit, and when the cache fails it does not fail the read', async () => {
    const broken = new MemoryCache();
    vi.spyOn(broken, 'get').mockRejectedValue(new Error('cache down'));
    expect(
      await createReadRouting({ primary, replicas: replicas(false), cache: broken, stickyMs: 3_000 }).reads(
        null,
      ),
    ).toBe(primary);
    expect(
      await createReadRouting({ primary, replicas: replicas(true), cache: broken, stickyMs: 3_000 }).reads({
        userId: 'x',
      }),
    ).toBe(replica);
  });

  afterEach(() => {
    vi.useRealTimers();
  });
});

describe('ReplicaAwareCache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('repeats each invalidation once the replicas must have the change', async () => {
    vi.useFakeTimers();
    const inner = new MemoryCache();
    const cache = new ReplicaAwareCache(inner, 3_000);
    await cache.del('property:1');
    await cache.bump('search');
    // Filled from a replica that had not replayed the change yet:
    await cache.set('property:1', { title: 'old' }, 60);
    expect(await cache.version('search')).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await cache.get('property:1')).toBeUndefined();
    expect(await cache.version('search')).toBe(2);
  });
});

describe('configuration', () => {
  const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32), SANDBOX_WEBHOOK_SECRET: 'y'.repeat(16) };

  it('has defaults', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      DATABASE_STATEMENT_TIMEOUT_MS: 15_000,
      DATABASE_READ_STICKY_MS: 5_000,
      DATABASE_READ_MAX_LAG_MS: 2_000,
      DATABASE_READ_CHECK_MS: 1_000,
    });
    expect(c.DATABASE_READ_URL).toBeUndefined();
  });

  it('takes several replica URLs', () => {
    const c = loadConfig({
      ...base,
      DATABASE_URL: 'postgres://p@primary/roost',
      DATABASE_READ_URL: 'postgres://r@replica1/roost, postgresql://r@replica2:5433/roost',
    });
    expect(c.DATABASE_READ_URL).toContain('replica2');
  });

  it('refuses replicas on PGlite and MySQL, a bad URL, and a sticky window shorter than the lag bound', () => {
    const load = (env: Record<string, string>) => () => loadConfig({ ...base, ...env });
    expect(load({ DATABASE_READ_URL: 'postgres://r@replica/roost' })).toThrow(/embedded PGlite/);
    expect(
      load({ DATABASE_URL: 'mysql://u@db/roost', DATABASE_READ_URL: 'postgres://r@replica/roost' }),
    ).toThrow(/PostgreSQL only/);
    expect(
      load({ DATABASE_URL: 'postgres://p@db/roost', DATABASE_READ_URL: 'mysql://r@replica/roost' }),
    ).toThrow(ConfigError);
    expect(
      load({
        DATABASE_URL: 'postgres://p@db/roost',
        DATABASE_READ_URL: 'postgres://r@replica/roost',
        DATABASE_READ_STICKY_MS: '1000',
      }),
    ).toThrow(/DATABASE_READ_STICKY_MS/);
    // 0 turns read-your-writes off.
    expect(
      load({
        DATABASE_URL: 'postgres://p@db/roost',
        DATABASE_READ_URL: 'postgres://r@replica/roost',
        DATABASE_READ_STICKY_MS: '0',
      })(),
    ).toMatchObject({ DATABASE_READ_STICKY_MS: 0 });
  });
});
