/**
 * The raw side of a comparison, in a process of its own: `node --import tsx bench/raw-sql.ts job.json`.
 * Runs a captured statement list as one "request", `connections` at a time for `seconds`, through a
 * plain driver pool (`pg` or `mysql2`) of `connections` connections, and prints one JSON line
 * (requests/s, p50/p99 from the exact sorted latencies, errors).
 *
 * Statements between BEGIN and COMMIT run on one connection taken from the pool for the transaction;
 * the others go to the pool, as the application's Kysely does. In `booking` mode every request replays
 * the captured createBooking template for its stay's night count with the listing, host, guest and dates
 * of that stay substituted, fresh ids for the ids the application generated, and timestamps moved to now.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createPool as createMysqlPool, type PoolConnection } from 'mysql2/promise';
import pg from 'pg';
import { mysqlPoolOptions } from '../src/db/database.js';
import { fromWire, MYSQL_SESSION, type WireParam, type WireStatement } from './capture.js';

export interface StayRef {
  propertyId: string;
  hostId: string;
  guestId: string;
  checkIn: string;
  checkOut: string;
}
export interface BookingTemplate {
  statements: WireStatement[];
  capturedAt: number;
  stay: StayRef;
}
export interface RawJob {
  engine: 'postgres' | 'mysql';
  url: string;
  connections: number;
  seconds: number;
  mode: 'fixed' | 'booking';
  /** PostgreSQL: the application's session settings (`-c name=value …`). */
  pgOptions?: string;
  statements?: WireStatement[];
  /** By night count. */
  templates?: Record<string, BookingTemplate>;
  stays?: StayRef[];
}
export interface RawResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  errors: number;
  conflicts: number;
  firstError?: string;
}

interface Conn {
  query(text: string, params: unknown[]): Promise<unknown>;
  release(): void;
}
interface Driver {
  query(text: string, params: unknown[]): Promise<unknown>;
  connect(): Promise<Conn>;
  end(): Promise<void>;
}

function driver(job: RawJob): Driver {
  if (job.engine === 'postgres') {
    const pool = new pg.Pool({
      connectionString: job.url,
      max: job.connections,
      ...(job.pgOptions ? { options: job.pgOptions } : {}),
    });
    pool.on('error', () => undefined);
    return {
      query: (text, params) => pool.query(text, params),
      connect: async () => {
        const c = await pool.connect();
        return { query: (text, params) => c.query(text, params), release: () => c.release() };
      },
      end: () => pool.end(),
    };
  }
  // The app's own options, but the raw side leaves values as the driver gives them.
  const pool = createMysqlPool({ ...mysqlPoolOptions(job.url, job.connections), typeCast: true });
  const prepared = new WeakSet<PoolConnection>();
  const take = async () => {
    const c = await pool.getConnection();
    if (!prepared.has(c)) {
      for (const s of MYSQL_SESSION) await c.query(s);
      prepared.add(c);
    }
    return c;
  };
  return {
    // Outside a transaction the application also takes any pooled connection for one statement.
    query: async (text, params) => {
      const c = await take();
      try {
        return await c.query(text, params);
      } finally {
        c.release();
      }
    },
    connect: async () => {
      const c = await take();
      return { query: (text, params) => c.query(text, params), release: () => c.release() };
    },
    end: () => pool.end(),
  };
}

const isBegin = (s: string) => /^\s*(begin|start transaction)\b/i.test(s);
const isEnd = (s: string) => /^\s*(commit|rollback)\b/i.test(s);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const dayMs = 86_400_000;
const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * dayMs).toISOString().slice(0, 10);
const nightsBetween = (a: string, b: string) => Math.round((Date.parse(b) - Date.parse(a)) / dayMs);

type Param =
  | { k: 'const'; v: unknown }
  | { k: 'map'; key: string }
  | { k: 'fresh'; key: string }
  | { k: 'date'; offset: number }
  | { k: 'text'; v: string };

/** What each parameter of a template becomes for another stay. */
function compile(t: BookingTemplate) {
  const known = new Set<string>([t.stay.propertyId, t.stay.hostId, t.stay.guestId]);
  const n = nightsBetween(t.stay.checkIn, t.stay.checkOut);
  for (let i = 0; i <= n; i++) known.add(addDays(t.stay.checkIn, i));
  const statements = t.statements.map((s) => ({
    sql: s.sql,
    params: s.parameters.map((w: WireParam): Param => {
      const v = fromWire(w);
      if (v instanceof Date) return { k: 'date', offset: v.getTime() - t.capturedAt };
      if (typeof v === 'string') {
        if (known.has(v)) return { k: 'map', key: v };
        if (UUID.test(v)) return { k: 'fresh', key: v };
        if (v.startsWith('[') || v.startsWith('{')) return { k: 'text', v };
      }
      return { k: 'const', v };
    }),
  }));
  return { statements, nights: n, stay: t.stay };
}

function substitute(c: ReturnType<typeof compile>, stay: StayRef) {
  const map = new Map<string, string>([
    [c.stay.propertyId, stay.propertyId],
    [c.stay.hostId, stay.hostId],
    [c.stay.guestId, stay.guestId],
  ]);
  for (let i = 0; i <= c.nights; i++) map.set(addDays(c.stay.checkIn, i), addDays(stay.checkIn, i));
  const fresh = new Map<string, string>();
  const now = Date.now();
  const replaceAll = (text: string) => {
    let out = text;
    for (const [from, to] of map) out = out.split(from).join(to);
    for (const [from, to] of fresh) out = out.split(from).join(to);
    return out;
  };
  return c.statements.map((s) => ({
    sql: s.sql,
    params: s.params.map((p): unknown => {
      switch (p.k) {
        case 'const':
          return p.v;
        case 'map':
          return map.get(p.key);
        case 'fresh': {
          let id = fresh.get(p.key);
          if (!id) {
            id = randomUUID();
            fresh.set(p.key, id);
          }
          return id;
        }
        case 'date':
          return new Date(now + p.offset);
        default:
          return replaceAll(p.v);
      }
    }),
  }));
}

async function run(job: RawJob): Promise<RawResult> {
  const db = driver(job);
  const latencies: number[] = [];
  let errors = 0;
  let conflicts = 0;
  let firstError: string | undefined;
  const compiled = new Map<number, ReturnType<typeof compile>>();
  for (const [n, t] of Object.entries(job.templates ?? {})) compiled.set(Number(n), compile(t));
  const fixed = (job.statements ?? []).map((s) => ({ sql: s.sql, params: s.parameters.map(fromWire) }));
  let next = 0;
  const stays = job.stays ?? [];

  const once = async (statements: { sql: string; params: unknown[] }[]) => {
    let conn: Conn | undefined;
    try {
      for (const s of statements) {
        if (isBegin(s.sql)) {
          conn = await db.connect();
          await conn.query(s.sql, []);
        } else if (conn) {
          await conn.query(s.sql, s.params);
          if (isEnd(s.sql)) {
            conn.release();
            conn = undefined;
          }
        } else {
          await db.query(s.sql, s.params);
        }
      }
    } catch (err) {
      const e = err as { code?: string; errno?: number; message?: string };
      if (e.code === '23P01' || e.code === 'ER_DUP_ENTRY' || e.errno === 1062) conflicts++;
      else {
        errors++;
        firstError ??= e.message ?? String(err);
      }
      if (conn) {
        await conn.query('rollback', []).catch(() => undefined);
        conn.release();
      }
    }
  };

  // Every connection opened before the clock starts (the application's pool is warm too).
  const warm = await Promise.all(Array.from({ length: job.connections }, () => db.connect()));
  for (const c of warm) {
    await c.query('select 1', []);
    c.release();
  }
  const started = performance.now();
  const deadline = started + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.connections }, async () => {
      while (performance.now() < deadline) {
        let statements = fixed;
        if (job.mode === 'booking') {
          const stay = stays[next++];
          if (!stay) break;
          const template = compiled.get(nightsBetween(stay.checkIn, stay.checkOut));
          if (!template) throw new Error(`no template for ${stay.checkIn}..${stay.checkOut}`);
          statements = substitute(template, stay);
        }
        const s = performance.now();
        await once(statements);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await db.end();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50: pct(0.5),
    p99: pct(0.99),
    mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    errors,
    conflicts,
    ...(firstError ? { firstError } : {}),
  };
}

const file = process.argv[2];
if (!file) {
  console.error('usage: raw-sql.ts <job.json>');
  process.exit(2);
}
run(JSON.parse(readFileSync(file, 'utf8')) as RawJob).then(
  (r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
