/**
 * Graceful shutdown of the real processes (src/server.ts and src/worker.ts as children, on a
 * PostgreSQL database of this test's own).
 *
 * API under keep-alive load: several connections loop on GET /health/live and on searches while
 * SIGTERM arrives. Some requests are held in flight by a table lock (so they are certainly running when
 * the signal lands), one keep-alive connection sits idle, and a background job is held running too.
 * Every request must then end in one of three ways:
 *  - a complete, non-5xx response (in flight, or sent on an already-open connection after SIGTERM:
 *    those carry `Connection: close`);
 *  - ECONNREFUSED: a new connection after the listener closed, refused at connect time: nothing sent;
 *  - a reset/hang-up of a socket the server closed before reading the request: allowed only if the
 *    server never logged that request (its id), i.e. the request was never received, so never processed
 *    (a client may retry it safely).
 * Never a 503, never a response cut mid-body; and the process exits 0 within a few seconds.
 *
 * Worker: SIGTERM while a job is held running; the job completes, then the worker exits 0.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateListings } from '../src/modules/properties/generate.js';
import {
  freePort,
  killLeftovers,
  type RoostProcess,
  startRoost,
  waitUntilServing,
} from './support/processes.js';
import { dropPrefix, redisUrl, uniquePrefix, waitFor } from './support/redis.js';
import { TEST_JWT_SECRET } from './support/test-app.js';
import { createTestDatabase, type TestDatabase, testDbKind } from './support/test-db.js';

let database: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'roost-shutdown-'));
const opened: pg.Client[] = [];

beforeAll(async () => {
  database = await createTestDatabase(
    testDbKind() === 'postgres' ? inject('templateDatabase') : undefined,
    'postgres',
  );
  await generateListings(database.db, { listings: 200, seed: 11 });
});

afterAll(async () => {
  killLeftovers();
  for (const c of opened) await c.end().catch(() => {});
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

const baseEnv = () => ({
  DATABASE_URL: database.url!,
  MAIL_DIR: join(dir, 'mail'),
  UPLOADS_DIR: join(dir, 'uploads'),
  JWT_SECRET: TEST_JWT_SECRET,
  // Every search runs its query (so a lock on the table holds it in flight).
  CACHE_TTL_SECONDS: '0',
});

/** Hold an ACCESS EXCLUSIVE lock on `table` until `release()`: queries touching it wait. */
async function lockTable(table: string) {
  const client = new pg.Client({ connectionString: database.url! });
  opened.push(client);
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    release: async () => {
      await client.query('COMMIT');
    },
  };
}

/** How many queries of other sessions in the test database are waiting for a lock. */
async function waitingOnLocks(): Promise<number> {
  const r = await database.db
    .selectFrom('pg_stat_activity' as any)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('datname', '=', new URL(database.url!).pathname.slice(1))
    .where('wait_event_type', '=', 'Lock')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

interface Outcome {
  id: string;
  kind: 'live' | 'search' | 'held';
  status?: number;
  connection?: string | undefined;
  bytes: number;
  contentLength?: number;
  complete: boolean;
  body?: string;
  error?: string;
  reusedSocket: boolean;
}

let seq = 0;
function get(agent: http.Agent, port: number, path: string, kind: Outcome['kind']): Promise<Outcome> {
  const id = `shutdown-${kind}-${seq++}`;
  return new Promise((resolve) => {
    const o: Outcome = { id, kind, bytes: 0, complete: false, reusedSocket: false };
    let settled = false;
    const done = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err) o.error = (err as NodeJS.ErrnoException).code ?? String((err as Error).message ?? err);
      o.reusedSocket = req.reusedSocket;
      resolve(o);
    };
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { 'x-request-id': id } }, (res) => {
      o.status = res.statusCode;
      o.connection = res.headers.connection;
      if (res.headers['content-length'] !== undefined)
        o.contentLength = Number(res.headers['content-length']);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        o.bytes += c.length;
        chunks.push(c);
      });
      res.on('end', () => {
        o.complete = res.complete;
        o.body = Buffer.concat(chunks).toString('utf8');
        done();
      });
      res.on('error', (err) => done(new Error(`response cut mid-body: ${err.message}`)));
      res.on('close', () => {
        if (!res.complete) done(new Error('response cut mid-body'));
      });
    });
    req.on('error', (err) => done(err));
  });
}

function requestIdsSeenBy(proc: RoostProcess): Set<string> {
  return new Set(proc.lines.filter((l) => l.msg === 'incoming request').map((l) => String(l['reqId'])));
}

describe('graceful shutdown', () => {
  it('API: under keep-alive load, SIGTERM finishes in-flight requests and jobs, serves open connections with Connection: close, refuses new ones, and exits 0', async () => {
    const port = await freePort();
    // A job held running across the shutdown: the start-up outbox relay waits on this lock.
    const outboxLock = await lockTable('email_outbox');
    const api = startRoost('src/server.ts', { ...baseEnv(), PORT: String(port), LOG_LEVEL: 'debug' }, 'api');
    await waitUntilServing(api, `http://127.0.0.1:${port}/health/ready`);
    await waitFor(async () => (await waitingOnLocks()) >= 1, 15_000, 'the start-up relay job to wait');

    const city = (
      await database.db
        .selectFrom('properties')
        .select('city')
        .where('status', '=', 'listed')
        .executeTakeFirstOrThrow()
    ).city;
    const searchPath = `/api/v1/properties?city=${encodeURIComponent(city)}&sort=price_asc&limit=50`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const outcomes: Outcome[] = [];
    let stopLoops = false;
    const loop = async (kind: 'live' | 'search', path: string) => {
      const mine: Outcome[] = [];
      while (!stopLoops) {
        const o = await get(agent, port, path, kind);
        mine.push(o);
        outcomes.push(o);
        if (o.error === 'ECONNREFUSED') break;
      }
      return mine;
    };
    const loops = [
      ...Array.from({ length: 4 }, () => loop('live', '/health/live')),
      ...Array.from({ length: 2 }, () => loop('search', searchPath)),
    ];

    // One keep-alive connection used once, then idle: the server must close it (not wait 72 s for it).
    const idleAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let idleSocket: Socket | undefined;
    let idleClosedAt: number | undefined;
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/health/live', agent: idleAgent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('socket', (s: Socket) => {
        idleSocket = s;
        s.once('close', () => {
          idleClosedAt = performance.now();
        });
      });
      req.on('error', reject);
    });

    await new Promise((r) => setTimeout(r, 700)); // load running
    const propertiesLock = await lockTable('properties');
    // Three more searches, held in flight by the lock (with the two search loops' current ones).
    const held = Array.from({ length: 3 }, () => get(agent, port, searchPath, 'held'));
    await waitFor(async () => (await waitingOnLocks()) >= 1 + 5, 15_000, 'searches waiting on the lock');
    const servedBefore = outcomes.length;

    const sigterm = performance.now();
    api.child.kill('SIGTERM');
    await api.waitForLine((l) => l.msg === 'shutting down: draining requests', 5_000, 'shutdown start');
    await new Promise((r) => setTimeout(r, 300));
    expect(api.exit, 'in-flight requests are awaited').toBeUndefined();
    await propertiesLock.release();
    const heldOutcomes = await Promise.all(held);
    await new Promise((r) => setTimeout(r, 400));
    const exitedEarly = api.exit;
    const releasedOutbox = performance.now();
    await outboxLock.release();
    const exit = await Promise.race([
      api.exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no exit 10 s after SIGTERM:\n${api.text()}`)), 10_000),
      ),
    ]);
    const shutdownMs = Math.round(exit.at - sigterm);
    stopLoops = true;
    const perLoop = await Promise.all(loops);
    agent.destroy();
    idleAgent.destroy();

    const seen = requestIdsSeenBy(api);
    const all = [...outcomes, ...heldOutcomes];
    const answered = all.filter((o) => o.status !== undefined);
    const refused = all.filter((o) => o.error === 'ECONNREFUSED');
    const unread = all.filter((o) => o.error && o.error !== 'ECONNREFUSED');
    const drained = api.lines.find((l) => l.msg === 'requests drained');
    const summary =
      `API shutdown: exit ${exit.code} in ${shutdownMs} ms after SIGTERM (~700 ms of it locks held on purpose); ` +
      `${servedBefore} requests before SIGTERM, ${all.length} in all: ${answered.length} answered ` +
      `(${all.filter((o) => o.status === 503).length} with 503, ` +
      `${all.filter((o) => o.connection === 'close').length} with Connection: close), ` +
      `${refused.length} refused at connect, ${unread.length} failed otherwise ` +
      `(${unread.filter((o) => seen.has(o.id)).length} of them after the server had received the request); ` +
      `servedWhileDraining=${drained?.['servedWhileDraining']}`;
    console.info(summary);

    // Exit 0, a few seconds at most.
    expect(exit, api.text()).toMatchObject({ code: 0 });
    expect(shutdownMs).toBeLessThan(5_000);

    // Every request: a complete non-5xx response, refused at connect, or reset before it was read.
    expect(all.filter((o) => o.status === 503).map((o) => o.id)).toEqual([]);
    for (const o of answered) {
      expect(o.status, o.id).toBeLessThan(500);
      expect(o.complete, `${o.id} complete`).toBe(true);
      if (o.contentLength !== undefined) expect(o.bytes, `${o.id} body length`).toBe(o.contentLength);
    }
    for (const o of unread) {
      // Only a connection the server closed before reading anything from it.
      expect(['ECONNRESET', 'EPIPE', 'socket hang up'], `${o.id}: ${o.error}`).toContain(o.error);
      expect(seen.has(o.id), `${o.id} failed (${o.error}) although the server had received it`).toBe(false);
    }
    expect(answered.length + refused.length + unread.length).toBe(all.length);

    // Requests held in flight at SIGTERM: answered in full, with Connection: close.
    for (const o of heldOutcomes) {
      expect(o).toMatchObject({ status: 200, complete: true, connection: 'close' });
      expect(o.bytes).toBe(o.contentLength);
      expect(JSON.parse(o.body!).items.length).toBeGreaterThan(0);
    }

    // Each loop's open connection carried on: its request after SIGTERM was served (with Connection:
    // close), and only then did a new connection get refused.
    for (const mine of perLoop) {
      expect(mine.at(-1)!.error).toBe('ECONNREFUSED');
      const closing = mine.filter((o) => o.connection === 'close');
      expect(closing.length).toBeGreaterThanOrEqual(1);
      expect(closing.every((o) => o.status === 200)).toBe(true);
    }
    expect(Number(drained?.['servedWhileDraining'])).toBeGreaterThanOrEqual(3 + 6);
    expect(drained?.['cut']).toBe(false);

    // The job that was running finished before the process ended.
    expect(exitedEarly, 'the running job is awaited').toBeUndefined();
    const relay = api.lines.find(
      (l) => l['job'] === 'relay-outbox' && l.msg === 'job completed' && l.at >= releasedOutbox,
    );
    expect(relay, 'relay-outbox completed during shutdown').toBeDefined();
    expect(api.lines.some((l) => l['job'] !== undefined && l.msg === 'job failed')).toBe(false);

    // The idle keep-alive connection was closed by the server during the drain.
    expect(idleSocket).toBeDefined();
    expect(idleClosedAt).toBeDefined();
    expect(idleClosedAt!).toBeLessThan(exit.at);
  }, 120_000);

  it('worker: SIGTERM lets the active job finish, then exits 0', async () => {
    const url = new URL(redisUrl());
    url.pathname = '/13';
    const prefix = uniquePrefix('shutdown-worker');
    const redis = new Redis(url.toString(), { maxRetriesPerRequest: 3 });
    const outboxLock = await lockTable('email_outbox');
    const worker = startRoost(
      'src/worker.ts',
      { ...baseEnv(), REDIS_URL: url.toString(), QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' },
      'worker',
    );
    try {
      await worker.waitForLine((l) => l.msg === 'roost worker is consuming jobs', 60_000, 'start-up');
      // The scheduled relay runs at once and waits on the lock: an active job.
      await waitFor(async () => (await waitingOnLocks()) >= 1, 15_000, 'the relay job to wait');
      const sigterm = performance.now();
      worker.child.kill('SIGTERM');
      await worker.waitForLine((l) => l.msg === 'shutting down: finishing active jobs', 5_000, 'shutdown');
      await new Promise((r) => setTimeout(r, 300));
      expect(worker.exit, 'the active job is awaited').toBeUndefined();
      await outboxLock.release();
      const exit = await worker.exited;
      expect(exit, worker.text()).toMatchObject({ code: 0 });
      const ms = Math.round(exit.at - sigterm);
      expect(ms).toBeLessThan(5_000);
      const shuttingDown = worker.lines.findIndex((l) => l.msg === 'shutting down: finishing active jobs');
      const relay = worker.lines.findIndex((l) => l['job'] === 'relay-outbox' && l.msg === 'job completed');
      expect(relay).toBeGreaterThan(shuttingDown);
      expect(worker.lines.at(-1)).toMatchObject({ msg: 'worker stopped' });
      console.info(`worker shutdown: exit ${exit.code} in ${ms} ms after SIGTERM (~300 ms of it a held job)`);
    } finally {
      await outboxLock.release().catch(() => {});
      await dropPrefix(redis, prefix).catch(() => {});
      redis.disconnect();
    }
  }, 120_000);
});
