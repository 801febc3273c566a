/**
 * `npm run bench`: the API under test runs as a separate process from a production build
 * (`npm run build`, `node dist/server.js`), the load comes from wrk in its own process, and each
 * scenario is compared, side by side in ABBA order, with its baseline:
 *
 *   live     GET /health/live                 vs a bare Fastify answering the same headers (bench/bare-server.ts)
 *   me       GET /api/v1/users/me (bearer)    vs GET /health/live
 *   search   four search mixes over HTTP      vs the same statements replayed raw (bench/raw-sql.ts)
 *   booking  POST /api/v1/bookings            vs the same transaction replayed raw, per stay
 *   startup  spawn → first 200 of /health/ready, PostgreSQL and a fresh PGlite (median of 3)
 *   messaging  posts through a second API process, pushed over Redis to N SSE streams on the first:
 *            post throughput and push latency (bench/messaging.ts; --subscribers N, default 100)
 *   payouts  the release-payouts job over 10 000 completed, paid stays: payouts/s with the sandbox's
 *            transfer and with a no-op one (the database's cost), 1 and 4 workers (bench/payouts.ts)
 *
 * on a fresh `roost_bench` database per size, seeded with realistic data (bench/data.ts). The SQL replayed
 * raw is captured from the application's own modules (bench/capture.ts): every statement of the request.
 *
 *   npm run bench -- [--sizes 10000,100000 | --listings N] [--seconds 5] [--reps 3] [--connections 32]
 *                    [--only live,me,search,booking,startup,messaging] [--subscribers 100]
 *                    [--app <dir>] [--no-build]
 *   npm run bench -- --compare before.json after.json
 *   npm run bench:readme -- bench/results/<file>.json
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; mysql://… for MySQL/MariaDB)
 * is the admin connection that creates `roost_bench`; BENCH_REDIS_URL (default redis://127.0.0.1:6379/14).
 * BENCH_SECONDS, BENCH_CONNECTIONS and BENCH_LISTINGS are the defaults of the flags. Results go to
 * bench/results/<ISO time>-<engine>.json. Only loopback traffic; every wait is bounded in time.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection as createMysqlConnection } from 'mysql2';
import pg from 'pg';
import { createDatabase, type Database, isMysqlUrl } from '../src/db/database.js';
import { DEMO_PASSWORD } from '../src/modules/accounts/demo-users.js';
import { openCapture, type Statement, toWire } from './capture.js';
import { addDays, seed } from './data.js';
import { benchMessaging } from './messaging.js';
import { benchPayouts } from './payouts.js';
import {
  freePort,
  killAll,
  type LoadResult,
  runTracked,
  spawnTracked,
  stopGroup,
  waitFor200,
  wrk,
} from './procs.js';
import type { RawJob, RawResult, StayRef } from './raw-sql.js';
import {
  type BenchResult,
  type Comparison,
  compare,
  machineLine,
  type Sample,
  SEARCH_SCENARIOS,
  type SizeResult,
  table,
  writeReadme,
} from './report.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH_DIR, '..');

// ---------------------------------------------------------------------------------------------- options

interface Options {
  app: string;
  sizes: number[];
  seconds: number;
  reps: number;
  connections: number;
  pool: number;
  warmup: number;
  only: Set<string>;
  /** messaging: SSE subscribers (one user each). */
  subscribers: number;
  build: boolean;
  admin: string;
  redis: string;
}

const SCENARIOS = ['live', 'me', 'search', 'booking', 'startup', 'messaging', 'payouts'];

function parseArgs(argv: string[]): Options | { compare: [string, string] } | { readme: string } {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
  const known = new Set([
    '--app',
    '--sizes',
    '--listings',
    '--seconds',
    '--reps',
    '--connections',
    '--pool',
    '--warmup',
    '--only',
    '--subscribers',
    '--no-build',
    '--compare',
    '--write-readme',
  ]);
  for (const a of argv) {
    if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a}`);
  }
  const ci = argv.indexOf('--compare');
  if (ci >= 0) {
    const [a, b] = [argv[ci + 1], argv[ci + 2]];
    if (!a || !b) throw new Error('--compare needs two result files');
    return { compare: [a, b] };
  }
  const readme = get('write-readme');
  if (readme) return { readme };
  const num = (v: string | undefined, d: number, name: string) => {
    const n = Number(v ?? d);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got ${v}`);
    return n;
  };
  const env = process.env;
  const sizes = (get('sizes') ?? get('listings') ?? env['BENCH_LISTINGS'] ?? '10000')
    .split(',')
    .map((s) => num(s.trim(), 0, 'sizes'));
  const connections = num(get('connections'), Number(env['BENCH_CONNECTIONS'] ?? 32), 'connections');
  const seconds = num(get('seconds'), Number(env['BENCH_SECONDS'] ?? 5), 'seconds');
  const only = new Set((get('only') ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()));
  for (const o of only) {
    if (!SCENARIOS.includes(o) && !SEARCH_SCENARIOS.some(([k]) => k === o))
      throw new Error(
        `--only: unknown scenario ${o} (${SCENARIOS.join(', ')}, or search.city/bbox/text/radius/cityprice)`,
      );
  }
  return {
    app: resolve(get('app') ?? REPO),
    sizes,
    seconds,
    reps: Math.round(num(get('reps'), 3, 'reps')),
    connections,
    pool: num(get('pool'), connections, 'pool'),
    warmup: num(get('warmup'), Math.min(2, seconds), 'warmup'),
    only,
    subscribers: Math.round(num(get('subscribers'), 100, 'subscribers')),
    build: !argv.includes('--no-build'),
    admin: env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redis: env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379/14',
  };
}

// ------------------------------------------------------------------------------------------ constants

const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-00';
const SANDBOX_WEBHOOK_SECRET = 'bench-sandbox-webhook-secret';
const GUESTS = 50;
/** Upper bound of bookings/s either side can reach, to prepare enough free stays per run. */
const MAX_BOOKINGS_PER_SECOND = 4000;

/** The four search mixes. Dates fall inside the booked range; the box is the same at every size. */
const SEARCHES: Record<string, Record<string, string | number>> = {
  'search.city': {
    city: 'Lisbon',
    checkIn: '2027-05-10',
    checkOut: '2027-05-14',
    guests: 2,
    sort: 'newest',
    limit: 20,
  },
  'search.bbox': { bbox: '2.0,41.3,2.3,41.5', minPrice: 5000, maxPrice: 20000, sort: 'price_asc', limit: 20 },
  'search.text': { q: 'garden', amenities: 'wifi,kitchen', sort: 'newest', limit: 20 },
  'search.radius': { lat: 48.8566, lng: 2.3522, radiusKm: 5, sort: 'distance', limit: 20 },
  // Sorting by price for dates ranks the available listings by the stay's total (the pricing engine, in TS).
  'search.cityprice': {
    city: 'Lisbon',
    checkIn: '2027-05-10',
    checkOut: '2027-05-14',
    guests: 2,
    sort: 'price_asc',
    limit: 20,
  },
};

// ------------------------------------------------------------------------------------------ helpers

const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function benchUrlOf(admin: string) {
  const u = new URL(admin);
  u.pathname = '/roost_bench';
  return u.toString();
}

async function adminSql(admin: string, text: string) {
  if (isMysqlUrl(admin)) {
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

const dropBench = (admin: string) =>
  adminSql(
    admin,
    isMysqlUrl(admin)
      ? 'DROP DATABASE IF EXISTS roost_bench'
      : 'DROP DATABASE IF EXISTS roost_bench WITH (FORCE)',
  );

function gitInfo(dir: string): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // A clean environment: nothing of the caller's DATABASE_URL, PORT… leaks into the server.
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? tmpdir(),
    ...extra,
  };
}

function fromLoad(r: LoadResult): Sample {
  return { rps: r.rps, p50: r.p50, p99: r.p99, requests: r.requests, seconds: r.seconds, non2xx: r.non2xx };
}

type Runner = (seconds: number) => Promise<Sample>;

/** A then B then B then A per rep (after a warm-up of both); ratio = mean(A) / mean(B). */
async function abba(name: string, aName: string, bName: string, a: Runner, b: Runner, o: Options) {
  log(`${name}: warm-up`);
  await a(o.warmup);
  await b(o.warmup);
  const reps: Comparison['reps'] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    const a1 = await a(o.seconds);
    const b1 = await b(o.seconds);
    const b2 = await b(o.seconds);
    const a2 = await a(o.seconds);
    const ratio = mean([a1.rps, a2.rps]) / mean([b1.rps, b2.rps]);
    reps.push({ a: [a1, a2], b: [b1, b2], ratio });
    log(
      `${name} rep ${rep + 1}: ${aName} ${a1.rps.toFixed(0)}, ${a2.rps.toFixed(0)} req/s; ${bName} ${b1.rps.toFixed(0)}, ${b2.rps.toFixed(0)} req/s → ${ratio.toFixed(2)}×`,
    );
  }
  const as = reps.flatMap((r) => r.a);
  const bs = reps.flatMap((r) => r.b);
  const c: Comparison = {
    a: aName,
    b: bName,
    reps,
    ratio: median(reps.map((r) => r.ratio)),
    aRps: mean(as.map((s) => s.rps)),
    aP50: median(as.map((s) => s.p50)),
    aP99: median(as.map((s) => s.p99)),
    bRps: mean(bs.map((s) => s.rps)),
    bP50: median(bs.map((s) => s.p50)),
    bP99: median(bs.map((s) => s.p99)),
  };
  return c;
}

async function rawRun(job: Omit<RawJob, 'seconds'>, seconds: number, tmp: string): Promise<RawResult> {
  const file = join(tmp, `raw-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify({ ...job, seconds }));
  const r = await runTracked(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'raw-sql.ts'), file], {
    cwd: REPO,
    timeoutMs: (seconds + 60) * 1000,
  });
  rmSync(file, { force: true });
  if (r.code !== 0) throw new Error(`raw-sql.ts exited ${r.code}: ${r.stderr.slice(-3000)}`);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  const result = JSON.parse(line) as RawResult;
  if (result.errors > 0)
    throw new Error(`raw replay: ${result.errors} failed requests (${result.firstError})`);
  return result;
}

const fromRaw = (r: RawResult): Sample => ({
  rps: r.rps,
  p50: r.p50,
  p99: r.p99,
  requests: r.requests,
  seconds: r.seconds,
  errors: r.errors,
  conflicts: r.conflicts,
});

// ------------------------------------------------------------------------------------------ the API process

interface Api {
  base: string;
  port: number;
  stop: () => Promise<void>;
  stderrFile: string;
}

function apiEnv(o: Options, tmp: string, port: number, databaseUrl: string | undefined): NodeJS.ProcessEnv {
  return baseEnv({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl, REDIS_URL: o.redis } : {}),
    DATABASE_POOL_MAX: String(o.pool),
    JWT_SECRET,
    SANDBOX_WEBHOOK_SECRET,
    CACHE_TTL_SECONDS: '0',
    RATE_LIMIT_AUTH_MAX: '1000000',
    QUEUE_PREFIX: 'roost-bench',
    DATA_DIR: join(tmp, 'data'),
    UPLOADS_DIR: join(tmp, 'uploads'),
    MAIL_DIR: join(tmp, 'mail'),
  });
}

async function startApi(o: Options, tmp: string, env: NodeJS.ProcessEnv, port: number): Promise<Api> {
  const stderrFile = join(tmp, `api-${port}.stderr`);
  const errFd = openSync(stderrFile, 'a');
  // The production logger writes JSON lines to stdout: their cost is measured, their text discarded.
  const child = spawnTracked(process.execPath, ['dist/server.js'], {
    cwd: o.app,
    env,
    stdio: ['ignore', 'ignore', errFd],
  });
  closeSync(errFd);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      const tail = readFileSync(stderrFile, 'utf8').slice(-4000);
      log(`the API exited unexpectedly (${code ?? signal}); its stderr:\n${tail}`);
    }
  });
  let stopping = false;
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor200(`${base}/health/ready`, { since: performance.now(), timeoutMs: 60_000, child });
  } catch (err) {
    stopping = true;
    await stopGroup(child);
    throw new Error(`${(err as Error).message}\n${readFileSync(stderrFile, 'utf8').slice(-3000)}`);
  }
  return {
    base,
    port,
    stop: () => {
      stopping = true;
      return stopGroup(child);
    },
    stderrFile,
  };
}

async function postJson(url: string, body: unknown, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

async function login(base: string, email: string, password: string): Promise<string> {
  const r = await postJson(`${base}/api/v1/auth/login`, { email, password });
  const token = r.json['accessToken'];
  if (r.status !== 200 || typeof token !== 'string') throw new Error(`login ${email}: ${r.status}`);
  return token;
}

// ------------------------------------------------------------------------------------------ scenarios

async function benchLive(o: Options, api: Api, tmp: string): Promise<Comparison> {
  // The app's own /health/live response, replayed statically by the bare server.
  const res = await fetch(`${api.base}/health/live`);
  const body = await res.text();
  const skip = new Set([
    'date',
    'content-length',
    'x-request-id',
    'connection',
    'keep-alive',
    'transfer-encoding',
  ]);
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (!skip.has(k)) headers[k] = v;
  });
  const port = await freePort();
  const errFd = openSync(join(tmp, 'bare.stderr'), 'a');
  const bare = spawnTracked(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'bare-server.ts')], {
    cwd: REPO,
    env: baseEnv({
      NODE_ENV: 'production',
      BARE_PORT: String(port),
      BARE_RESPONSE: JSON.stringify({ headers, body }),
    }),
    stdio: ['ignore', 'ignore', errFd],
  });
  closeSync(errFd);
  try {
    const bareUrl = `http://127.0.0.1:${port}/health/live`;
    await waitFor200(bareUrl, { since: performance.now(), timeoutMs: 30_000, child: bare });
    const check = await fetch(bareUrl);
    const got = [...check.headers.keys()].filter((k) => !skip.has(k)).sort();
    const want = Object.keys(headers).sort();
    if (got.join() !== want.join())
      throw new Error(`bare server headers ${got} differ from the app's ${want}`);
    return await abba(
      'live',
      '/health/live',
      'bare Fastify',
      async (s) =>
        fromLoad(await wrk({ url: `${api.base}/health/live`, seconds: s, connections: o.connections })),
      async (s) => fromLoad(await wrk({ url: bareUrl, seconds: s, connections: o.connections })),
      o,
    );
  } finally {
    await stopGroup(bare);
  }
}

async function benchMe(o: Options, api: Api): Promise<Comparison> {
  const token = await login(api.base, 'guest@roost.dev', DEMO_PASSWORD);
  const check = await fetch(`${api.base}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
  if (check.status !== 200) throw new Error(`/users/me answered ${check.status}`);
  return abba(
    'me',
    '/users/me',
    '/health/live',
    async (s) => {
      const r = await wrk({
        url: `${api.base}/api/v1/users/me`,
        seconds: s,
        connections: o.connections,
        headers: { authorization: `Bearer ${token}` },
      });
      if (r.non2xx > 0) throw new Error(`/users/me: ${r.non2xx} non-2xx answers`);
      return fromLoad(r);
    },
    async (s) =>
      fromLoad(await wrk({ url: `${api.base}/health/live`, seconds: s, connections: o.connections })),
    o,
  );
}

type Capture = Awaited<ReturnType<typeof openCapture>>;

async function explain(
  engine: 'postgres' | 'mysql',
  url: string,
  s: Statement,
  pgOptions: string,
): Promise<string> {
  if (engine === 'mysql') {
    const c = createMysqlConnection(url).promise();
    try {
      const [rows] = await c.query(`explain ${s.sql}`, s.parameters);
      return (rows as Record<string, unknown>[]).map((r) => JSON.stringify(r)).join('\n');
    } finally {
      await c.end();
    }
  }
  const c = new pg.Client({ connectionString: url, ...(pgOptions ? { options: pgOptions } : {}) });
  await c.connect();
  try {
    const r = await c.query<{ 'QUERY PLAN': string }>(
      `explain (analyze, buffers off, costs off, timing off) ${s.sql}`,
      s.parameters,
    );
    return r.rows.map((x) => x['QUERY PLAN']).join('\n');
  } finally {
    await c.end();
  }
}

async function benchSearch(
  o: Options,
  api: Api,
  capture: Capture,
  engine: 'postgres' | 'mysql',
  url: string,
  tmp: string,
  size: SizeResult,
) {
  for (const [key, label] of SEARCH_SCENARIOS) {
    if (!o.only.has('search') && !o.only.has(key)) continue;
    const query = SEARCHES[key]!;
    const { statements, results } = await capture.search(query);
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    const httpUrl = `${api.base}/api/v1/properties?${qs}`;
    const check = await fetch(httpUrl);
    const page = (await check.json()) as { items?: unknown[] };
    if (check.status !== 200) throw new Error(`${label}: HTTP ${check.status}`);
    if ((page.items?.length ?? -1) !== results)
      throw new Error(`${label}: HTTP gave ${page.items?.length} results, the captured search ${results}`);
    size.captured[key] = statements.map((s) => s.sql.replace(/\s+/g, ' ').trim().slice(0, 160));
    size.plans[key] = await explain(engine, url, statements.at(-1)!, capture.pgOptions);
    log(`${label}: ${statements.length} statement(s), ${results} results`);
    const job = {
      engine,
      url,
      connections: o.pool,
      pgOptions: capture.pgOptions,
      mode: 'fixed' as const,
      statements: statements.map(toWire),
    };
    size.comparisons[key] = await abba(
      label,
      'HTTP',
      'raw SQL',
      async (s) => {
        const r = await wrk({ url: httpUrl, seconds: s, connections: o.connections });
        if (r.non2xx > 0) throw new Error(`${label}: ${r.non2xx} non-2xx answers`);
        return fromLoad(r);
      },
      async (s) => fromRaw(await rawRun(job, s, tmp)),
      o,
    );
  }
}

const BOOKING_LUA = `
-- POST /api/v1/bookings, one prepared stay per request (BENCH_BODIES: "<token index>\\t<json>" lines,
-- shared among threads by line number), each with its guest's bearer token (BENCH_TOKENS).
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local tokens, bodies, i = {}, {}, 0
function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  for line in io.lines(os.getenv("BENCH_TOKENS")) do table.insert(tokens, line) end
  local n = 0
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    if n % nthreads == tid then table.insert(bodies, line) end
    n = n + 1
  end
end
function request()
  i = i + 1
  local line = bodies[((i - 1) % #bodies) + 1]
  local tab = string.find(line, "\\t")
  local token = tokens[tonumber(string.sub(line, 1, tab - 1)) + 1]
  return wrk.format("POST", "/api/v1/bookings",
    { ["content-type"] = "application/json", ["authorization"] = "Bearer " .. token },
    string.sub(line, tab + 1))
end
`;

async function benchBooking(
  o: Options,
  api: Api,
  capture: Capture,
  database: Database,
  engine: 'postgres' | 'mysql',
  url: string,
  tmp: string,
  today: string,
): Promise<Comparison> {
  const db = database.db;
  // Guests with tokens, registered and logged in through the API.
  const guests: { id: string; token: string }[] = [];
  for (let i = 0; i < GUESTS; i++) {
    const email = `bench.guest.${i}@example.com`;
    const reg = await postJson(`${api.base}/api/v1/auth/register`, {
      email,
      password: 'bench-pass-123',
      firstName: 'Bench',
      lastName: String(i),
    });
    if (reg.status !== 201 && reg.status !== 409) throw new Error(`register ${email}: ${reg.status}`);
    const token = await login(api.base, email, 'bench-pass-123');
    const row = await db
      .selectFrom('users')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    guests.push({ id: row.id, token });
  }
  const tokensFile = join(tmp, 'tokens.txt');
  writeFileSync(tokensFile, `${guests.map((g) => g.token).join('\n')}\n`);
  const luaFile = join(tmp, 'booking.lua');
  writeFileSync(luaFile, BOOKING_LUA);

  // Bookable listings, in a fixed shuffled order; every stay is one of them on nights of its own:
  // stay j (HTTP: even j, raw: odd j) is listing j mod L in the 3-night window j div L, 1–3 nights.
  const props = await db
    .selectFrom('properties')
    .select(['id', 'host_id'])
    .where('status', '=', 'listed')
    .where('deleted_at', 'is', null)
    .where('min_nights', '=', 1)
    .orderBy('id')
    .execute();
  let state = 12345;
  for (let i = props.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const k = state % (i + 1);
    [props[i], props[k]] = [props[k]!, props[i]!];
  }
  const L = props.length;
  const first = addDays(today, 45);
  const perRun = Math.ceil(o.seconds * MAX_BOOKINGS_PER_SECOND);
  const total = perRun * (2 * o.reps + 1) + Math.ceil(o.warmup * MAX_BOOKINGS_PER_SECOND) + 10;
  const lastDay = addDays(first, Math.ceil((2 * total) / L + 1) * 3 + 3);
  // Nights already taken (seeded bookings and blocks) in that range: such stays are skipped.
  const taken = new Set<string>();
  const booked = await db
    .selectFrom('bookings')
    .select(['property_id', 'check_in', 'check_out'])
    .where('status', 'in', ['pending_payment', 'awaiting_host', 'confirmed', 'completed'])
    .where('check_out', '>', first)
    .where('check_in', '<', lastDay)
    .execute();
  for (const b of booked) {
    for (let d = String(b.check_in); d < String(b.check_out); d = addDays(d, 1))
      taken.add(`${b.property_id}|${d}`);
  }
  const blocked = await db
    .selectFrom('property_calendar')
    .select(['property_id', 'night'])
    .where('blocked', '=', true)
    .where('night', '>=', first)
    .where('night', '<', lastDay)
    .execute();
  for (const b of blocked) taken.add(`${b.property_id}|${String(b.night)}`);
  log(`booking: ${L} bookable listings, ${taken.size} taken nights in ${first}..${lastDay}`);

  const maker = (side: 0 | 1) => {
    let k = 0;
    let skipped = 0;
    return {
      next(count: number): (StayRef & { guest: number })[] {
        const out: (StayRef & { guest: number })[] = [];
        while (out.length < count) {
          const j = 2 * k + side;
          k++;
          const p = props[j % L]!;
          const checkIn = addDays(first, Math.floor(j / L) * 3);
          const nights = 1 + (Math.floor(j / 2) % 3);
          const checkOut = addDays(checkIn, nights);
          let free = true;
          for (let d = 0; d < nights; d++) if (taken.has(`${p.id}|${addDays(checkIn, d)}`)) free = false;
          if (!free) {
            skipped++;
            continue;
          }
          const guest = j % guests.length;
          out.push({
            propertyId: p.id,
            hostId: p.host_id,
            guestId: guests[guest]!.id,
            checkIn,
            checkOut,
            guest,
          });
        }
        return out;
      },
      get skipped() {
        return skipped;
      },
    };
  };
  const httpStays = maker(0);
  const rawStays = maker(1);
  const countBookings = async () =>
    Number(
      (
        await db
          .selectFrom('bookings')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** The count once requests still finishing after wrk stopped have committed (bounded: 5 s). */
  const settled = async () => {
    let last = await countBookings();
    for (let i = 0; i < 25; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const n = await countBookings();
      if (n === last) return n;
      last = n;
    }
    return last;
  };

  // One booking through the API first: it must be created (201).
  const [probe] = httpStays.next(1);
  const first201 = await postJson(
    `${api.base}/api/v1/bookings`,
    { propertyId: probe!.propertyId, checkIn: probe!.checkIn, checkOut: probe!.checkOut, guests: 1 },
    guests[probe!.guest]!.token,
  );
  if (first201.status !== 201)
    throw new Error(`POST /bookings answered ${first201.status}: ${JSON.stringify(first201.json)}`);

  // The raw side replays what createBooking ran for a stay of the same length, captured once per length.
  const templates: RawJob['templates'] = {};
  while (Object.keys(templates).length < 3) {
    const [stay] = rawStays.next(1);
    const nights = Math.round((Date.parse(stay!.checkOut) - Date.parse(stay!.checkIn)) / 86_400_000);
    if (templates[String(nights)]) continue;
    const c = await capture.booking(
      { userId: stay!.guestId, role: 'guest', sessionId: randomUUID() },
      { propertyId: stay!.propertyId, checkIn: stay!.checkIn, checkOut: stay!.checkOut, guests: 1 },
    );
    if (c.status !== 201) throw new Error(`captured createBooking returned ${c.status}`);
    templates[String(nights)] = {
      statements: c.statements.map(toWire),
      capturedAt: c.capturedAt,
      stay: stay!,
    };
  }
  const template = templates['2']!.statements;
  log(
    `booking: createBooking runs ${template.length} statements: ${template.map((s) => s.sql.trim().split(/\s/)[0]).join(', ')}`,
  );

  let httpConflicts = 0;
  let rawConflicts = 0;
  const c = await abba(
    'booking',
    'HTTP',
    'raw transaction',
    async (s) => {
      const stays = httpStays.next(Math.ceil(s * MAX_BOOKINGS_PER_SECOND));
      const bodies = join(tmp, 'bodies.txt');
      writeFileSync(
        bodies,
        `${stays
          .map(
            (x) =>
              `${x.guest}\t${JSON.stringify({ propertyId: x.propertyId, checkIn: x.checkIn, checkOut: x.checkOut, guests: 1 })}`,
          )
          .join('\n')}\n`,
      );
      const before = await settled();
      const r = await wrk({
        url: api.base,
        seconds: s,
        connections: o.connections,
        script: luaFile,
        env: { BENCH_TOKENS: tokensFile, BENCH_BODIES: bodies, BENCH_THREADS: '2' },
      });
      const created = (await settled()) - before;
      httpConflicts += r.non2xx;
      if (r.requests > stays.length)
        log(`booking: wrk sent ${r.requests} requests for ${stays.length} stays`);
      return { ...fromLoad(r), created, conflicts: r.non2xx };
    },
    async (s) => {
      const stays = rawStays.next(Math.ceil(s * MAX_BOOKINGS_PER_SECOND));
      const before = await settled();
      const r = await rawRun(
        {
          engine,
          url,
          connections: o.pool,
          pgOptions: capture.pgOptions,
          mode: 'booking',
          templates,
          stays: stays.map(({ guest: _, ...x }) => x),
        },
        s,
        tmp,
      );
      const created = (await countBookings()) - before;
      rawConflicts += r.conflicts;
      if (created !== r.requests - r.conflicts)
        throw new Error(
          `raw booking replay: ${r.requests - r.conflicts} committed but ${created} rows inserted`,
        );
      return { ...fromRaw(r), created };
    },
    o,
  );
  const created = c.reps.flatMap((r) => r.a).reduce((n, s) => n + (s.created ?? 0), 0);
  const createdRaw = c.reps.flatMap((r) => r.b).reduce((n, s) => n + (s.created ?? 0), 0);
  c.note =
    `HTTP created ${created} bookings, ${httpConflicts} non-2xx; raw inserted ${createdRaw}, ` +
    `${rawConflicts} conflicts; ${httpStays.skipped + rawStays.skipped} candidate stays skipped as taken`;
  log(`booking: ${c.note}`);
  return c;
}

async function benchStartup(o: Options, tmp: string, url: string) {
  const once = async (kind: 'postgres' | 'pglite', i: number) => {
    const port = await freePort();
    const dir = join(tmp, `start-${kind}-${i}`);
    mkdirSync(dir, { recursive: true });
    const env = apiEnv(o, dir, port, kind === 'postgres' ? url : undefined);
    if (kind === 'pglite') env['PGLITE_DATA_DIR'] = join(dir, 'pglite');
    const errFd = openSync(join(dir, 'stderr'), 'a');
    const since = performance.now();
    const child = spawnTracked(process.execPath, ['dist/server.js'], {
      cwd: o.app,
      env,
      stdio: ['ignore', 'ignore', errFd],
    });
    closeSync(errFd);
    try {
      return await waitFor200(`http://127.0.0.1:${port}/health/ready`, { since, timeoutMs: 60_000, child });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${readFileSync(join(dir, 'stderr'), 'utf8').slice(-2000)}`);
    } finally {
      await stopGroup(child);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const out: BenchResult['startup'] = {};
  for (const kind of ['postgres', 'pglite'] as const) {
    if (kind === 'postgres' && isMysqlUrl(url)) continue;
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(await once(kind, i));
    out[kind] = { runs, median: median(runs) };
    log(`startup ${kind}: ${runs.map((r) => r.toFixed(0)).join(', ')} ms`);
  }
  return out;
}

// ------------------------------------------------------------------------------------------ main

async function benchSize(
  o: Options,
  listings: number,
  tmp: string,
  result: BenchResult,
  today: string,
): Promise<SizeResult> {
  const t0 = performance.now();
  const engine = isMysqlUrl(o.admin) ? 'mysql' : 'postgres';
  const url = benchUrlOf(o.admin);
  log(`— ${listings} listings: fresh roost_bench database`);
  await dropBench(o.admin);
  await adminSql(
    o.admin,
    engine === 'mysql'
      ? 'CREATE DATABASE roost_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci'
      : 'CREATE DATABASE roost_bench',
  );
  // The application's own migrations.
  const mig = await runTracked(process.execPath, ['--import', 'tsx', 'src/cli/migrate.ts'], {
    cwd: o.app,
    env: baseEnv({ DATABASE_URL: url, JWT_SECRET, SANDBOX_WEBHOOK_SECRET, NODE_ENV: 'production' }),
    timeoutMs: 300_000,
  });
  if (mig.code !== 0) throw new Error(`migrate failed (${mig.code}): ${mig.stderr}${mig.stdout}`);
  log(mig.stdout.trim());
  const database = await createDatabase({ url, poolMax: 4 });
  const size: SizeResult = {
    listings,
    seed: await seed(database.db, engine, { listings, today, log }),
    comparisons: {},
    plans: {},
    captured: {},
    wallMs: 0,
  };
  let api: Api | undefined;
  let capture: Capture | undefined;
  try {
    const port = await freePort();
    api = await startApi(o, tmp, apiEnv(o, tmp, port, url), port);
    capture = await openCapture(o.app, url, engine, {
      NODE_ENV: 'production',
      JWT_SECRET,
      SANDBOX_WEBHOOK_SECRET,
      LOG_LEVEL: 'silent',
    });
    size.session = capture.pgOptions;
    if (capture.pgOptions) log(`the app's connections run with ${capture.pgOptions}; so does the raw side`);
    if (o.only.has('live')) size.comparisons['live'] = await benchLive(o, api, tmp);
    if (o.only.has('me')) size.comparisons['me'] = await benchMe(o, api);
    await benchSearch(o, api, capture, engine, url, tmp, size);
    if (o.only.has('booking'))
      size.comparisons['booking'] = await benchBooking(o, api, capture, database, engine, url, tmp, today);
    if (o.only.has('messaging')) {
      size.messaging = await benchMessaging({
        db: database.db,
        a: api,
        startB: async (env) => {
          const port = await freePort();
          return startApi(o, tmp, { ...apiEnv(o, tmp, port, url), ...env }, port);
        },
        subscribers: o.subscribers,
        connections: o.connections,
        seconds: o.seconds,
        warmup: o.warmup,
        jwtSecret: JWT_SECRET,
        tmp,
        repo: REPO,
        log,
      });
    }
    if (o.only.has('payouts')) {
      size.payouts = await benchPayouts({ database, stays: 10_000, workers: 4, log });
    }
    await api.stop();
    api = undefined;
    if (o.only.has('startup') && !result.startup.postgres && !result.startup.pglite) {
      result.startup = await benchStartup(o, tmp, url);
    }
  } finally {
    await capture?.close();
    await api?.stop();
    await database.close();
  }
  size.wallMs = Math.round(performance.now() - t0);
  log(`— ${listings} listings done in ${(size.wallMs / 1000).toFixed(0)} s`);
  return size;
}

async function main() {
  const parsed = parseArgs(process.argv.slice(2));
  if ('compare' in parsed) {
    console.log(compare(parsed.compare[0], parsed.compare[1]));
    return;
  }
  if ('readme' in parsed) {
    writeReadme(join(REPO, 'README.md'), parsed.readme);
    console.log(`README.md: the bench block now shows ${parsed.readme}`);
    return;
  }
  const o = parsed;
  const t0 = performance.now();
  const engine = isMysqlUrl(o.admin) ? 'mysql' : 'postgres';
  const tmp = mkdtempSync(join(tmpdir(), 'roost-bench-'));
  let snapshot: string | undefined;
  let runDir = o.app;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    killAll();
    await dropBench(o.admin).catch((err: unknown) =>
      console.error(`could not drop roost_bench: ${String(err)}`),
    );
    rmSync(tmp, { recursive: true, force: true });
    if (snapshot) {
      rmSync(snapshot, { recursive: true, force: true });
      try {
        rmdirSync(dirname(snapshot)); // only if no other checkout's snapshot is there
      } catch {
        // not empty
      }
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping the bench`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    if (o.build) {
      // A snapshot of the app (src, scripts, package.json, tsconfig*) built with its own `npm run build`: other
      // people editing or rebuilding the checkout during the run change nothing under test.
      snapshot = join(
        o.app,
        'node_modules',
        '.cache',
        'roost-bench',
        createHash('sha1').update(o.app).digest('hex').slice(0, 12),
      );
      rmSync(snapshot, { recursive: true, force: true });
      mkdirSync(snapshot, { recursive: true });
      for (const f of ['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
        if (existsSync(join(o.app, f))) cpSync(join(o.app, f), join(snapshot, f), { recursive: true });
      }
      log(`building a snapshot of ${o.app} (npm run build in ${relative(o.app, snapshot)})`);
      const b = await runTracked('npm', ['run', 'build'], { cwd: snapshot, timeoutMs: 600_000 });
      if (b.code !== 0) throw new Error(`npm run build failed for ${o.app}:\n${b.stdout}${b.stderr}`);
      runDir = snapshot;
    }
    const today = new Date().toISOString().slice(0, 10);
    const cpu = cpus();
    const result: BenchResult = {
      version: 1,
      startedAt: new Date().toISOString(),
      finishedAt: '',
      engine,
      machine: {
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        loadavg: loadavg(),
      },
      app: { dir: o.app, ...gitInfo(o.app) },
      params: {
        sizes: o.sizes,
        seconds: o.seconds,
        reps: o.reps,
        connections: o.connections,
        pool: o.pool,
        only: [...o.only],
      },
      sizes: {},
      startup: {},
      wallMs: 0,
    };
    log(`roost bench: ${machineLine(result)}`);
    const run = { ...o, app: runDir };
    for (const n of o.sizes) result.sizes[String(n)] = await benchSize(run, n, tmp, result, today);
    result.finishedAt = new Date().toISOString();
    result.wallMs = Math.round(performance.now() - t0);
    const dir = join(BENCH_DIR, 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${result.startedAt.replace(/[:.]/g, '-')}-${engine}.json`);
    const round = (_k: string, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v);
    writeFileSync(file, `${JSON.stringify(result, round, 2)}\n`);
    console.log(`\n${machineLine(result)}\n\n${table(result)}\n`);
    console.log(
      `results: ${relative(process.cwd(), file)} (whole run ${(result.wallMs / 1000).toFixed(0)} s)`,
    );
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    killAll();
    process.exit(1);
  },
);
