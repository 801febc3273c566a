/**
 * A Redis outage must not take the core API down. Redis here is a cache, a rate-limit store, a
 * session-state cache and the job queue; with it gone, reads, logins and bookings still answer (never a
 * 5xx, each within a bound), /metrics answers within a second, readiness names Redis as down without
 * error text, and once Redis is back: the emails of the bookings made meanwhile are delivered exactly
 * once, invalidations made meanwhile are not lost, and cache and rate limits use Redis again.
 *
 * Runs its own redis-server (never the shared one) on a spare port, with the production Redis client
 * options (runtime.ts `connectRedis`), a real BullMQ worker (runtime.ts `startJobs`) and the file mailer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/platform/config.js';
import { FileMailer, type Mailer } from '../src/platform/mailer.js';
import { connectRedis, type Jobs, startJobs } from '../src/runtime.js';
import { createServiceContext } from '../src/services.js';
import { createListing } from './support/fixtures.js';
import { freePort } from './support/processes.js';
import { waitFor } from './support/redis.js';
import {
  createTestApp,
  createUser,
  TEST_JWT_SECRET,
  type TestApp,
  type TestUser,
} from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-db.js';

/** Every request made during the outage must answer within this (they take milliseconds in practice). */
const REQUEST_BOUND_MS = 2000;

/** A redis-server of this test's own, persisting to an append-only file so a restart keeps the data. */
class OwnRedis {
  private child: ChildProcess | undefined;
  private paused = false;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start() {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        this.dir,
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    // Never outlive the test process, whatever happens to the hooks.
    const reap = () => child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    const probe = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => {});
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
          try {
            if (probe.status !== 'ready') await probe.connect();
            return (await probe.ping()) === 'PONG';
          } catch {
            probe.disconnect();
            return false;
          }
        },
        15_000,
        'redis-server to start',
      );
    } finally {
      probe.disconnect();
    }
  }

  /** Lose everything it persisted (call while it is down): the next start is empty. */
  async wipe() {
    for (const f of await readdir(this.dir)) {
      if (f.startsWith('appendonly') || f.endsWith('.rdb') || f.endsWith('.aof')) {
        await rm(join(this.dir, f), { recursive: true, force: true });
      }
    }
  }

  /** SIGKILL: the outage is abrupt, as a crash or a network cut is. */
  async kill() {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGSTOP: the connection stays open but nothing answers (a hung or overloaded server). */
  pause() {
    this.child?.kill('SIGSTOP');
    this.paused = true;
  }

  resume() {
    if (this.paused) this.child?.kill('SIGCONT');
    this.paused = false;
  }

  get running() {
    return this.child !== undefined && this.child.exitCode === null;
  }
}

describe('a Redis outage', () => {
  let dir: string;
  let server: OwnRedis;
  let redis: Redis;
  let database: TestDatabase;
  let jobs: Jobs | undefined;
  let t: TestApp;
  const sends: string[] = [];
  const timings: Record<string, number> = {};

  let host: TestUser;
  let guest: TestUser;
  let listingId: string;
  let cacheVersionBefore: number;
  const outageBookings: string[] = [];
  let nextStay = 0;
  const stay = () => {
    const day = 1 + 3 * nextStay++;
    const d = (n: number) => `2032-05-${String(n).padStart(2, '0')}`;
    return { propertyId: listingId, checkIn: d(day), checkOut: d(day + 2), guests: 1 };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roost-redis-outage-'));
    server = new OwnRedis(await freePort(), dir);
    await server.start();
    database = await createTestDatabase(inject('templateDatabase'));
    const env = {
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      REDIS_URL: server.url,
      QUEUE_PREFIX: `roost-outage-${process.pid}`,
      MAIL_DIR: join(dir, 'mail'),
      CACHE_TTL_SECONDS: '600',
      RATE_LIMIT_AUTH_MAX: '6',
    };
    // The worker process: its own context (memory cache), the real BullMQ consumer and schedules.
    const files = new FileMailer(env.MAIL_DIR);
    const mailer: Mailer = {
      async send(email) {
        sends.push(email.id);
        await files.send(email);
      },
    };
    const workerConfig = loadConfig(env);
    jobs = await startJobs(createServiceContext(workerConfig, database), workerConfig, {
      consume: true,
      mailer,
    });
    // The API process: the production Redis client, the BullMQ producer for metrics and admin views.
    redis = connectRedis(server.url);
    await waitFor(async () => redis.status === 'ready', 10_000, 'the API redis client');
    t = await createTestApp({ database, redis, queue: jobs.queue, env });

    host = await createUser(t, 'host');
    guest = await createUser(t);
    listingId = (await createListing(t, host, { title: 'Before the outage', city: 'Outageville' })).id;
  }, 120_000);

  afterAll(async () => {
    // Teardown must not hang on a Redis that a failed test left down or paused. (BullMQ's worker can
    // take a while to close right after Redis returns: it reconnects with a back-off of up to 20 s.)
    server.resume();
    if (!server.running) await server.start().catch(() => undefined);
    await Promise.race([jobs?.close().catch(() => undefined), new Promise((r) => setTimeout(r, 25_000))]);
    await t?.close().catch(() => undefined);
    redis?.disconnect();
    await server.kill();
    await database?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    console.log(`request times with Redis down or hung (ms): ${JSON.stringify(timings)}`);
  }, 90_000);

  /** A request during the outage: timed, never a 5xx, within the bound. */
  async function timed(label: string, run: () => Promise<LightMyRequestResponse>) {
    const started = performance.now();
    const res = await run();
    const ms = Math.round(performance.now() - started);
    timings[label] = ms;
    expect(res.statusCode, `${label}: ${res.statusCode} ${res.body}`).toBeLessThan(500);
    expect(ms, `${label} took ${ms} ms`).toBeLessThan(REQUEST_BOUND_MS);
    return res;
  }

  it('while Redis is up, reads are cached in it and emails flow', async () => {
    const detail = await t.app.inject({ method: 'GET', url: `/api/v1/properties/${listingId}` });
    expect(detail.json().title).toBe('Before the outage');
    const search = await t.app.inject({ method: 'GET', url: '/api/v1/properties?city=outageville' });
    expect(search.json().items.map((i: { id: string }) => i.id)).toEqual([listingId]);
    expect(await redis.get(`roost:cache:property:${listingId}`)).toContain('Before the outage');
    cacheVersionBefore = Number((await redis.get('roost:cache:v:search')) ?? 0);
    // The two registrations' verification emails go out through the queue.
    await waitFor(async () => sends.length >= 2, 20_000, 'the registration emails');
  });

  it('serves search, detail, login, quote and bookings without it, fast and never with a 5xx', async () => {
    await server.kill();
    await waitFor(async () => redis.status !== 'ready', 5_000, 'the client to notice');

    const search = await timed('search', () =>
      t.app.inject({ method: 'GET', url: '/api/v1/properties?city=outageville' }),
    );
    expect(search.statusCode).toBe(200);
    expect(search.json().items).toHaveLength(1);

    // The host renames the listing: the cache invalidation cannot reach Redis (it is remembered).
    const renamed = await timed('update listing', () =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/properties/${listingId}`,
        headers: host.auth,
        payload: { title: 'Renamed during the outage' },
      }),
    );
    expect(renamed.statusCode).toBe(200);
    const detail = await timed('listing detail', () =>
      t.app.inject({ method: 'GET', url: `/api/v1/properties/${listingId}` }),
    );
    expect(detail.statusCode).toBe(200);
    expect(detail.json().title).toBe('Renamed during the outage');

    const login = await timed('login', () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '10.66.0.1',
        payload: { email: guest.email, password: guest.password },
      }),
    );
    expect(login.statusCode).toBe(200);
    const auth = { authorization: `Bearer ${login.json().accessToken}` };
    const me = await timed('users/me (session check)', () =>
      t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: auth }),
    );
    expect(me.statusCode).toBe(200);

    const register = await timed('register', () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        remoteAddress: '10.66.0.2',
        payload: {
          email: `outage.${process.pid}.${Date.now()}@example.com`,
          password: 'correct-horse-42',
          firstName: 'Out',
          lastName: 'Age',
        },
      }),
    );
    expect(register.statusCode).toBe(201);

    for (const n of [1, 2]) {
      const s = stay();
      const quote = await timed(`quote ${n}`, () =>
        t.app.inject({ method: 'POST', url: '/api/v1/bookings/quote', payload: s }),
      );
      expect(quote.statusCode).toBe(200);
      const booked = await timed(`create booking ${n}`, () =>
        t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: auth, payload: s }),
      );
      expect(booked.statusCode).toBe(201);
      const paid = await timed(`pay booking ${n}`, () =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/bookings/${booked.json().id}/pay`,
          headers: auth,
          payload: { paymentMethod: 'pm_card_visa' },
        }),
      );
      expect(paid.statusCode).toBe(200);
      expect(paid.json().status).toBe('succeeded');
      outageBookings.push(booked.json().id);
    }
    // The same dates again: a clean 409 (the database's exclusion constraint), not a 5xx.
    const again = await timed('double booking', () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/bookings',
        headers: auth,
        payload: { ...stay(), checkIn: '2032-05-01', checkOut: '2032-05-03' },
      }),
    );
    expect(again.statusCode).toBe(409);
  });

  it('keeps rate limits enforced, counted in memory', async () => {
    const email = `limited.${process.pid}.${Date.now()}@example.com`;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await timed(`limited login ${i + 1}`, () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '10.66.0.3',
          payload: { email, password: 'wrong-password-1' },
        }),
      );
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
  });

  it('answers /metrics within a second and readiness names Redis as down, without error text', async () => {
    const metrics = await timed('metrics', () => t.app.inject({ method: 'GET', url: '/metrics' }));
    expect(metrics.statusCode).toBe(200);
    expect(timings['metrics']).toBeLessThan(1000);
    expect(metrics.body).toMatch(
      /roost_dependency_errors_total\{dependency="redis",op="[a-z_]+",reason="[a-z]+"\} [1-9]/,
    );
    expect(metrics.body).toMatch(/roost_dependency_up\{dependency="redis"\} 0/);
    // The queue gauge is left out rather than waited for.
    expect(metrics.body).not.toMatch(/^roost_queue_jobs\{/m);

    // The admin's dead-letter view reads the queue, which lives in Redis: a bounded 503, not a hang.
    const admin = await createUser(t, 'admin');
    const asked = performance.now();
    const failed = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/jobs/failed',
      headers: admin.auth,
    });
    timings['admin: failed jobs'] = Math.round(performance.now() - asked);
    expect(timings['admin: failed jobs']).toBeLessThan(3000);
    expect(failed.statusCode).toBe(503);
    expect(failed.json().code).toBe('queue_unavailable');

    const ready = await timed('health/ready', () => t.app.inject({ method: 'GET', url: '/health/ready' }));
    expect(timings['health/ready']).toBeLessThan(1000);
    // Degraded, not unready: the API serves without Redis (see health.routes.ts).
    expect(ready.statusCode).toBe(200);
    const body = ready.json();
    expect(body.status).toBe('degraded');
    expect(body.checks.database.status).toBe('ok');
    expect(body.checks.redis).toEqual({ status: 'down', latencyMs: expect.any(Number) });
    expect(ready.body).not.toMatch(/ECONNREFUSED|refused|connect|error|127\.0\.0\.1|\d{4,5}/i);
  });

  it('once Redis is back: the outage emails go out exactly once, and cache and rate limits use Redis again', async () => {
    const outageEmails = await t.ctx.db
      .selectFrom('email_outbox')
      .select(['id', 'payload', 'status'])
      .where('template', '=', 'booking_confirmed')
      .execute();
    expect(outageEmails.map((e) => (e.payload as { bookingId: string }).bookingId).sort()).toEqual(
      [...outageBookings].sort(),
    );
    expect(outageEmails.every((e) => e.status === 'pending')).toBe(true);

    await server.start();
    await waitFor(async () => redis.status === 'ready', 15_000, 'the API client to reconnect');

    // Every outbox row (the registrations', the outage's) is sent, by the worker's scheduled relay.
    const pending = async () =>
      (await t.ctx.db.selectFrom('email_outbox').select('id').where('status', '!=', 'sent').execute()).length;
    await waitFor(async () => (await pending()) === 0, 45_000, 'every outbox email to be sent');
    // One more relay period: nothing is sent again.
    await new Promise((r) => setTimeout(r, 6_000));
    const rows = await t.ctx.db.selectFrom('email_outbox').select(['id', 'status']).execute();
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect([...sends].sort()).toEqual(rows.map((r) => r.id).sort());
    for (const e of outageEmails) expect(sends.filter((id) => id === e.id)).toHaveLength(1);
    const files = (await readdir(join(dir, 'mail'))).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(rows.map((r) => `${r.id}.json`).sort());

    // The rename during the outage invalidated the entry Redis kept from before it (replayed on return).
    const detail = await t.app.inject({ method: 'GET', url: `/api/v1/properties/${listingId}` });
    expect(detail.json().title).toBe('Renamed during the outage');
    expect(await redis.get(`roost:cache:property:${listingId}`)).toContain('Renamed during the outage');
    expect(Number(await redis.get('roost:cache:v:search'))).toBeGreaterThan(cacheVersionBefore);
    const search = await t.app.inject({ method: 'GET', url: '/api/v1/properties?city=outageville' });
    expect(search.json().items[0].title).toBe('Renamed during the outage');
    expect(await redis.keys('roost:cache:search:*')).not.toHaveLength(0);

    // Rate limits count in Redis again (shared by every API process).
    const email = `limited.again.${process.pid}.${Date.now()}@example.com`;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '10.66.0.4',
        payload: { email, password: 'wrong-password-1' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
    const [key] = await redis.keys('roost:rl:*auth-ip:10.66.0.4');
    expect(key).toBeDefined();
    expect(await redis.get(key!)).toBe('7');

    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ok', checks: { redis: { status: 'ok' } } });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/roost_queue_jobs\{state="waiting"\} \d+/);
    expect(metrics.body).toMatch(/roost_dependency_up\{dependency="redis"\} 1/);
  }, 90_000);
  it('serves the same way when Redis hangs (connection open, no answers), and recovers', async () => {
    server.pause();
    try {
      const search = await timed('hung: search', () =>
        t.app.inject({ method: 'GET', url: '/api/v1/properties?city=outageville' }),
      );
      expect(search.statusCode).toBe(200);
      const renamed = await timed('hung: update listing', () =>
        t.app.inject({
          method: 'PATCH',
          url: `/api/v1/properties/${listingId}`,
          headers: host.auth,
          payload: { title: 'Renamed while Redis hung' },
        }),
      );
      expect(renamed.statusCode).toBe(200);
      const detail = await timed('hung: listing detail', () =>
        t.app.inject({ method: 'GET', url: `/api/v1/properties/${listingId}` }),
      );
      expect(detail.json().title).toBe('Renamed while Redis hung');
      const login = await timed('hung: login', () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '10.66.0.5',
          payload: { email: guest.email, password: guest.password },
        }),
      );
      expect(login.statusCode).toBe(200);
      const booked = await timed('hung: create booking', () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/bookings',
          headers: { authorization: `Bearer ${login.json().accessToken}` },
          payload: stay(),
        }),
      );
      expect(booked.statusCode).toBe(201);
      const metrics = await timed('hung: metrics', () => t.app.inject({ method: 'GET', url: '/metrics' }));
      expect(metrics.statusCode).toBe(200);
      expect(timings['hung: metrics']).toBeLessThan(1000);
      expect(metrics.body).toMatch(
        /roost_dependency_errors_total\{dependency="redis",op="[a-z_]+",reason="timeout"\} [1-9]/,
      );
      const ready = await timed('hung: health/ready', () =>
        t.app.inject({ method: 'GET', url: '/health/ready' }),
      );
      expect(timings['hung: health/ready']).toBeLessThan(1000);
      expect(ready.json()).toMatchObject({ status: 'degraded', checks: { redis: { status: 'down' } } });
    } finally {
      server.resume();
    }
    // Once it answers again (after the circuit's cool-down), reads come from Redis again, and the rename
    // made while it hung was not lost: the entry cached before it is not served.
    await waitFor(
      async () => {
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/properties/${listingId}` });
        expect(res.json().title).toBe('Renamed while Redis hung');
        return (
          (await redis.get(`roost:cache:property:${listingId}`))?.includes('Renamed while Redis hung') ??
          false
        );
      },
      15_000,
      'the cache to use Redis again',
    );
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.json()).toMatchObject({ status: 'ok', checks: { redis: { status: 'ok' } } });
  }, 60_000);

  it('delivers the emails of an outage even when Redis comes back empty (job schedules re-installed)', async () => {
    // A restart without persistence (or a failover to an empty replica): BullMQ's schedulers are gone
    // with the data; the worker installs them again when it reconnects.
    await redis.set('outage-test:sentinel', '1');
    await server.kill();
    await server.wipe();
    await waitFor(async () => redis.status !== 'ready', 5_000, 'the client to notice');
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '10.66.0.5',
      payload: { email: guest.email, password: guest.password },
    });
    const auth = { authorization: `Bearer ${login.json().accessToken}` };
    const booked = await timed('create booking (Redis down, before an empty restart)', () =>
      t.app.inject({ method: 'POST', url: '/api/v1/bookings', headers: auth, payload: stay() }),
    );
    expect(booked.statusCode).toBe(201);
    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${booked.json().id}/pay`,
      headers: auth,
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(paid.statusCode).toBe(200);
    const row = await t.ctx.db
      .selectFrom('email_outbox')
      .select(['id', 'payload'])
      .where('template', '=', 'booking_confirmed')
      .execute()
      .then((rows) => rows.find((r) => (r.payload as { bookingId: string }).bookingId === booked.json().id));
    expect(row).toBeDefined();

    await server.start();
    expect(await redis.get('outage-test:sentinel')).toBeNull(); // it really came back empty
    await waitFor(async () => sends.includes(row!.id), 45_000, 'the email of the booking made meanwhile');
    await new Promise((r) => setTimeout(r, 6_000));
    expect(sends.filter((id) => id === row!.id)).toHaveLength(1);
  }, 90_000);
});
