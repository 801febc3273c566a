/**
 * `npm run bench`: seeds a fresh database with 10 000 listings, starts the API on loopback and
 * measures, each for BENCH_SECONDS (default 8):
 *   - search: several realistic query mixes through HTTP (autocannon), beside the same SQL run raw
 *     through the driver (`pg` or `mysql2`) at the same concurrency;
 *   - bookings: many guests booking different nights concurrently (bookings/s);
 *   - session: the per-request session check an authenticated request pays (Redis cache hit, and the
 *     database query behind a miss), and `GET /users/me` beside `GET /health/live` over HTTP.
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a mysql:// URL benchmarks
 * MySQL/MariaDB) is the admin connection used to create the `roost_bench` database. Only loopback
 * traffic; every loop is bounded in time.
 */
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { type Dialect, Kysely, MysqlDialect, PostgresDialect, sql } from 'kysely';
import { createConnection as createMysqlConnection, createPool as createMysqlPool } from 'mysql2';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { createDatabase, isMysqlUrl } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { DB } from '../src/db/schema/index.js';
import { seedDemoUsers } from '../src/modules/accounts/demo-users.js';
import { generateListings } from '../src/modules/properties/generate.js';
import { MemoryCache } from '../src/platform/cache.js';
import { loadConfig } from '../src/platform/config.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 20);
const LISTINGS = Number(process.env['BENCH_LISTINGS'] ?? 10_000);
const only = process.argv[2]; // 'search' | 'bookings' | 'session' | undefined (all)
const REDIS = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379/14';

const admin = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const benchUrl = (() => {
  const u = new URL(admin);
  u.pathname = '/roost_bench';
  return u.toString();
})();

const mysql = isMysqlUrl(admin);

async function adminSql(text: string) {
  if (mysql) {
    const c = createMysqlConnection(admin).promise();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
    return;
  }
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const fmt = (n: number) => n.toFixed(n < 10 ? 2 : 0);

/** A second, plain connection pool for replaying captured SQL raw, and a Kysely dialect over it. */
function rawClient(
  url: string,
  max: number,
): {
  dialect: Dialect;
  query: (text: string, params: unknown[]) => Promise<unknown>;
  end: () => Promise<void>;
} {
  if (mysql) {
    const pool = createMysqlPool({ uri: url, connectionLimit: max, dateStrings: ['DATE'] });
    return {
      dialect: new MysqlDialect({ pool }),
      query: (text, params) => pool.promise().query(text, params),
      end: () => pool.promise().end(),
    };
  }
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined); // idle clients are cut when the bench database is dropped
  return {
    dialect: new PostgresDialect({ pool }),
    query: (text, params) => pool.query(text, params),
    end: () => pool.end(),
  };
}

async function main() {
  console.log(
    `roost bench on ${mysql ? 'MySQL/MariaDB' : 'PostgreSQL'}: ${LISTINGS} listings, ${CONNECTIONS} connections, ${SECONDS} s per scenario`,
  );
  await adminSql(
    mysql ? 'DROP DATABASE IF EXISTS roost_bench' : 'DROP DATABASE IF EXISTS roost_bench WITH (FORCE)',
  );
  await adminSql(
    mysql
      ? 'CREATE DATABASE roost_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci'
      : 'CREATE DATABASE roost_bench',
  );
  const database = await createDatabase({ url: benchUrl, poolMax: CONNECTIONS + 5 });
  await migrateToLatest(database.db);
  const users = await seedDemoUsers(database.db);
  let t0 = performance.now();
  await generateListings(database.db, { listings: LISTINGS, seed: 42, extraHostIds: [users[1]!.id] });
  await (mysql
    ? sql`analyze table properties, property_amenities, property_calendar, bookings, booking_nights`
    : sql`analyze`
  ).execute(database.db);
  console.log(`seeded in ${Math.round(performance.now() - t0)} ms`);

  // Capture the SQL the search endpoint runs, to replay it raw through pg.
  const captured: { sql: string; parameters: readonly unknown[] }[] = [];
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    SANDBOX_WEBHOOK_SECRET: 'bench-sandbox-webhook-secret',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_AUTH_MAX: '1000000',
    // The page cache would answer every repeat of a scenario: measure the search itself.
    CACHE_TTL_SECONDS: '0',
  });
  const { app } = await buildApp({ config, database, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const raw = rawClient(benchUrl, CONNECTIONS);
  const rows: string[][] = [];

  if (!only || only === 'search') {
    const spy = new Kysely<DB>({
      dialect: raw.dialect,
      log: (e) => {
        if (e.level === 'query') captured.push({ sql: e.query.sql, parameters: e.query.parameters });
      },
    });
    const { searchProperties } = await import('../src/modules/properties/properties.service.js');
    type Query = Parameters<typeof searchProperties>[1];
    const scenarios: [string, Query][] = [
      [
        'city + dates + guests',
        {
          city: 'Lisbon',
          checkIn: '2031-05-10',
          checkOut: '2031-05-14',
          guests: 2,
          sort: 'newest',
          limit: 20,
        },
      ],
      [
        'bbox + price, by price',
        { bbox: '2.0,41.3,2.3,41.5', minPrice: 5000, maxPrice: 20000, sort: 'price_asc', limit: 20 },
      ],
      ['text + amenities', { q: 'garden', amenities: 'wifi,kitchen', sort: 'newest', limit: 20 }],
      [
        'centre + radius, by distance',
        { lat: 48.8566, lng: 2.3522, radiusKm: 5, sort: 'distance', limit: 20 },
      ],
    ];
    for (const [name, query] of scenarios) {
      const qs = new URLSearchParams(
        Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
      ).toString();
      const http = await autocannon({
        url: `${base}/api/v1/properties?${qs}`,
        connections: CONNECTIONS,
        duration: SECONDS,
      });
      if (http.non2xx > 0) throw new Error(`${name}: ${http.non2xx} non-2xx responses`);
      // The same SQL, raw through the driver, at the same concurrency.
      captured.length = 0;
      // (a fresh in-memory cache each time, so the search really runs its SQL)
      await searchProperties(
        { db: spy, config, cache: new MemoryCache() } as unknown as Parameters<typeof searchProperties>[0],
        query,
      );
      const statement = captured.at(-1)!;
      const latencies: number[] = [];
      const deadline = performance.now() + SECONDS * 1000;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (performance.now() < deadline) {
            const s = performance.now();
            await raw.query(statement.sql, statement.parameters as unknown[]);
            latencies.push(performance.now() - s);
          }
        }),
      );
      rows.push([
        name,
        fmt(http.requests.average),
        fmt(http.latency.p50),
        fmt(http.latency.p99),
        fmt(latencies.length / SECONDS),
        fmt(pct(latencies, 50)),
        fmt(pct(latencies, 99)),
      ]);
    }
    console.log('\nsearch over %d listings (HTTP: autocannon; SQL: same statement via the driver)', LISTINGS);
    console.table(
      rows.map(([n, a, b, c, d, e, f]) => ({
        scenario: n,
        'HTTP req/s': a,
        'HTTP p50 ms': b,
        'HTTP p99 ms': c,
        'SQL q/s': d,
        'SQL p50 ms': e,
        'SQL p99 ms': f,
      })),
    );
  }

  if (!only || only === 'bookings') {
    // Guests with tokens, then random stays on random listings (few collide: those answer 409).
    t0 = performance.now();
    const guests: string[] = [];
    for (let i = 0; i < 50; i++) {
      const email = `bench.guest.${i}@example.com`;
      await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'bench-pass-123', firstName: 'Bench', lastName: String(i) }),
      });
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'bench-pass-123' }),
      });
      guests.push(((await login.json()) as { accessToken: string }).accessToken);
    }
    const listingIds = (
      await database.db
        .selectFrom('properties')
        .select('id')
        .where('status', '=', 'listed')
        .where('min_nights', '=', 1)
        .execute()
    ).map((r) => r.id);
    let n = 0;
    const result = await autocannon({
      url: `${base}/api/v1/bookings`,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            n++;
            const day = new Date(Date.UTC(2031, 0, 1) + ((n * 7919) % 700) * 86_400_000);
            const out = new Date(day.getTime() + (1 + (n % 3)) * 86_400_000);
            return {
              ...req,
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${guests[n % guests.length]}`,
              },
              body: JSON.stringify({
                propertyId: listingIds[(n * 104_729) % listingIds.length],
                checkIn: day.toISOString().slice(0, 10),
                checkOut: out.toISOString().slice(0, 10),
                guests: 1,
              }),
            };
          },
        },
      ],
    });
    const created = await database.db
      .selectFrom('bookings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    console.log(
      `\nbookings: ${fmt(Number(created.n) / SECONDS)} bookings/s created (${created.n} in ${SECONDS} s), ` +
        `${fmt(result.requests.average)} req/s, p50 ${fmt(result.latency.p50)} ms, p99 ${fmt(result.latency.p99)} ms, ` +
        `${result.non2xx} conflicts or errors (409 expected when two random stays collide)`,
    );
  }

  if (!only || only === 'session') await benchSession();

  await app.close();
  await raw.end();
  await adminSql(
    mysql ? 'DROP DATABASE IF EXISTS roost_bench' : 'DROP DATABASE IF EXISTS roost_bench WITH (FORCE)',
  );
}

/** The session check alone (in process, sequential) and its share of an authenticated request. */
async function benchSession() {
  const { Redis } = await import('ioredis');
  // A pool of its own: closing this app closes it.
  const database = await createDatabase({ url: benchUrl, poolMax: CONNECTIONS + 5 });
  const { sessionState } = await import('../src/modules/accounts/auth.repository.js');
  const redis = new Redis(REDIS);
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    SANDBOX_WEBHOOK_SECRET: 'bench-sandbox-webhook-secret',
    RATE_LIMIT_AUTH_MAX: '1000000',
  });
  const { app, ctx } = await buildApp({ config, database, logger: false, redis });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const email = `bench.session.${Date.now()}@example.com`;
  const body = JSON.stringify({ email, password: 'bench-pass-123', firstName: 'S', lastName: 'B' });
  const headers = { 'content-type': 'application/json' };
  await fetch(`${base}/api/v1/auth/register`, { method: 'POST', headers, body });
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email, password: 'bench-pass-123' }),
  });
  const token = ((await login.json()) as { accessToken: string }).accessToken;
  const claims = await ctx.tokens.verify(token);

  const time = async (n: number, fn: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await fn();
      xs.push(performance.now() - s);
    }
    return xs;
  };
  await time(500, () => ctx.sessions.resolve(claims)); // warm up
  const hit = await time(5000, () => ctx.sessions.resolve(claims));
  const miss = await time(2000, () => sessionState(database.db, claims.userId, claims.sessionId));
  const verify = await time(5000, () => ctx.tokens.verify(token));
  const live = await autocannon({ url: `${base}/health/live`, connections: CONNECTIONS, duration: SECONDS });
  const me = await autocannon({
    url: `${base}/api/v1/users/me`,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}` },
  });
  if (me.non2xx > 0) throw new Error(`/users/me: ${me.non2xx} non-2xx responses`);
  console.log('\nsession check (sequential, in process; Redis at %s)', REDIS);
  console.table([
    { step: 'session check, Redis cache hit', 'p50 ms': fmt(pct(hit, 50)), 'p99 ms': fmt(pct(hit, 99)) },
    { step: 'session query behind a miss', 'p50 ms': fmt(pct(miss, 50)), 'p99 ms': fmt(pct(miss, 99)) },
    { step: 'JWT verification (for scale)', 'p50 ms': fmt(pct(verify, 50)), 'p99 ms': fmt(pct(verify, 99)) },
  ]);
  console.log(
    `HTTP: /health/live ${fmt(live.requests.average)} req/s (p50 ${fmt(live.latency.p50)} ms); ` +
      `/users/me with a bearer token ${fmt(me.requests.average)} req/s (p50 ${fmt(me.latency.p50)} ms)`,
  );
  await app.close();
  redis.disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
