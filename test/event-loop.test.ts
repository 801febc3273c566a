/**
 * No anonymous request can hold the event loop. The real server (`src/server.ts`, as `npm start` runs
 * it) on a real database takes the worst requests an anonymous client can send — year-long calendars,
 * far-away stays, aliased and deeply paged GraphQL, megabyte bodies — from several connections at once,
 * while a probe measures how long `/health/live` takes to answer. Every probe must answer within 200 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RoostProcess, startRoost, waitUntilServing } from './support/processes.js';
import { createTestDatabase, type TestDatabase, testDbKind } from './support/test-db.js';

const dir = mkdtempSync(join(tmpdir(), 'roost-loop-'));
let db: TestDatabase;
let server: RoostProcess;
let base: string;

const json = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

beforeAll(async () => {
  // PGlite runs inside the server process; this test is about that process, so it uses a server engine.
  db = await createTestDatabase(undefined, testDbKind() === 'mysql' ? 'mysql' : 'postgres');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = startRoost('src/server.ts', {
    PORT: String(port),
    LOG_LEVEL: 'error',
    DATABASE_URL: db.url!,
    JWT_SECRET: 'event-loop-test-secret-0123456789abcdef',
    DATA_DIR: join(dir, 'data'),
    MAIL_DIR: join(dir, 'mail'),
    UPLOADS_DIR: join(dir, 'uploads'),
    RATE_LIMIT_AUTH_MAX: '100000',
  });
  await waitUntilServing(server, `${base}/health/ready`);
}, 90_000);

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function listingId(): Promise<string> {
  const email = `loop.${Date.now()}@example.com`;
  const password = 'event-loop-pass-1';
  const reg = await fetch(
    `${base}/api/v1/auth/register`,
    json('POST', { email, password, firstName: 'L', lastName: 'H' }),
  );
  const { id } = (await reg.json()) as { id: string };
  await db.db.updateTable('users').set({ role: 'host' }).where('id', '=', id).execute();
  const login = (await (
    await fetch(`${base}/api/v1/auth/login`, json('POST', { email, password }))
  ).json()) as {
    accessToken: string;
  };
  const auth = { authorization: `Bearer ${login.accessToken}` };
  const created = await fetch(
    `${base}/api/v1/properties`,
    json(
      'POST',
      {
        title: 'Loop house',
        description: 'A house for testing the event loop.',
        propertyType: 'entire_place',
        address: { street: '1 Loop St', city: 'Looptown', countryCode: 'PT' },
        latitude: 38.7,
        longitude: -9.1,
        maxGuests: 4,
        bedrooms: 2,
        beds: 2,
        bathrooms: 1,
        nightlyPrice: 10_000,
        currency: 'EUR',
      },
      auth,
    ),
  );
  if (created.status !== 201) throw new Error(`create listing: ${created.status} ${await created.text()}`);
  const listing = (await created.json()) as { id: string };
  const published = await fetch(`${base}/api/v1/properties/${listing.id}/publish`, {
    method: 'POST',
    headers: auth,
  });
  if (published.status !== 200) throw new Error(`publish: ${published.status} ${await published.text()}`);
  return listing.id;
}

describe('the event loop under hostile anonymous requests', () => {
  it('keeps /health/live under 200 ms while the worst requests run', async () => {
    const id = await listingId();
    const aliases = (n: number, first: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: properties(first: ${first}) { edges { node { id title } } }`).join(' ')} }`;
    let deep = '1';
    for (let i = 0; i < 100_000; i++) deep = `[${deep}]`;
    const attacks: [string, RequestInit?][] = [
      [`/api/v1/properties/${id}/calendar?from=2031-01-01&to=2032-01-02`],
      [`/api/v1/properties/${id}/calendar?from=2000-01-01&to=2999-12-31`],
      ['/api/v1/properties?city=Looptown&checkIn=2031-01-01&checkOut=2999-12-31&guests=2'],
      ['/api/v1/properties?checkIn=2031-01-01&checkOut=2031-12-31&sort=price_asc&limit=100'],
      [
        '/api/v1/bookings/quote',
        json('POST', { propertyId: id, checkIn: '2031-01-01', checkOut: '2999-12-31', guests: 1 }),
      ],
      ['/graphql', json('POST', { query: aliases(300, 100) })],
      ['/graphql', json('POST', { query: aliases(1000, 100) })],
      ['/graphql', json('POST', { query: aliases(40, 5) })],
      [
        `/graphql`,
        json('POST', {
          query: `{ property(id: "${id}") { calendar(from: "2031-01-01", to: "2031-12-31") { date price } } }`,
        }),
      ],
      ['/api/v1/auth/register', json('POST', deep)],
      [
        '/api/v1/auth/register',
        json('POST', {
          email: 'x@example.com',
          password: 'y',
          firstName: 'a'.repeat(900_000),
          lastName: 'b',
        }),
      ],
    ];

    if (process.env['EVENT_LOOP_PROFILE']) {
      for (const [path, init] of attacks) {
        const started = performance.now();
        const res = await fetch(`${base}${path}`, init);
        await res.arrayBuffer();
        console.log(
          `${(performance.now() - started).toFixed(1)} ms ${res.status} ${path} ${String(init?.body ?? '').slice(0, 60)}`,
        );
      }
    }
    const statuses: number[] = [];
    let stop = false;
    const attacker = async (offset: number) => {
      for (let i = offset; !stop; i++) {
        const [path, init] = attacks[i % attacks.length]!;
        const res = await fetch(`${base}${path}`, init).catch(() => null);
        if (res) {
          statuses.push(res.status);
          await res.arrayBuffer();
        }
      }
    };
    const latencies: number[] = [];
    const probe = async () => {
      const until = Date.now() + 4_000;
      while (Date.now() < until) {
        const started = performance.now();
        const res = await fetch(`${base}/health/live`);
        await res.arrayBuffer();
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 40));
      }
    };
    const attackers = Array.from({ length: 4 }, (_, i) => attacker(i * 3));
    await probe();
    stop = true;
    await Promise.all(attackers);

    const worst = Math.max(...latencies);
    console.log(
      `event loop: ${latencies.length} probes during ${statuses.length} hostile requests; /health/live worst ${worst.toFixed(1)} ms, p50 ${[...latencies].sort((a, b) => a - b)[Math.floor(latencies.length / 2)]!.toFixed(1)} ms`,
    );
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(worst).toBeLessThan(200);
  }, 60_000);
});
