/** Operations against the real Redis: shared rate limits, cache invalidation, metrics, readiness, scheduled jobs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../test/support/fixtures.js';
import { dropPrefix, redisUrl, testRedis, uniquePrefix, waitFor } from '../../test/support/redis.js';
import { createTestApp, createUser, type TestApp } from '../../test/support/test-app.js';
import { createJobRegistry } from '../jobs.js';
import { RedisCache } from './cache.js';
import { createBullQueue, startBullWorker } from './queue/bullmq.js';

const redis = testRedis();
const cachePrefix = uniquePrefix('cache');
afterAll(async () => {
  await dropPrefix(redis, 'roost:rl:');
  await dropPrefix(redis, cachePrefix);
  redis.disconnect();
});

describe('two API processes', () => {
  it('share one rate limit through Redis', async () => {
    const a = await createTestApp({ redis, env: { RATE_LIMIT_AUTH_MAX: '3' } });
    const b = await createTestApp({ redis, env: { RATE_LIMIT_AUTH_MAX: '3' }, database: a.database });
    try {
      const email = `shared.${process.pid}.${Date.now()}@example.com`;
      const attempt = (t: TestApp) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '10.9.8.7',
          payload: { email, password: 'whatever-123' },
        });
      const statuses = [await attempt(a), await attempt(b), await attempt(a), await attempt(b)].map(
        (r) => r.statusCode,
      );
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('cache', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ redis });
    // Isolate this file's keys.
    t.ctx.cache = new RedisCache(redis, `${cachePrefix}:`);
  });
  afterAll(() => t.close());

  it('serves listing detail and search from Redis, and the read after an update is fresh', async () => {
    const host = await createUser(t, 'host');
    const { id } = await createListing(t, host, { title: 'Before the change', city: 'Cachetown' });
    const get = () => t.app.inject({ method: 'GET', url: `/api/v1/properties/${id}` });
    const search = () => t.app.inject({ method: 'GET', url: '/api/v1/properties?city=cachetown' });
    expect((await get()).json().title).toBe('Before the change');
    expect((await search()).json().items[0].title).toBe('Before the change');
    expect(await redis.get(`${cachePrefix}:property:${id}`)).toContain('Before the change');

    // A write behind the cache's back is not seen (proof that reads come from the cache) …
    await t.ctx.db
      .updateTable('properties')
      .set({ title: 'Changed behind the cache' })
      .where('id', '=', id)
      .execute();
    expect((await get()).json().title).toBe('Before the change');

    // … while a change through the service invalidates both the detail and the search pages.
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/properties/${id}`,
      headers: host.auth,
      payload: { title: 'After the change' },
    });
    expect(patched.statusCode).toBe(200);
    expect((await get()).json().title).toBe('After the change');
    expect((await search()).json().items[0].title).toBe('After the change');
  });
});

describe('metrics and readiness', () => {
  it('exposes the named series after some traffic, and readiness checks Redis', async () => {
    const t = await createTestApp({ redis });
    try {
      const host = await createUser(t, 'host');
      const guest = await createUser(t);
      const { id } = await createListing(t, host);
      const b = await t.app.inject({
        method: 'POST',
        url: '/api/v1/bookings',
        headers: guest.auth,
        payload: { propertyId: id, checkIn: '2031-01-01', checkOut: '2031-01-02', guests: 1 },
      });
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/bookings/${b.json().id}/pay`,
        headers: guest.auth,
        payload: { paymentMethod: 'pm_card_visa' },
      });
      const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.json().checks).toMatchObject({ database: { status: 'ok' }, redis: { status: 'ok' } });

      const res = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      const text = res.body;
      expect(text).toMatch(
        /roost_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/bookings\/:id\/pay"[^}]*\}/,
      );
      expect(text).toMatch(/roost_bookings_total\{status="confirmed"\} [1-9]/);
      expect(text).toMatch(/roost_payments_total\{provider="sandbox",result="succeeded"\} [1-9]/);
      expect(text).toMatch(/roost_db_pool_connections\{state="total"\} \d+/);
      expect(text).toContain('process_cpu_user_seconds_total');
    } finally {
      await t.close();
    }
  });
});

describe('scheduled jobs', () => {
  it('expire a hold past its limit through the queue, and its nights become bookable', async () => {
    let now = new Date('2031-02-01T10:00:00Z');
    const t = await createTestApp({ now: () => now });
    const prefix = uniquePrefix('holds');
    const registry = createJobRegistry(t.ctx, { send: async () => {} }, () => queue);
    const queue = createBullQueue(registry, { url: redisUrl(), prefix });
    const worker = await startBullWorker(registry, [{ job: 'expire-unpaid-holds', everyMs: 200 }], {
      url: redisUrl(),
      prefix,
    });
    try {
      const host = await createUser(t, 'host');
      const guest = await createUser(t);
      const { id } = await createListing(t, host);
      const stay = { propertyId: id, checkIn: '2031-03-01', checkOut: '2031-03-04', guests: 1 };
      const held = (
        await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: guest.auth, payload: stay })
      ).json();
      expect(
        (await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: guest.auth, payload: stay }))
          .statusCode,
      ).toBe(409);
      now = new Date(now.getTime() + 16 * 60_000);
      await waitFor(
        async () =>
          (
            await t.ctx.db
              .selectFrom('bookings')
              .select('status')
              .where('id', '=', held.id)
              .executeTakeFirstOrThrow()
          ).status === 'expired',
        15_000,
        'the hold to expire',
      );
      expect(
        (await t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: guest.auth, payload: stay }))
          .statusCode,
      ).toBe(201);
      const events = await t.ctx.db
        .selectFrom('booking_events')
        .select(['to_status', 'actor_id'])
        .where('booking_id', '=', held.id)
        .execute();
      expect(events.at(-1)).toEqual({ to_status: 'expired', actor_id: null });
    } finally {
      await worker.close();
      await queue.close();
      await dropPrefix(redis, prefix);
      await t.close();
    }
  });
});
