/**
 * Property-based fuzzing of every REST operation (walked from GET /openapi.json, plus the hidden
 * /metrics, /openapi.json, /media/:key and /docs/*) and every GraphQL Query/Mutation field (walked from
 * introspection), as an anonymous caller, a guest, a host and an admin, against TEST_DB's database.
 *
 * Each request must: answer below 500, never carry the `internal_error` code (REST problem `code`,
 * GraphQL `extensions.code`), answer within FUZZ_TIMEOUT_MS (a hang) and not be slower than
 * FUZZ_SLOW_MS twice in a row, and leak nothing internal (SQL, driver messages, stack frames, paths).
 *
 * Fixtures, built through the API: a host with two published listings (calendar blocks and price
 * overrides, photos) and a draft, a guest with bookings in every state on them (pending, confirmed,
 * awaiting the host, payment processing, two completed stays, one reviewed), an admin, real one-time
 * tokens, cursors (real ones, and ones that decode to hostile keys), a failed job in a real BullMQ
 * queue, signed webhooks for the sandbox and Stripe. Requests legitimately damage them (deletes,
 * suspensions, cancellations…): between operations they are repaired (see repairFixtures).
 *
 * Phase 1, random: per operation and caller, fast-check generates inputs from the schemas (types,
 * enums, formats, bounds; fixture ids substituted for ids most of the time). Each input is `valid`
 * (coherent, to reach the services), has exactly `one` hostile part (a path or query parameter, the
 * date range, the body, the headers), or is `chaos`. Hostile values: NUL and lone surrogates (also
 * fitted inside length limits, so they pass validation), long and exotic strings, SQL/JSON-ish text,
 * 1e309, -1e309, 999999999999999999999, -0, 1.5 for integers, denormals, impossible, extreme, reversed
 * and millennia-long dates, malformed UUIDs (urn:uuid:…, braces, NUL-suffixed), wrong types, missing
 * required and extra properties, malformed JSON and multipart bodies, hostile query-string forms
 * ("1e309", "Infinity", "NaN", "%00", broken percent-encoding), broken bearer tokens. Operations with
 * more inputs get proportionally more runs. GraphQL: hostile arguments inline or as variables, nested
 * selections with their own arguments (`property { host { firstName } calendar(from, to) }`), and a
 * list of whole-document abuses (depth, aliases, batching, persisted queries, transports).
 * Phase 2, sweep: from the input of each operation that got furthest (2xx, else refused by a business
 * rule), every critical value in every input in turn, so no parameter depends on luck.
 *
 * Every failure is collected (the run never stops at the first). Failures are grouped by operation,
 * kind, status and code, split by input feature (NUL, non-finite number, urn:uuid…), each group
 * reduced to a smaller input that still fails the same way, and the test fails once with a readable
 * summary, indexed by likely cause.
 *
 *   FUZZ_SEED=<n>        seed (default 424242); the summary prints it
 *   FUZZ_RUNS=<n>        random inputs per operation and caller (default 40, scaled up by the number of inputs)
 *   FUZZ_TIMEOUT_MS=<n>  per-request time limit (default 5000): a request still running then is a hang
 *   FUZZ_SLOW_MS=<n>     a request slower than this twice in a row is a failure too (default 2000)
 *   FUZZ_SHRINK_MS=<n>   time budget for reducing failures (default 20000; 0 disables)
 *   FUZZ_REPORT=<path>   also write every failure as JSON to <path>.<phase>.<engine>.json
 *   FUZZ_TRACE=<text>    print every exchange of the targets whose name contains <text>
 *
 * A request that exhausts the heap kills the test process before any summary. So the run keeps a
 * journal (its path is printed to stderr at the start): every failure as found, and the requests
 * in flight (a timed-out request keeps running in the background). After a crash, read it.
 *
 * Deliberately not fuzzed (all other routes are):
 *   - HEAD variants of GET routes: Fastify's automatic HEAD routes run the same handler as GET.
 *   - /docs/static/* and /docs/json|yaml beyond one wildcard operation: @fastify/swagger-ui's
 *     static files; `GET /docs/{*}` is fuzzed with hostile paths (traversal, NUL) as one operation.
 *   - OPTIONS: CORS is off in the test app (no preflight routes exist).
 */
import { createHmac } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { Type } from 'typebox';
import { expect } from 'vitest';
import { invalidateProperty } from '../../src/modules/properties/properties.service.js';
import { createBullQueue, startBullWorker } from '../../src/platform/queue/bullmq.js';
import { defineJob, type JobQueue, type JobRegistry } from '../../src/platform/queue/registry.js';
import { createListing, setCalendar } from './fixtures.js';
import {
  type GqlCase,
  type GqlHints,
  type GqlSchema,
  gqlCaseArb,
  INTROSPECTION_TYPES_QUERY,
  inputCount,
  introspectionArgsQuery,
  objectTypeNames,
  parseIntrospection,
  renderGql,
  shrinkGql,
  sweepGql,
} from './fuzz-graphql.js';
import {
  applyMutation,
  CHAOS_BODIES,
  cloneJson,
  coherentPairArb,
  fitLength,
  HOSTILE_QUERY_FORMS,
  hostileArb,
  hostilePairArb,
  hostileStringArb,
  isoDay,
  type JsonLike,
  type JsonSchema,
  LONG,
  type Mutation,
  malformedUuids,
  mutationArb,
  queryForms,
  RawJson,
  safeEncode,
  schemaPaths,
  toJsonText,
  validArb,
} from './fuzz-values.js';
import { dropPrefix, redisUrl, testRedis, uniquePrefix, waitFor } from './redis.js';
import { completedStay } from './stays.js';
import { createTestApp, createUser, lastEmail, type TestApp, type TestUser } from './test-app.js';
import { testDbKind } from './test-db.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 424242);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 40);
const TIMEOUT_MS = Number(process.env['FUZZ_TIMEOUT_MS'] ?? 5_000);
const SLOW_MS = Number(process.env['FUZZ_SLOW_MS'] ?? 2_000);
const SHRINK_MS = Number(process.env['FUZZ_SHRINK_MS'] ?? 20_000);
const TRACE = process.env['FUZZ_TRACE'];
/** After a request exceeds TIMEOUT_MS, wait this long for it to finish before going on (no pile-up). */
const SETTLE_MS = 60_000;
/** An operation that hangs this many times (whoever calls) is not sent more input; the summary says so. */
const MAX_HANGS_PER_OPERATION = 2;
const ENGINE = testDbKind();
const JOURNAL = join(tmpdir(), `roost-fuzz-${ENGINE}-${process.pid}.journal`);
const INFLIGHT = `${JOURNAL}.inflight`;
const inflight = new Map<number, string>();
let inflightSeq = 0;

function journal(text: string) {
  appendFileSync(JOURNAL, `${new Date().toISOString()} ${text}\n`);
}
function writeInflight() {
  writeFileSync(INFLIGHT, [...inflight.values()].join('\n\n'));
}
const SANDBOX_SECRET = 'fuzz-sandbox-webhook-secret-0123456789';
const STRIPE_SECRET = 'whsec_fuzz_0123456789abcdef';

const CALLERS = ['anonymous', 'guest', 'host', 'admin'] as const;
type Caller = (typeof CALLERS)[number];

// =============================================================================================
// Fixtures: a host with published listings (calendar, photos), a guest with bookings in every
// state on them (and a completed, reviewed stay), an admin, real tokens, cursors and a failed job.

let clock = new Date('2030-01-01T12:00:00Z');
let t: TestApp;
let queue: JobQueue & { close(): Promise<void> };
const queuePrefix = uniquePrefix('fuzz');
const uploads = mkdtempSync(join(tmpdir(), 'roost-fuzz-uploads-'));
const users = {} as Record<Exclude<Caller, 'anonymous'>, TestUser>;
const F = {
  userIds: [] as string[],
  propertyIds: [] as string[],
  bookingIds: [] as string[],
  reviewIds: [] as string[],
  photoIds: [] as string[],
  mediaKeys: [] as string[],
  jobIds: ['fuzz-failed-1'],
  emails: [] as string[],
  refreshTokens: [] as string[],
  tokens: [] as string[],
  cursors: [] as string[],
  amenityCodes: [] as string[],
  providerRefs: [] as string[],
};

const PNG = (seed: number) =>
  Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, seed)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 2)]);
const WEBP = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([0x40, 0, 0, 0]),
  Buffer.from('WEBPVP8 '),
  Buffer.alloc(64, 3),
]);

function multipartBody(parts: MultipartPart[], boundary: string, closing = true): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disp = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: ${disp}\r\n${p.contentType !== undefined ? `Content-Type: ${p.contentType}\r\n` : ''}\r\n`,
      ),
      fileBytes(p.data),
      Buffer.from('\r\n'),
    );
  }
  if (closing) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

function fileBytes(data: MultipartPart['data']): Buffer {
  switch (data) {
    case 'png':
      return PNG(7);
    case 'jpeg':
      return JPEG;
    case 'webp':
      return WEBP;
    case 'garbage':
      return Buffer.from('GIF89a not really an image \u0000\uD800');
    case 'empty':
      return Buffer.alloc(0);
    case 'big':
      return Buffer.concat([PNG(9), Buffer.alloc(70_000, 1)]);
    default:
      return Buffer.from(data.text);
  }
}

const inject = (opts: InjectOptions): Promise<LightMyRequestResponse> => t.app.inject(opts);

/** The token of the newest email of a template (whichever shape lastEmail gives it). */
async function emailToken(to: string, template: string): Promise<string> {
  const mail = (await lastEmail(t, to, template)) as { token?: unknown; payload?: { token?: unknown } };
  return String(mail.token ?? mail.payload?.token);
}

async function setupFixtures() {
  // The dead-letter routes exist only with a queue: a real BullMQ queue on Redis, holding one failed job.
  const registry: JobRegistry = {
    'fuzz-fails': defineJob({
      name: 'fuzz-fails',
      schema: Type.Object({}),
      attempts: 1,
      handler: async () => {
        throw new Error('this job always fails');
      },
    }),
  };
  queue = createBullQueue(registry, { url: redisUrl(), prefix: queuePrefix });
  const worker = await startBullWorker(registry, [], { url: redisUrl(), prefix: queuePrefix });
  await queue.enqueue('fuzz-fails', {}, { jobId: 'fuzz-failed-1' });
  await waitFor(async () => (await queue.counts()).failed === 1, 15_000, 'failed job');
  await worker.close();

  t = await createTestApp({
    now: () => clock,
    queue,
    env: {
      UPLOADS_DIR: uploads,
      PHOTO_MAX_BYTES: '65536',
      SANDBOX_WEBHOOK_SECRET: SANDBOX_SECRET,
      // Stripe's webhook route is reachable (signature checked locally); no Stripe API call is made
      // because PAYMENT_PROVIDER stays `sandbox`.
      STRIPE_SECRET_KEY: 'sk_test_fuzz',
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
      ACCESS_TOKEN_TTL_SECONDS: '86400',
    },
  });
  users.admin = await createUser(t, 'admin');
  users.host = await createUser(t, 'host');
  users.guest = await createUser(t, 'guest');
  const spare = await createUser(t, 'guest'); // its tokens are fuzzed (refresh, verify, reset)
  F.userIds.push(users.guest.id, users.host.id, users.admin.id, spare.id);
  F.emails.push(users.guest.email, users.host.email, users.admin.email, spare.email);

  const amenities = await inject({ method: 'GET', url: '/api/v1/properties/amenities' });
  F.amenityCodes = (amenities.json() as { code: string }[]).map((a) => a.code);
  const a = await createListing(t, users.host, {
    title: 'Fuzz quiet home',
    amenities: F.amenityCodes.slice(0, 2),
    maxNights: 60,
  });
  const b = await createListing(t, users.host, {
    instantBook: false,
    cancellationPolicy: 'strict',
    city: 'Porto',
  });
  const draft = await createListing(t, users.host, { publish: false });
  F.propertyIds.push(a.id, b.id, draft.id);
  await setCalendar(t, users.host, a.id, { from: '2030-03-01', to: '2030-03-05', blocked: true });
  await setCalendar(t, users.host, a.id, { from: '2030-03-10', to: '2030-03-12', price: 15_000 });
  for (const n of [1, 2]) {
    const photo = await uploadPhoto(a.id, n);
    if (!photo) throw new Error('photo upload failed');
    F.photoIds.push(photo.id);
    F.mediaKeys.push(photo.key);
  }

  // Two completed stays (the clock moves to the second's check-out day); the first gets reviewed, the
  // second is left for the fuzzed reviews and guest ratings. Then bookings in other states.
  const completed = await completedStay(t, users.guest, a.id, '2030-01-02', '2030-01-03', (d) => {
    clock = d;
  });
  const unreviewed = await completedStay(t, users.guest, a.id, '2030-01-04', '2030-01-05', (d) => {
    clock = d;
  });
  const review = await inject({
    method: 'POST',
    url: '/api/v1/reviews',
    headers: users.guest.auth,
    payload: {
      bookingId: completed,
      rating: 5,
      cleanliness: 5,
      accuracy: 4,
      communication: 5,
      location: 4,
      checkIn: 5,
      value: 4,
      body: 'A lovely, quiet place; would stay again.',
    },
  });
  if (review.statusCode !== 201) throw new Error(`review failed: ${review.statusCode} ${review.body}`);
  F.reviewIds.push(review.json().id);
  const book = async (propertyId: string, checkIn: string, checkOut: string, card?: string) => {
    const res = await inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: users.guest.auth,
      payload: { propertyId, checkIn, checkOut, guests: 1 },
    });
    if (res.statusCode !== 201) throw new Error(`booking failed: ${res.statusCode} ${res.body}`);
    const id = res.json().id as string;
    if (card) {
      const paid = await inject({
        method: 'POST',
        url: `/api/v1/bookings/${id}/pay`,
        headers: users.guest.auth,
        payload: { paymentMethod: card },
      });
      if (paid.statusCode >= 300 && paid.statusCode !== 402)
        throw new Error(`pay failed: ${paid.statusCode} ${paid.body}`);
    }
    return id;
  };
  F.bookingIds.push(
    await book(a.id, '2030-02-10', '2030-02-13'), // pending_payment
    await book(a.id, '2030-02-20', '2030-02-22', 'pm_card_visa'), // confirmed
    await book(b.id, '2030-02-05', '2030-02-07', 'pm_card_visa'), // awaiting_host
    await book(a.id, '2030-03-20', '2030-03-22', 'pm_card_async'), // payment processing
    completed,
    unreviewed,
  );
  const cards = [undefined, 'pm_card_visa', 'pm_card_visa', 'pm_card_async'];
  const created = await t.ctx.db
    .selectFrom('bookings')
    .select(['id', 'status', 'property_id'])
    .where('id', 'in', F.bookingIds)
    .execute();
  bookingPlan = F.bookingIds.slice(0, 4).map((id, index) => {
    const row = created.find((r) => r.id === id)!;
    const card = cards[index];
    return { index, status: String(row.status), propertyId: row.property_id, ...(card ? { card } : {}) };
  });
  const refs = await t.ctx.db.selectFrom('payments').select('provider_ref').execute();
  F.providerRefs = refs.map((r) => r.provider_ref).filter((r): r is string => typeof r === 'string');

  // Real one-time tokens and a refresh token of the spare user.
  F.refreshTokens.push(spare.refreshToken);
  F.tokens.push(await emailToken(spare.email, 'verify_email'));
  await inject({
    method: 'POST',
    url: '/api/v1/auth/password-reset/request',
    payload: { email: spare.email },
  });
  F.tokens.push(await emailToken(spare.email, 'password_reset'));

  // Real cursors, and cursors that decode but carry hostile keys.
  const cursorOf = async (url: string, user?: TestUser) => {
    const res = await inject({ method: 'GET', url, headers: user?.auth ?? {} });
    const next = res.statusCode === 200 ? (res.json().nextCursor as string | null) : null;
    if (next) F.cursors.push(next);
  };
  await cursorOf('/api/v1/properties?limit=1');
  await cursorOf('/api/v1/properties?limit=1&sort=price_asc');
  await cursorOf('/api/v1/bookings?limit=1', users.guest);
  await cursorOf('/api/v1/users?limit=1', users.admin);
  await cursorOf('/api/v1/properties/mine?limit=1', users.host);
  const id = F.propertyIds[0]!;
  for (const key of [
    { s: 'price_asc', v: '\u0000', id },
    { s: 'newest', v: 1e308, id },
    { s: 'rating', v: 'NaN', id },
    { s: 'distance', v: -1, id: `urn:uuid:${id}` },
    { s: 'relevance', v: '9999-12-31T00:00:00Z', id },
    { checkIn: '0000-01-01', id },
    { checkIn: '2030-02-30', id },
    { checkIn: '9999-12-31', id: id.toUpperCase() },
    { v: '\uD800', id },
    { v: 9.99e307, id },
    { id: `${id}\u0000` },
    { id: '00000000-0000-0000-0000-000000000000' },
  ]) {
    F.cursors.push(Buffer.from(JSON.stringify(key)).toString('base64url'));
  }
  await takeSnapshot();
}

// =============================================================================================
// Keeping the fixtures meaningful. Fuzzed requests legitimately change them (a host deletes a
// listing, an admin suspends or demotes a user, a guest cancels a booking, a password changes…), which
// would leave every later operation facing 404s and 401s. Between targets, fixture rows are put back
// from a snapshot, consumed bookings and photos are replaced, and callers whose token stopped working
// sign in again.

type Row = Record<string, unknown>;
const SNAPSHOT_TABLES = ['users', 'properties', 'reviews'] as const;
let snapshot: { table: (typeof SNAPSHOT_TABLES)[number]; rows: Row[] }[] = [];
/** Each fixture booking's state at setup, and how to make another one in that state. */
let bookingPlan: { index: number; status: string; propertyId: string; card?: string }[] = [];
let nextStayDay = Date.UTC(2031, 0, 5);
const repairs = { rows: 0, bookings: 0, photos: 0, logins: 0, failed: [] as string[] };

const idsOf = (table: (typeof SNAPSHOT_TABLES)[number]) =>
  table === 'users' ? F.userIds : table === 'properties' ? F.propertyIds : F.reviewIds;

async function selectRows(table: (typeof SNAPSHOT_TABLES)[number]): Promise<Row[]> {
  const ids = idsOf(table);
  if (ids.length === 0) return [];
  const db = t.ctx.db as any;
  return db.selectFrom(table).selectAll().where('id', 'in', ids).execute();
}

async function takeSnapshot() {
  snapshot = [];
  for (const table of SNAPSHOT_TABLES) snapshot.push({ table, rows: await selectRows(table) });
}

const scalar = (v: unknown) =>
  v === null || v instanceof Date || ['string', 'number', 'boolean'].includes(typeof v);
const same = (a: unknown, b: unknown) =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;

async function restoreRows() {
  const db = t.ctx.db as any;
  for (const { table, rows } of snapshot) {
    const current = new Map((await selectRows(table)).map((r) => [r['id'], r]));
    for (const row of rows) {
      const now = current.get(row['id']);
      if (!now) continue;
      // Column by column: generated columns refuse updates and follow the others by themselves.
      for (const [column, value] of Object.entries(row)) {
        if (column === 'id' || !scalar(value) || same(now[column], value)) continue;
        try {
          await db
            .updateTable(table)
            .set({ [column]: value })
            .where('id', '=', row['id'])
            .execute();
          repairs.rows++;
        } catch {
          // a generated column
        }
      }
    }
  }
  for (const id of F.propertyIds) await invalidateProperty(t.ctx, id);
  const sessions = (t.ctx as unknown as { sessions?: { forget?: (userId: string) => Promise<void> } })
    .sessions;
  for (const id of F.userIds) await sessions?.forget?.(id);
}

async function repairLogins() {
  for (const caller of ['guest', 'host', 'admin'] as const) {
    const u = users[caller];
    const me = await inject({ method: 'GET', url: '/api/v1/users/me', headers: u.auth });
    if (me.statusCode === 200) continue;
    const login = await inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: u.password },
    });
    if (login.statusCode !== 200) {
      repairs.failed.push(`login of ${caller}: ${login.statusCode} ${login.body.slice(0, 200)}`);
      continue;
    }
    u.accessToken = login.json().accessToken;
    u.refreshToken = login.json().refreshToken;
    u.auth = { authorization: `Bearer ${u.accessToken}` };
    repairs.logins++;
  }
}

async function createBooking(propertyId: string, card?: string): Promise<string | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const checkIn = isoDay(nextStayDay);
    const checkOut = isoDay(nextStayDay + 2 * 86_400_000);
    nextStayDay += 3 * 86_400_000;
    const res = await inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: users.guest.auth,
      payload: { propertyId, checkIn, checkOut, guests: 1 },
    });
    if (res.statusCode !== 201) continue;
    const id = res.json().id as string;
    if (card) {
      await inject({
        method: 'POST',
        url: `/api/v1/bookings/${id}/pay`,
        headers: users.guest.auth,
        payload: { paymentMethod: card },
      });
    }
    return id;
  }
  return null;
}

async function repairBookings() {
  const rows = await t.ctx.db
    .selectFrom('bookings')
    .select(['id', 'status'])
    .where('id', 'in', F.bookingIds)
    .execute();
  const status = new Map(rows.map((r) => [r.id, String(r.status)]));
  for (const plan of bookingPlan) {
    const id = F.bookingIds[plan.index]!;
    if (status.get(id) === plan.status) continue;
    const replacement = await createBooking(plan.propertyId, plan.card);
    if (replacement) {
      F.bookingIds[plan.index] = replacement;
      repairs.bookings++;
    } else {
      repairs.failed.push(`could not replace booking ${id} (${plan.status})`);
    }
  }
}

async function uploadPhoto(propertyId: string, n: number) {
  const boundary = `fuzzfixture${n}`;
  const res = await inject({
    method: 'POST',
    url: `/api/v1/properties/${propertyId}/photos`,
    headers: { ...users.host.auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="caption"\r\n\r\nRoom ${n}\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p${n}.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      PNG(n % 250),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  });
  if (res.statusCode !== 201) return null;
  return { id: res.json().id as string, key: String(res.json().url).split('/').pop()! };
}

async function repairPhotos() {
  const rows = await t.ctx.db
    .selectFrom('property_photos')
    .select('id')
    .where('id', 'in', F.photoIds)
    .execute();
  const alive = new Set(rows.map((r) => r.id));
  for (let i = 0; i < F.photoIds.length; i++) {
    if (alive.has(F.photoIds[i]!)) continue;
    const photo = await uploadPhoto(F.propertyIds[0]!, 100 + repairs.photos);
    if (photo) {
      F.photoIds[i] = photo.id;
      F.mediaKeys[i] = photo.key;
      repairs.photos++;
    } else {
      repairs.failed.push(`could not replace photo ${F.photoIds[i]}`);
    }
  }
}

async function repairFixtures() {
  await restoreRows();
  await repairLogins();
  await repairBookings();
  await repairPhotos();
}

// =============================================================================================
// Operations

interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}
interface Op {
  key: string;
  method: string;
  path: string;
  params: Param[];
  body?: JsonSchema;
  special?: 'multipart' | 'webhook';
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; required?: boolean; schema: JsonSchema }[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
      }
    >
  >;
}

/** Hidden routes (not in the OpenAPI document) that take input or are reachable by anyone. */
const HIDDEN_OPS: Op[] = [
  { key: 'GET /metrics', method: 'GET', path: '/metrics', params: [] },
  { key: 'GET /openapi.json', method: 'GET', path: '/openapi.json', params: [] },
  {
    key: 'GET /media/{key}',
    method: 'GET',
    path: '/media/{key}',
    params: [{ name: 'key', in: 'path', required: true, schema: { type: 'string', maxLength: 80 } }],
  },
  {
    key: 'GET /docs/{*}',
    method: 'GET',
    path: '/docs/{*}',
    params: [{ name: '*', in: 'path', required: true, schema: { type: 'string' } }],
  },
];

function operationsOf(doc: OpenApiDoc): Op[] {
  const ops: Op[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, o] of Object.entries(methods)) {
      const params: Param[] = (o.parameters ?? []).map((p) => ({
        name: p.name,
        in: p.in as Param['in'],
        required: p.required === true,
        schema: p.schema,
      }));
      const body = o.requestBody?.content['application/json']?.schema;
      const op: Op = { key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, params };
      if (body) op.body = body;
      if (method === 'post' && path.endsWith('/{id}/photos')) op.special = 'multipart';
      if (path.includes('/webhooks/')) op.special = 'webhook';
      ops.push(op);
    }
  }
  return ops;
}

/** Values from the fixtures that make a field meaningful. */
function pools(field: string, schema: JsonSchema): string[] | undefined {
  switch (field) {
    case 'propertyId':
      return F.propertyIds;
    case 'bookingId':
      return F.bookingIds;
    case 'photoId':
    case 'photoIds':
      return F.photoIds;
    case 'email':
      return F.emails;
    case 'refreshToken':
      return F.refreshTokens;
    case 'token':
      return F.tokens;
    case 'password':
    case 'currentPassword':
      return ['correct-horse-42'];
    case 'cursor':
    case 'after':
      return F.cursors;
    case 'amenities':
      return schema.type === 'string'
        ? [F.amenityCodes.slice(0, 2).join(','), F.amenityCodes[0] ?? 'wifi', 'wifi,,pool', 'nope']
        : F.amenityCodes;
    case 'paymentMethod':
      return ['pm_card_visa', 'pm_card_declined', 'pm_card_async', 'pm_unknown'];
    case 'city':
      return ['Lisbon', 'lisbon', 'Porto', 'LISBON '];
    case 'country':
    case 'countryCode':
      return ['PT', 'pt'];
    case 'currency':
      return ['EUR', 'USD'];
    case 'bbox':
      return ['-10,30,10,50', '-9.2,38.7,-9.1,38.8', '10,50,-10,30', '-180,-90,180,90'];
    case 'q':
      return ['quiet', 'home', '"quiet place"', '-quiet', 'quiet or home', 'a', '*', '"'];
    case 'key':
      return F.mediaKeys;
    case 'guests':
      return ['1', '2', '4'];
    default:
      return undefined;
  }
}

/** Fixture ids for a path parameter, from where it sits. */
function pathPool(op: Op, name: string): string[] {
  if (name === 'photoId') return F.photoIds;
  if (name === 'key') return F.mediaKeys;
  if (name === '*') return ['static/index.html', 'json', 'yaml', 'static/swagger-initializer.js'];
  if (op.path.startsWith('/api/v1/properties/{id}')) return F.propertyIds;
  if (op.path.startsWith('/api/v1/bookings/{id}')) return F.bookingIds;
  if (op.path.startsWith('/api/v1/reviews/{id}')) return F.reviewIds;
  if (op.path.startsWith('/api/v1/users/{id}')) return F.userIds;
  if (op.path.includes('/jobs/failed/{id}')) return F.jobIds;
  return [];
}

// =============================================================================================
// REST cases

interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: 'png' | 'jpeg' | 'webp' | 'garbage' | 'empty' | 'big' | { text: string };
}
type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; contentType?: string; payload: string }
  | { kind: 'multipart'; parts: MultipartPart[]; contentType: string; closing: boolean }
  | { kind: 'webhook'; payload: string; signature: 'valid' | 'stale' | string | null };

interface RestCase {
  caller: Caller;
  /** percent-encoded path segments */
  path: Record<string, string>;
  /** percent-encoded query pairs */
  query: [string, string][];
  headers: Record<string, string>;
  body: Body;
}

const RAW_PATH_FORMS = [
  '%00',
  'a%00b',
  '%',
  '%ZZ',
  '..',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  'a%2Fb',
  '%20',
  'null',
  'undefined',
  '-1',
  '0',
  '1e309',
  '%ED%A0%80',
  '%C0%AE%C0%AE',
  'x'.repeat(5_000),
];

/** A path parameter that routes and means something: a fixture id, or an enum value. */
function validPathParamArb(op: Op, p: Param): fc.Arbitrary<string> {
  if (p.schema.enum) return fc.constantFrom(...p.schema.enum.map(String));
  const pool = pathPool(op, p.name);
  const enc = (s: string) => (p.name === '*' ? s.split('/').map(safeEncode).join('/') : safeEncode(s));
  return pool.length > 0
    ? fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...pool).map(enc) }, fc.uuid())
    : fc.uuid();
}

function hostilePathParamArb(op: Op, p: Param): fc.Arbitrary<string> {
  const pool = pathPool(op, p.name);
  const enc = (s: string) => (p.name === '*' ? s.split('/').map(safeEncode).join('/') : safeEncode(s));
  const variants: fc.WeightedArbitrary<string>[] = [
    { weight: 3, arbitrary: fc.constantFrom(...malformedUuids(pool)).map(enc) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_PATH_FORMS) },
    { weight: 1, arbitrary: hostileStringArb.map(enc) },
  ];
  if (p.schema.enum) {
    variants.push({
      weight: 2,
      arbitrary: hostileArb(p.schema, p.name, pools).map((v) => queryForms(v)[0] ?? ''),
    });
  }
  if (p.name === '*') {
    variants.push({
      weight: 3,
      arbitrary: fc.constantFrom(
        'static/../../../package.json',
        'static/%2e%2e/%2e%2e/package.json',
        'static/%00',
        '..%2f..%2f',
      ),
    });
  }
  return fc.oneof(...variants);
}

const DATE_PAIRS: [string, string][] = [
  ['checkIn', 'checkOut'],
  ['from', 'to'],
];

/** Valid query values per parameter (null = left out), as percent-encoded forms. */
function validQueryArb(p: Param): fc.Arbitrary<string[] | null> {
  // Required ones are nearly always there, optional ones a third of the time, cursors seldom (a
  // cursor from another query is rightly refused, which would hide everything else).
  const present = p.required ? 7 : p.name === 'cursor' ? 1 : 2;
  const absent = p.required ? 1 : p.name === 'cursor' ? 5 : 4;
  return fc.oneof(
    { weight: present, arbitrary: validArb(p.schema, p.name, pools).map(queryForms) },
    { weight: absent, arbitrary: fc.constant(null) },
  );
}

function hostileQueryArb(p: Param): fc.Arbitrary<string[]> {
  return fc.oneof(
    fc.constantFrom(...HOSTILE_QUERY_FORMS).map((x) => [x]),
    hostileArb(p.schema, p.name, pools).map(queryForms),
    validArb(p.schema, p.name, pools).map((v) => [...queryForms(v), ...queryForms(v)]),
  );
}

/** Query parameters that only mean something together (so valid requests are coherent). */
const TOGETHER = [
  ['lat', 'lng'],
  ['checkIn', 'checkOut'],
  ['from', 'to'],
];
const REQUIRES: [string, string | null, string[]][] = [
  ['radiusKm', null, ['lat', 'lng']],
  ['sort', 'distance', ['lat', 'lng']],
  ['sort', 'relevance', ['q']],
];

const extraQueryArb = fc.array(
  fc.tuple(
    fc.constantFrom('__proto__', 'constructor', 'limit', 'cursor', '%00', 'a%5Bb%5D', 'x'.repeat(1_000), ''),
    fc.constantFrom('1', '%00', '', 'x', '1e309'),
  ),
  { minLength: 1, maxLength: 3 },
);

interface BodyArbs {
  valid: fc.Arbitrary<Body>;
  hostile: fc.Arbitrary<Body>;
}

const chaosBodyArb = fc.constantFrom(...CHAOS_BODIES).map((b): Body => ({ kind: 'raw', ...b }));

function jsonBodyArbs(schema: JsonSchema): BodyArbs {
  const valid = validArb(schema, '(root)', pools);
  const props = new Set(Object.keys(schema.properties ?? {}));
  const pair = DATE_PAIRS.find(([x, y]) => props.has(x) && props.has(y));
  const datesIn = (dates: fc.Arbitrary<[string, string]>) =>
    fc.tuple(valid, pair ? dates : fc.constant(null)).map(([v, d]) => {
      if (!pair || !d || v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      return { ...(v as object), [pair[0]]: d[0], [pair[1]]: d[1] };
    });
  const withDates = datesIn(coherentPairArb);
  return {
    valid: withDates.map((value): Body => ({ kind: 'json', value })),
    hostile: fc.oneof(
      ...(pair
        ? [{ weight: 2, arbitrary: datesIn(hostilePairArb).map((value): Body => ({ kind: 'json', value })) }]
        : []),
      {
        weight: 6,
        arbitrary: fc
          .tuple(
            withDates,
            fc.oneof(
              { weight: 3, arbitrary: mutationArb(schema, pools).map((m) => [m]) },
              { weight: 1, arbitrary: fc.array(mutationArb(schema, pools), { minLength: 2, maxLength: 3 }) },
            ),
          )
          .map(
            ([v, ms]): Body => ({
              kind: 'json',
              value: ms.reduce<unknown>((acc, m: Mutation) => applyMutation(acc, m), v),
            }),
          ),
      },
      { weight: 1, arbitrary: chaosBodyArb },
    ),
  };
}

function multipartArb(): fc.Arbitrary<Body> {
  const strings = hostileStringArb;
  const file = fc.record({
    name: fc.constantFrom('file', 'file', 'file', 'photo', 'FILE', ''),
    filename: fc.oneof(
      fc.constantFrom(
        'a.png',
        'b.jpg',
        '../../../etc/passwd.png',
        'a\u0000.png',
        'x'.repeat(5_000),
        '"q".png',
        'ü.webp',
      ),
      strings,
    ),
    contentType: fc.constantFrom(
      'image/png',
      'image/jpeg',
      'application/octet-stream',
      'text/html',
      'image/svg+xml',
      '',
    ),
    data: fc.constantFrom<MultipartPart['data']>('png', 'png', 'jpeg', 'webp', 'garbage', 'empty', 'big'),
  });
  const caption = fc.record({ name: fc.constant('caption'), data: strings.map((text) => ({ text })) });
  const extra = fc.record({ name: strings, data: strings.map((text) => ({ text })) });
  return fc
    .tuple(
      fc.option(caption, { freq: 2 }),
      fc.array(file, { minLength: 0, maxLength: 2 }),
      fc.array(extra, { maxLength: 6 }),
      fc.constantFrom(
        'multipart/form-data; boundary=fuzzb',
        'multipart/form-data; boundary=fuzzb',
        'multipart/form-data; boundary=fuzzb',
        'multipart/form-data; boundary=other',
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/mixed; boundary=fuzzb',
        'application/json',
      ),
      fc.boolean(),
      fc.oneof(
        { weight: 9, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom(...CHAOS_BODIES) },
      ),
    )
    .map(([cap, files, extras, contentType, closing, chaos]): Body => {
      if (chaos) return { kind: 'raw', ...chaos };
      const parts = [...(cap ? [cap as MultipartPart] : []), ...(extras.length > 4 ? extras : []), ...files];
      return { kind: 'multipart', parts, contentType, closing: closing || files.length === 0 };
    });
}

function webhookArb(): fc.Arbitrary<Body> {
  const strings = hostileStringArb;
  const id = fc.oneof(
    fc.uuid().map((u) => `evt_${u}`),
    strings,
    fc.constantFrom<JsonLike>(null, 1, {}),
  );
  const ref = fc.oneof(
    fc.constantFrom(...(F.providerRefs.length ? F.providerRefs : ['pi_sbx_x'])),
    strings,
    fc.constantFrom<JsonLike>(null, 1, []),
  );
  const sandboxEvent = fc.record({
    id,
    type: fc.oneof(
      fc.constantFrom('payment.succeeded', 'payment.failed', 'refund.succeeded', 'refund.failed', 'other'),
      strings,
    ),
    data: fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record(
          { objectRef: ref, failureReason: fc.option(strings, { nil: undefined }) },
          { requiredKeys: ['objectRef'] },
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom<JsonLike>(null, [], 'x') },
    ),
  });
  const stripeEvent = fc.record({
    id,
    object: fc.constant('event'),
    type: fc.oneof(
      fc.constantFrom(
        'payment_intent.succeeded',
        'payment_intent.payment_failed',
        'refund.created',
        'refund.updated',
        'refund.failed',
        'charge.succeeded',
      ),
      strings,
    ),
    data: fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          object: fc.record({
            id: ref,
            status: fc.oneof(fc.constantFrom('succeeded', 'failed', 'canceled', 'pending'), strings),
            last_payment_error: fc.option(fc.record({ code: strings }), { nil: null }),
          }),
        }),
      },
      { weight: 1, arbitrary: fc.constantFrom<JsonLike>(null, {}, []) },
    ),
  });
  const payload = fc.oneof(
    { weight: 5, arbitrary: fc.oneof(sandboxEvent, stripeEvent).map((e) => toJsonText(e)) },
    { weight: 1, arbitrary: fc.constantFrom(...CHAOS_BODIES.map((b) => b.payload)) },
  );
  const signature = fc.oneof(
    { weight: 6, arbitrary: fc.constant<'valid'>('valid') },
    { weight: 1, arbitrary: fc.constant<'stale'>('stale') },
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        't=1e309,v1=00',
        `t=NaN,v1=${'a'.repeat(64)}`,
        't=,v1=',
        `t=${'9'.repeat(400)},v1=${'0'.repeat(64)}`,
        `v1=${'g'.repeat(64)}`,
        ',,,,=,=',
        'x'.repeat(8_000),
        't=1,t=2,v1=a,v1=b',
      ),
    },
  );
  return fc.record({ payload, signature }).map((b): Body => ({ kind: 'webhook', ...b }));
}

function bodyArbs(op: Op): BodyArbs {
  if (op.special === 'multipart') return { valid: multipartArb(), hostile: multipartArb() };
  if (op.special === 'webhook') return { valid: webhookArb(), hostile: webhookArb() };
  if (op.body) return jsonBodyArbs(op.body);
  return { valid: fc.constant<Body>({ kind: 'none' }), hostile: chaosBodyArb };
}

let badTokens: string[] = [];
async function makeBadTokens() {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: users.admin.id, role: 'admin', sid: 'x', iss: 'roost' })}.`;
  const wrongKey = await new SignJWT({ role: 'admin', sid: 'x' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(users.admin.id)
    .setIssuer('roost')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode('not-the-secret-not-the-secret-000000'));
  badTokens = [
    'Bearer',
    'Bearer ',
    'Basic Zm9vOmJhcg==',
    'Bearer not.a.jwt',
    `Bearer ${none}`,
    `Bearer ${wrongKey}`,
    `Bearer ${'a'.repeat(8_000)}`,
    'bearer  x y',
    `Bearer ${users.guest.accessToken.slice(0, -3)}abc`,
  ];
}

const ASCII_HOSTILE = [
  '',
  ' ',
  'x'.repeat(10_000),
  "' OR 1=1 --",
  '../../etc',
  '%00',
  'null',
  '{"a":1}',
  'é\u0000',
];
const EXTRA_HEADERS: [string, string][] = [
  ['x-request-id', 'x'.repeat(300)],
  ['x-request-id', '../\r\nx'],
  ['accept', 'application/xml'],
  ['accept', '*/*;q=1e309'],
  ['content-encoding', 'gzip'],
  ['x-forwarded-for', "1.2.3.4, ' OR 1=1"],
];

/** Declared header parameters with valid values (sometimes left out). */
function validHeadersArb(op: Op): fc.Arbitrary<Record<string, string>> {
  const declared = op.params.filter((p) => p.in === 'header');
  return fc
    .tuple(
      ...declared.map((p) =>
        fc.option(
          fc.uuid().map((v): [string, string] => [p.name, v]),
          { freq: 2 },
        ),
      ),
    )
    .map((hs) => Object.fromEntries(hs.filter((h): h is [string, string] => h !== null)));
}

/** Hostile headers: declared ones with hostile values, odd extra headers, broken bearer tokens. */
function hostileHeadersArb(op: Op, caller: Caller): fc.Arbitrary<Record<string, string>> {
  const declared = op.params.filter((p) => p.in === 'header').map((p) => p.name);
  const options: fc.Arbitrary<[string, string]>[] = [fc.constantFrom(...EXTRA_HEADERS)];
  if (declared.length > 0) {
    options.push(fc.tuple(fc.constantFrom(...declared), fc.constantFrom(...ASCII_HOSTILE)));
  }
  if (caller === 'anonymous')
    options.push(fc.constantFrom(...badTokens).map((v): [string, string] => ['authorization', v]));
  return fc.array(fc.oneof(...options), { minLength: 1, maxLength: 2 }).map((hs) => Object.fromEntries(hs));
}

/**
 * A request. Its mode decides how hostile it is: `valid` (every part valid, to reach the services),
 * `one` (exactly one part hostile: a path parameter, a query parameter, the body or the headers), or
 * `chaos` (every part independently hostile or not).
 */
function restCaseArb(op: Op, caller: Caller): fc.Arbitrary<RestCase> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const names = new Set(queryParams.map((p) => p.name));
  const pair = DATE_PAIRS.find(([x, y]) => names.has(x) && names.has(y));
  const body = bodyArbs(op);
  const slots = [
    ...pathParams.map((p) => `path:${p.name}`),
    ...queryParams.map((p) => `query:${p.name}`),
    'dates',
    'body',
    'headers',
  ];
  return fc
    .record({
      mode: fc.constantFrom('valid', 'valid', 'one', 'one', 'one', 'chaos'),
      slot: fc.nat(slots.length - 1),
      coin: fc.array(fc.boolean(), { minLength: slots.length, maxLength: slots.length }),
      validPath: fc.tuple(...pathParams.map((p) => validPathParamArb(op, p))),
      hostilePath: fc.tuple(...pathParams.map((p) => hostilePathParamArb(op, p))),
      validQuery: fc.tuple(...queryParams.map(validQueryArb)),
      validQueryAll: fc.tuple(...queryParams.map((p) => validArb(p.schema, p.name, pools).map(queryForms))),
      hostileQuery: fc.tuple(...queryParams.map(hostileQueryArb)),
      extraQuery: fc.option(extraQueryArb, { freq: 4 }),
      dates: pair ? coherentPairArb : fc.constant(null),
      hostileDates: pair ? hostilePairArb : fc.constant(null),
      validBody: body.valid,
      hostileBody: body.hostile,
      validHeaders: validHeadersArb(op),
      hostileHeaders: hostileHeadersArb(op, caller),
    })
    .map((g): RestCase => {
      const hostile = (i: number) =>
        g.mode === 'valid' ? false : g.mode === 'one' ? g.slot === i : g.coin[i]!;
      const path: Record<string, string> = {};
      pathParams.forEach((p, i) => {
        path[p.name] = hostile(i) ? g.hostilePath[i]! : g.validPath[i]!;
      });
      // Valid values, made coherent: parameters that go together are all present or all absent.
      const chosen = new Map<string, string[]>();
      queryParams.forEach((p, j) => {
        const v = g.validQuery[j];
        if (v) chosen.set(p.name, v);
      });
      const fill = (name: string) => {
        const j = queryParams.findIndex((p) => p.name === name);
        if (j >= 0 && !chosen.has(name)) chosen.set(name, g.validQueryAll[j]!);
      };
      for (const group of TOGETHER) if (group.some((n) => chosen.has(n))) group.forEach(fill);
      for (const [name, value, needs] of REQUIRES) {
        const v = chosen.get(name);
        if (v && (value === null || v.includes(value))) needs.forEach(fill);
      }
      const lo = chosen.get('minPrice')?.[0];
      const hi = chosen.get('maxPrice')?.[0];
      if (lo !== undefined && hi !== undefined && Number(lo) > Number(hi)) {
        chosen.set('minPrice', [hi]);
        chosen.set('maxPrice', [lo]);
      }
      const datesHostile = hostile(slots.length - 3);
      if (pair && g.dates && (chosen.has(pair[0]) || datesHostile)) {
        const d = datesHostile ? g.hostileDates! : g.dates;
        chosen.set(pair[0], [safeEncode(d[0])]);
        chosen.set(pair[1], [safeEncode(d[1])]);
      }
      const query: [string, string][] = [];
      queryParams.forEach((p, j) => {
        const i = pathParams.length + j;
        const values = hostile(i) ? g.hostileQuery[j]! : chosen.get(p.name);
        for (const v of values ?? []) query.push([p.name, v]);
      });
      if (g.mode === 'chaos' && g.extraQuery) query.push(...g.extraQuery);
      const bodyHostile = hostile(slots.length - 2);
      const headersHostile = hostile(slots.length - 1);
      return {
        caller,
        path,
        query,
        headers: headersHostile ? { ...g.validHeaders, ...g.hostileHeaders } : g.validHeaders,
        body: bodyHostile ? g.hostileBody : g.validBody,
      };
    });
}

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** A Stripe-style signature header value (`t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`). */
function webhookSignature(payload: string, secret: string, stale: boolean) {
  const ts = Math.floor(Date.now() / 1000) - (stale ? 3_600 : 0);
  return `t=${ts},v1=${createHmac('sha256', secret).update(`${ts}.${payload}`).digest('hex')}`;
}

function toRequest(op: Op, c: RestCase): Sent {
  let url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => c.path[name] ?? '');
  if (c.query.length > 0) url += `?${c.query.map(([k, v]) => `${k}=${v}`).join('&')}`;
  const headers: Record<string, string> = { ...c.headers };
  if (c.caller !== 'anonymous') headers['authorization'] = users[c.caller].auth.authorization;
  const b = c.body;
  switch (b.kind) {
    case 'none':
      return { method: op.method, url, headers };
    case 'json':
      return {
        method: op.method,
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: toJsonText(b.value),
      };
    case 'raw':
      return {
        method: op.method,
        url,
        headers: b.contentType !== undefined ? { 'content-type': b.contentType, ...headers } : headers,
        payload: b.payload,
      };
    case 'multipart':
      return {
        method: op.method,
        url,
        headers: { 'content-type': b.contentType, ...headers },
        payload: multipartBody(b.parts, 'fuzzb', b.closing),
      };
    case 'webhook': {
      const provider = c.path['provider'] ?? 'sandbox';
      const header = provider === 'stripe' ? 'stripe-signature' : 'roost-signature';
      if (b.signature === 'valid' || b.signature === 'stale') {
        const secret = provider === 'stripe' ? STRIPE_SECRET : SANDBOX_SECRET;
        headers[header] = webhookSignature(b.payload, secret, b.signature === 'stale');
      } else if (b.signature !== null) {
        headers[header] = b.signature;
      }
      return {
        method: op.method,
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: b.payload,
      };
    }
  }
}

// =============================================================================================
// Checking responses

type Kind = 'hang' | 'slow' | '5xx' | 'internal_error' | 'leak' | 'inject_error';
interface Problem {
  kind: Kind;
  detail: string;
}

/** Never legitimate in any response body (our inputs never contain them; see fuzz-values.ts). */
const LEAK_MARKERS: [string, RegExp][] = [
  [
    'stack frame',
    /\bat\s+(?:async\s+)?(?:[\w$.<>[\]]+\s+)?\(?(?:file:\/\/)?\/?[\w.@/-]+\.(?:ts|js|mjs|cjs):\d+/,
  ],
  ['node_modules path', /node_modules/],
  ['kysely', /kysely/i],
  ['source path', /\/work\/|\bsrc\/(?:modules|platform|db|graphql)\//],
  ['pg: invalid input syntax', /invalid input syntax/i],
  ['pg: violates', /\bviolates\b/i],
  ['pg: relation "…"', /relation "[^"]*"/i],
  ['pg: column "…"', /column "[^"]*"/i],
  ['pg: out of range', /out of range for type|field value out of range|is out of range/i],
  ['pg: value too long', /value too long for type/i],
  ['pg: encoding', /invalid byte sequence|unsupported Unicode escape|cannot be converted to text/i],
  ['pg: syntax error at or near', /syntax error at or near/i],
  ['pg: duplicate key', /duplicate key value/i],
  ['mysql: ER_ code', /\bER_[A-Z0-9_]{3,}\b/],
  ['mysql: unknown column', /Unknown column/i],
  [
    'mysql: incorrect value',
    /Incorrect \w+ value|Incorrect string value|Data truncated|Out of range value|Truncated incorrect/i,
  ],
  ['driver fields', /\b(?:sqlMessage|sqlState|errno)\b/],
  ['mysql: SQL syntax', /error in your SQL syntax/i],
  [
    'JS error',
    /\b(?:TypeError|RangeError|ReferenceError|SyntaxError): |Cannot read propert(?:y|ies) of|is not a function|Invalid time value/,
  ],
];
/** SQL in an error response (not checked on successes, which legitimately echo stored text). */
const SQL_MARKER: [string, RegExp] = [
  'SQL fragment',
  /\b(?:select\s[\s\S]{1,200}?\sfrom\s|insert\s+into\s|update\s+\S+\s+set\s|delete\s+from\s)/i,
];

/** Everything we sent, raw and decoded, to tell our own input echoed back from a leak. */
function requestText(s: Sent): string {
  let url = s.url;
  try {
    url = decodeURIComponent(s.url);
  } catch {
    // keep the raw URL
  }
  const payload =
    s.payload === undefined ? '' : Buffer.isBuffer(s.payload) ? s.payload.toString('utf8') : s.payload;
  let decoded = '';
  try {
    decoded = JSON.stringify(JSON.parse(payload), (_k, v) => v) ?? '';
    // JSON.stringify escapes nothing but control characters; also keep the parsed strings themselves.
    decoded += `\n${collectStrings(JSON.parse(payload)).join('\n')}`;
  } catch {
    // not JSON
  }
  return `${s.url}\n${url}\n${Object.values(s.headers).join('\n')}\n${payload}\n${decoded}`;
}

function collectStrings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(collectStrings);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...collectStrings(x)]);
  return [];
}

interface Exchange {
  status: number | null;
  body: string;
  ms: number;
  code?: string;
  error?: string;
}

function check(sent: Sent, ex: Exchange, graphql: boolean): Problem[] {
  const out: Problem[] = [];
  if (ex.error) out.push({ kind: 'inject_error', detail: ex.error });
  if (ex.ms > TIMEOUT_MS) out.push({ kind: 'hang', detail: `took ${(ex.ms / 1000).toFixed(1)} s` });
  if (ex.status !== null && ex.status >= 500) out.push({ kind: '5xx', detail: `status ${ex.status}` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(ex.body);
  } catch {
    parsed = undefined;
  }
  const codes: string[] = [];
  const errorTexts: string[] = [];
  if (parsed && typeof parsed === 'object') {
    const p = parsed as { code?: unknown; errors?: unknown; detail?: unknown; message?: unknown };
    if (typeof p.code === 'string') codes.push(p.code);
    if (Array.isArray(p.errors)) {
      for (const e of p.errors as { extensions?: { code?: unknown }; message?: unknown }[]) {
        if (typeof e?.extensions?.code === 'string') codes.push(e.extensions.code);
        if (typeof e?.message === 'string') errorTexts.push(e.message);
      }
    }
    if (typeof p.detail === 'string') errorTexts.push(p.detail);
    if (typeof p.message === 'string') errorTexts.push(p.message);
  }
  ex.code = codes.find((c) => c === 'internal_error') ?? codes[0];
  if (codes.includes('internal_error')) out.push({ kind: 'internal_error', detail: 'code internal_error' });
  const req = requestText(sent);
  const isError = (ex.status ?? 0) >= 400 || (graphql && errorTexts.length > 0);
  const markers = isError ? [...LEAK_MARKERS, SQL_MARKER] : LEAK_MARKERS;
  const texts = isError ? [ex.body, ...errorTexts] : [ex.body];
  for (const [label, re] of markers) {
    if (re.test(req)) continue; // our own input echoed back, not a leak
    const hit = texts.map((s) => re.exec(s)).find((m) => m);
    if (hit)
      out.push({
        kind: 'leak',
        detail: `${label}: …${hit.input.slice(Math.max(0, hit.index - 60), hit.index + 80)}…`,
      });
  }
  return out;
}

async function exchange(sent: Sent): Promise<Exchange> {
  const id = ++inflightSeq;
  inflight.set(id, `${new Date().toISOString()} ${describeSent(sent).slice(0, 4_000)}`);
  writeInflight();
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  // The event stream stays open: its start is read, then the client hangs up (as EventSource would).
  const stream = sent.method === 'GET' && /^\/api\/v1\/events(\?|$)/.test(sent.url);
  const request = inject({
    method: sent.method as 'GET',
    url: sent.url,
    headers: sent.headers,
    ...(sent.payload !== undefined ? { payload: sent.payload } : {}),
    ...(stream ? { payloadAsStream: true } : {}),
  })
    .then(
      async (res: LightMyRequestResponse) => ({ res: stream ? await streamStart(res) : res }),
      (err: unknown) => ({ err }),
    )
    .finally(() => {
      inflight.delete(id);
    });
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS);
  });
  let out = await Promise.race([request, timeout]);
  clearTimeout(timer);
  if (out === 'timeout') {
    // Let it finish (bounded) so hung work does not pile up behind the next requests.
    const settle = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), SETTLE_MS);
    });
    out = await Promise.race([request, settle]);
    clearTimeout(timer);
  }
  const ms = performance.now() - start;
  if (out === 'timeout') {
    // It keeps running in the background; if it exhausts the heap, this line is what remains.
    writeSync(
      2,
      `[fuzz] no response after ${(ms / 1000).toFixed(0)} s, still running: ${describeSent(sent).slice(0, 1_000)}\n`,
    );
    return { status: null, body: '', ms, error: `no response after ${(ms / 1000).toFixed(0)} s` };
  }
  if ('err' in out)
    return {
      status: null,
      body: '',
      ms,
      error: `inject threw: ${String((out.err as Error)?.message ?? out.err)}`,
    };
  return { status: out.res.statusCode, body: out.res.body, ms };
}

/** The beginning of a streamed answer (up to `event: ready`, or 1 s), then the connection closed. */
async function streamStart(res: LightMyRequestResponse): Promise<{ statusCode: number; body: string }> {
  const s = res.stream();
  let body = '';
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, 1_000);
    s.on('data', (chunk: Buffer) => {
      body += String(chunk);
      if (res.statusCode === 200 && body.includes('event: ready')) done();
    });
    s.once('end', done);
    s.once('error', done);
  });
  res.raw.res.destroy();
  return { statusCode: res.statusCode, body };
}

/** Send, confirm a slow answer by sending it once more, and check the response. */
async function roundTrip(sent: Sent, graphql: boolean): Promise<Result> {
  const ex = await exchange(sent);
  const problems = check(sent, ex, graphql);
  if (ex.ms > SLOW_MS && ex.ms <= TIMEOUT_MS && ex.status !== null) {
    const again = await exchange(sent);
    if (again.ms > SLOW_MS) {
      problems.push({
        kind: 'slow',
        detail: `took ${(ex.ms / 1000).toFixed(1)} s, then ${(again.ms / 1000).toFixed(1)} s (over ${SLOW_MS} ms twice)`,
      });
    }
  }
  return { sent, ex, problems };
}

// =============================================================================================
// Collecting, reducing and reporting failures

interface Result {
  sent: Sent;
  ex: Exchange;
  problems: Problem[];
}

interface Failure {
  target: string;
  caller: Caller;
  problems: Problem[];
  status: number | null;
  code: string | undefined;
  ms: number;
  sent: Sent;
  body: string;
  size: number;
  /** The generated input, how to send it again, and smaller variants of it (for the report). */
  value: unknown;
  send: (value: unknown) => Promise<Result>;
  shrink: (value: unknown) => unknown[];
}

interface TargetStats {
  runs: number;
  statuses: Map<number | string, number>;
  maxMs: number;
  routed: number;
  hangs: number;
  skippedAfterHangs: number;
}

class Collector {
  failures: Failure[] = [];
  harnessErrors: string[] = [];
  /** Per target, the input that got furthest (see depthOf), and its caller: sweeps start from it. */
  exemplars = new Map<string, { caller: Caller; value: unknown; depth: number }>();
  stats = new Map<string, TargetStats>();
  sent = 0;
  notes: string[] = [];

  statsFor(target: string): TargetStats {
    let s = this.stats.get(target);
    if (!s) {
      s = { runs: 0, statuses: new Map(), maxMs: 0, routed: 0, hangs: 0, skippedAfterHangs: 0 };
      this.stats.set(target, s);
    }
    return s;
  }

  record(target: string, ex: Exchange) {
    const s = this.statsFor(target);
    s.runs++;
    this.sent++;
    const key = ex.status ?? 'none';
    s.statuses.set(key, (s.statuses.get(key) ?? 0) + 1);
    s.maxMs = Math.max(s.maxMs, ex.ms);
    if (ex.status !== null && ex.code !== 'route_not_found') s.routed++;
  }

  add(f: Omit<Failure, 'problems' | 'status' | 'code' | 'ms' | 'sent' | 'body' | 'size'>, r: Result) {
    const failure = failureOf(f, r);
    this.failures.push(failure);
    journal(
      `${signatureOf(failure.target, failure.problems, failure.status, failure.code)} (${failure.caller})\n  ${describeSent(failure.sent)}\n  → ${excerpt(failure.body, 300)}`,
    );
  }
}

function failureOf(
  f: Omit<Failure, 'problems' | 'status' | 'code' | 'ms' | 'sent' | 'body' | 'size'>,
  r: Result,
): Failure {
  return {
    ...f,
    problems: r.problems,
    status: r.ex.status,
    code: r.ex.code,
    ms: r.ex.ms,
    sent: r.sent,
    body: r.ex.body,
    size: r.sent.url.length + (r.sent.payload?.length ?? 0),
  };
}

/** What makes two failing requests "the same failure": operation, kinds of problem, status, code. */
const signatureOf = (target: string, problems: Problem[], status: number | null, code: string | undefined) =>
  `${target} | ${[...new Set(problems.map((p) => (p.kind === 'leak' ? `leak (${p.detail.split(':')[0]})` : p.kind)))].sort().join(' + ')} | ${status ?? 'no response'}${code ? ` ${code}` : ''}`;

const excerpt = (s: string, n = 400) => {
  const flat = s.replaceAll('\u0000', '\\u0000');
  return flat.length > n ? `${flat.slice(0, n)}… (${s.length} chars)` : flat;
};

function describeSent(s: Sent): string {
  const headers = Object.entries(s.headers)
    .filter(([k, v]) => k !== 'authorization' || !v.startsWith('Bearer ey'))
    .map(([k, v]) => `${k}: ${excerpt(v, 120)}`);
  const payload =
    s.payload === undefined
      ? ''
      : `\n      body${Buffer.isBuffer(s.payload) ? ' (multipart)' : ''}: ${excerpt(Buffer.isBuffer(s.payload) ? s.payload.toString('latin1') : s.payload, 400)}`;
  return `${s.method} ${excerpt(s.url, 300)}${headers.length ? `\n      headers: ${headers.join('; ')}` : ''}${payload}`;
}

/** Greedily take smaller variants while the same failure (kind, status, code) still happens. */
async function reduce(f: Failure, sig: string, deadline: number): Promise<Failure> {
  if (f.problems.some((p) => p.kind === 'hang' || p.kind === 'slow')) return f; // every retry costs seconds
  let best = f;
  let attempts = 0;
  let improved = true;
  while (improved && attempts < 80 && Date.now() < deadline) {
    improved = false;
    for (const candidate of best.shrink(best.value)) {
      if (attempts >= 80 || Date.now() >= deadline) break;
      attempts++;
      const r = await best.send(candidate);
      if (r.problems.length > 0 && signatureOf(best.target, r.problems, r.ex.status, r.ex.code) === sig) {
        best = failureOf({ ...best, value: candidate }, r);
        improved = true;
        break;
      }
    }
  }
  return best;
}

/** Features of an input that often explain a failure; used to tell root causes apart in the summary. */
const FEATURES: [string, (text: string, sent: Sent) => boolean][] = [
  ['NUL byte', (x) => x.includes('\u0000') || /%00|\\u0000/i.test(x)],
  [
    'lone surrogate',
    (x) =>
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|%ED%[AB][0-9A-F]%[89AB][0-9A-F]|\\u[dD][89abAB][0-9a-fA-F]{2}/i.test(
        x,
      ),
  ],
  ['non-finite number', (x) => /(?<![\w.])-?(?:1e309|Infinity|NaN)(?![\w.])/i.test(x)],
  ['huge integer', (x) => /(?<![\w.-])-?\d{16,}(?![\w.])/.test(x)],
  ['denormal/underflowing float', (x) => /\de-3\d\d|\de-4\d\d/i.test(x)],
  ['urn:uuid / braced uuid', (x) => /urn(?::|%3A)uuid|(?:\{|%7B)[0-9a-f]{8}-/i.test(x)],
  [
    'extreme or impossible date',
    (x) =>
      /(?:^|[^\d])(?:0000|0001|1000|9999|99999|\+275760)-\d\d-\d\d|\d{4}-(?:02-3[01]|13-\d\d|00-\d\d|\d\d-00|04-31)/.test(
        x,
      ),
  ],
  ['string of 1000+ characters', (x) => /(.)\1{999}/su.test(x)],
  ['multipart body', (_x, sent) => /multipart/i.test(sent.headers['content-type'] ?? '')],
  ['cursor', (x) => /[?&]cursor=|"after"|after: /.test(x)],
];

function featuresOf(sent: Sent): string[] {
  const text = requestText(sent);
  return FEATURES.filter(([, test]) => test(text, sent)).map(([name]) => name);
}

interface Entry {
  sig: string;
  features: string[];
  failures: Failure[];
  reduced: Failure;
}

/**
 * Group failures by signature, then split each group by input features: reduce the failure with the
 * fewest features, and let it stand for every failure of the group that has all of its (reduced)
 * features; repeat with what is left. Different causes on one operation stay apart.
 */
async function entriesOf(c: Collector): Promise<Entry[]> {
  const bySig = new Map<string, Failure[]>();
  for (const f of c.failures) {
    const sig = signatureOf(f.target, f.problems, f.status, f.code);
    bySig.set(sig, [...(bySig.get(sig) ?? []), f]);
  }
  const deadline = Date.now() + SHRINK_MS;
  const entries: Entry[] = [];
  for (const [sig, fs] of [...bySig.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    let remaining = fs.map((f) => ({ f, features: featuresOf(f.sent) }));
    while (remaining.length > 0) {
      const first = remaining.reduce((a, b) =>
        b.features.length < a.features.length ||
        (b.features.length === a.features.length && b.f.size < a.f.size)
          ? b
          : a,
      );
      const reduced = SHRINK_MS > 0 ? await reduce(first.f, sig, deadline) : first.f;
      const features = featuresOf(reduced.sent).filter((x) => first.features.includes(x));
      const covered = remaining.filter((r) => r === first || features.every((x) => r.features.includes(x)));
      remaining = remaining.filter((r) => !covered.includes(r));
      entries.push({ sig, features, failures: covered.map((r) => r.f), reduced });
    }
  }
  return entries;
}

async function report(c: Collector, phase: string): Promise<string | null> {
  const harness: string[] = [];
  for (const [target, s] of c.stats) {
    if (s.routed === 0) harness.push(`  harness: ${target} never reached its route (${s.runs} requests)`);
    if (s.skippedAfterHangs > 0) {
      c.notes.push(
        `  note: ${target} hung ${s.hangs} times (over ${TIMEOUT_MS} ms); its remaining ${s.skippedAfterHangs} input(s) were not sent`,
      );
    }
  }
  for (const e of c.harnessErrors) harness.push(`  harness error (this test's bug, fix it): ${e}`);
  const stats = `${c.sent} requests, ${c.stats.size} targets, engine ${ENGINE}, seed ${SEED}, FUZZ_RUNS ${RUNS}`;
  const notes = [...harness, ...c.notes];
  if (c.failures.length === 0 && harness.length === 0) {
    console.log(`[fuzz] ${phase}: no failures (${stats})${notes.length ? `\n${notes.join('\n')}` : ''}`);
    return null;
  }
  const entries = await entriesOf(c);
  const text = entries.map((e, i) => {
    const r = e.reduced;
    const callers = [...new Set(e.failures.map((f) => f.caller))].join(', ');
    const detail = r.problems.map((p) => p.detail).join('; ');
    return `[${i + 1}] ${e.sig}${e.features.length ? ` | input: ${e.features.join(', ')}` : ''}\n    callers: ${callers}; ${e.failures.length} failing request(s); ${detail}; ${r.ms.toFixed(0)} ms\n    input (${r.caller}): ${describeSent(r.sent)}\n    response: ${r.status ?? '-'} ${excerpt(r.body, 400)}`;
  });
  const byFeature = new Map<string, Set<string>>();
  for (const e of entries) {
    for (const f of e.features.length ? e.features : ['(no distinctive input feature)']) {
      byFeature.set(f, (byFeature.get(f) ?? new Set()).add(e.sig.split(' | ')[0]!));
    }
  }
  const index = [...byFeature.entries()]
    .sort(([, a], [, b]) => b.size - a.size)
    .map(([f, ops]) => `  ${f}: ${[...ops].join(', ')}`)
    .join('\n');
  const out = process.env['FUZZ_REPORT'];
  if (out) {
    const json = entries.map((e) => ({
      signature: e.sig,
      features: e.features,
      callers: [...new Set(e.failures.map((f) => f.caller))],
      count: e.failures.length,
      problems: e.reduced.problems,
      caller: e.reduced.caller,
      request: {
        ...e.reduced.sent,
        payload: Buffer.isBuffer(e.reduced.sent.payload)
          ? e.reduced.sent.payload.toString('latin1')
          : e.reduced.sent.payload,
      },
      status: e.reduced.status,
      ms: Math.round(e.reduced.ms),
      response: e.reduced.body.slice(0, 2_000),
    }));
    writeFileSync(
      `${out}.${phase}.${ENGINE}.json`,
      JSON.stringify(
        { phase, engine: ENGINE, seed: SEED, runs: RUNS, sent: c.sent, failures: json },
        null,
        2,
      ),
    );
  }
  const summary = `${phase}: ${entries.length} distinct failure(s) in ${c.failures.length} failing request(s) (${stats}; replay with FUZZ_SEED=${SEED})\n${notes.join('\n')}${notes.length ? '\n' : ''}\nBy input feature (likely cause → operations):\n${index}\n\n${text.join('\n\n')}`;
  // A request still running in the background may yet exhaust the heap: make sure this survives.
  if (inflight.size > 0) writeSync(2, `\n[fuzz] ${summary}\n`);
  return summary;
}

function printCoverage(c: Collector, phase: string) {
  const rows = [...c.stats.entries()].map(([target, s]) => {
    const hist = [...s.statuses.entries()]
      .sort(([a], [b]) => String(a).localeCompare(String(b)))
      .map(([k, v]) => `${k}×${v}`)
      .join(' ');
    return `  ${target.padEnd(60)} ${String(s.runs).padStart(4)}  max ${s.maxMs.toFixed(0).padStart(5)} ms  ${hist}`;
  });
  const fixed = `fixture repairs so far: ${repairs.rows} column(s) restored, ${repairs.bookings} booking(s) and ${repairs.photos} photo(s) replaced, ${repairs.logins} re-login(s)${repairs.failed.length ? `; could not repair: ${repairs.failed.slice(0, 5).join('; ')}` : ''}`;
  console.log(
    `[fuzz] ${phase} coverage (${ENGINE}, seed ${SEED}, ${c.sent} requests):\n${rows.join('\n')}\n  ${fixed}`,
  );
}

/** Codes of refusals before any business rule ran. */
const SHALLOW_CODES = new Set([
  'validation_error',
  'graphql_validation_error',
  'malformed_json',
  'route_not_found',
  'bad_request',
  'unauthorized',
]);

/**
 * How far an exchange got: 2 succeeded (2xx, and no GraphQL errors), 1 refused by a business rule
 * (a 4xx past validation and authentication), 0 otherwise. Sweeps start from the furthest input.
 */
function depthOf(ex: Exchange, graphql: boolean): number {
  if (ex.status === null) return 0;
  const errors = graphql && /"errors"\s*:/.test(ex.body.slice(0, 100_000));
  if (ex.status >= 200 && ex.status < 300 && !errors) return 2;
  const business = ex.code !== undefined && !SHALLOW_CODES.has(ex.code) && ex.code !== 'internal_error';
  if (
    business &&
    ((ex.status >= 400 && ex.status < 500 && ![401, 405, 413, 414, 415, 429].includes(ex.status)) || errors)
  ) {
    return 1;
  }
  return 0;
}

/** Send a list of inputs to one target (the sweep), recording results as the random runs do. */
async function runList<T>(
  c: Collector,
  target: string,
  caller: Caller,
  values: T[],
  send: (value: T) => Promise<Result>,
  shrink: (value: T) => T[],
) {
  const stats = c.statsFor(target);
  for (const value of values) {
    if (stats.hangs >= MAX_HANGS_PER_OPERATION) {
      stats.skippedAfterHangs++;
      continue;
    }
    const r = await send(value);
    c.record(target, r.ex);
    if (r.problems.some((p) => p.kind === 'hang')) stats.hangs++;
    if (r.problems.length > 0) {
      c.add(
        {
          target,
          caller,
          value,
          send: send as (v: unknown) => Promise<Result>,
          shrink: shrink as (v: unknown) => unknown[],
        },
        r,
      );
    }
  }
}

/** One fast-check property per target (operation × caller); failures are recorded, none stops the run. */
async function runTarget<T>(
  c: Collector,
  target: string,
  caller: Caller,
  arb: fc.Arbitrary<T>,
  runs: number,
  send: (value: T) => Promise<Result>,
  shrink: (value: T) => T[],
) {
  const stats = c.statsFor(target);
  // A seed per target, so adding an operation does not change what the others receive.
  const key = `${target}|${caller}`;
  let seed = SEED;
  for (let i = 0; i < key.length; i++) seed = (Math.imul(seed, 31) + key.charCodeAt(i)) | 0;
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (value) => {
        if (stats.hangs >= MAX_HANGS_PER_OPERATION) {
          stats.skippedAfterHangs++;
          return;
        }
        const r = await send(value);
        c.record(target, r.ex);
        const depth = depthOf(r.ex, r.sent.url.startsWith('/graphql'));
        if (depth > (c.exemplars.get(target)?.depth ?? 0)) c.exemplars.set(target, { caller, value, depth });
        if (TRACE && target.includes(TRACE)) {
          console.log(
            `[trace] ${caller}: ${describeSent(r.sent)}\n   → ${r.ex.status} ${excerpt(r.ex.body, 300)}`,
          );
        }
        if (r.problems.some((p) => p.kind === 'hang')) stats.hangs++;
        if (r.problems.length > 0) {
          c.add(
            {
              target,
              caller,
              value,
              send: send as (v: unknown) => Promise<Result>,
              shrink: shrink as (v: unknown) => unknown[],
            },
            r,
          );
        }
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
  } catch (err) {
    // A bug of this test (say, in a generator) must not hide the other targets' results.
    c.harnessErrors.push(`${target} as ${caller}: ${String((err as Error)?.stack ?? err).slice(0, 1_500)}`);
  }
}

// =============================================================================================
// Sweep: starting from a request of the operation that succeeded, each critical value in each input
// in turn (random runs give an operation with 18 parameters too few tries per parameter).

const SWEEP_QUERY = [
  '1e309',
  '-1e309',
  'Infinity',
  'NaN',
  '999999999999999999999',
  '-999999999999999999999',
  '-0',
  '1.5',
  '5e-324',
  'a%00b',
  '%ED%A0%80',
  'a'.repeat(5_000),
  '0000-01-01',
  '9999-12-31',
  '2024-02-30',
];
const SWEEP_NUMBERS = [
  '1e309',
  '-1e309',
  '999999999999999999999',
  '-999999999999999999999',
  '-0',
  '1.5',
  '5e-324',
].map((t) => new RawJson(t));

function sweepStrings(schema: JsonSchema, pool: string[]): JsonLike[] {
  const values: JsonLike[] = [
    fitLength('a\u0000b', schema),
    fitLength('\uD800', schema),
    LONG,
    new RawJson('1e309'),
  ];
  if (schema.format === 'date') values.push('0000-01-01', '9999-12-31', '2024-02-30');
  if (schema.format === 'uuid') values.push(`urn:uuid:${pool[0] ?? '00000000-0000-0000-0000-000000000000'}`);
  return values;
}

function sweepRest(op: Op, base: RestCase): RestCase[] {
  const out: RestCase[] = [];
  for (const p of op.params.filter((x) => x.in === 'path')) {
    const id = pathPool(op, p.name)[0] ?? '01890000-0000-7000-8000-000000000000';
    for (const v of [`urn%3Auuid%3A${id}`, id.toUpperCase(), `%7B${id}%7D`, `${id}%00`, '%00', '1e309']) {
      out.push({ ...base, path: { ...base.path, [p.name]: v } });
    }
  }
  for (const p of op.params.filter((x) => x.in === 'query')) {
    const pool = pools(p.name, p.schema) ?? [];
    const extra = p.schema.format === 'uuid' ? [safeEncode(`urn:uuid:${pool[0] ?? F.propertyIds[0]}`)] : [];
    for (const v of [...SWEEP_QUERY, ...extra]) {
      out.push({ ...base, query: [...base.query.filter(([k]) => k !== p.name), [p.name, v]] });
    }
  }
  if (op.body && base.body.kind === 'json') {
    for (const leaf of schemaPaths(op.body).filter((l) => l.path.length > 0)) {
      const type = Array.isArray(leaf.schema.type) ? leaf.schema.type[0] : leaf.schema.type;
      const values =
        type === 'string' || leaf.schema.enum
          ? sweepStrings(leaf.schema, pools(leaf.name, leaf.schema) ?? [])
          : type === 'integer' || type === 'number'
            ? SWEEP_NUMBERS
            : [];
      for (const value of values) {
        out.push({
          ...base,
          body: {
            kind: 'json',
            value: applyMutation(base.body.value, { kind: 'set', path: leaf.path, value }),
          },
        });
      }
    }
  }
  return out;
}

/** Critical values for GraphQL scalars, by type name (custom UUID/Date scalars included). */
function sweepGqlValues(scalar: string, name: string): JsonLike[] {
  if (scalar === 'Int' || scalar === 'Float') {
    return [...SWEEP_NUMBERS, 2147483648, -2147483649, Number.MAX_VALUE];
  }
  if (scalar === 'Boolean') return [];
  const values: JsonLike[] = ['a\u0000b', '\uD800', LONG, '0000-01-01', '9999-12-31', '2024-02-30', '1e309'];
  if (scalar === 'ID' || /uuid/i.test(scalar) || /id$/i.test(name))
    values.push(`urn:uuid:${F.propertyIds[0]}`);
  return values;
}

// =============================================================================================
// REST shrinking: drop query pairs, headers, body properties; shorten strings; real ids in paths.

function shrinkRest(op: Op, c: RestCase): RestCase[] {
  const out: RestCase[] = [];
  for (let i = 0; i < c.query.length; i++) out.push({ ...c, query: c.query.filter((_, j) => j !== i) });
  for (const group of TOGETHER) {
    if (group.every((n) => c.query.some(([k]) => k === n))) {
      out.push({ ...c, query: c.query.filter(([k]) => !group.includes(k)) });
    }
  }
  for (const k of Object.keys(c.headers)) {
    const headers = { ...c.headers };
    delete headers[k];
    out.push({ ...c, headers });
  }
  for (const [name, value] of Object.entries(c.path)) {
    const real = pathPool(op, name)[0];
    if (real && value !== real) out.push({ ...c, path: { ...c.path, [name]: real } });
  }
  const b = c.body;
  if (b.kind === 'json') {
    const v = b.value;
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RawJson)) {
      for (const k of Object.keys(v)) {
        const copy = cloneJson(v) as Record<string, unknown>;
        delete copy[k];
        out.push({ ...c, body: { kind: 'json', value: copy } });
        const inner = (v as Record<string, unknown>)[k];
        if (typeof inner === 'string' && inner.length > 12) {
          for (const shorter of [inner.slice(0, 12), inner.slice(0, 1), inner.slice(-12)]) {
            out.push({ ...c, body: { kind: 'json', value: { ...(cloneJson(v) as object), [k]: shorter } } });
          }
        }
        if (inner && typeof inner === 'object' && !Array.isArray(inner) && !(inner instanceof RawJson)) {
          for (const ik of Object.keys(inner)) {
            const copy2 = cloneJson(v) as Record<string, Record<string, unknown>>;
            delete copy2[k]![ik];
            out.push({ ...c, body: { kind: 'json', value: copy2 } });
          }
        }
      }
    }
  } else if (b.kind === 'multipart') {
    for (let i = 0; i < b.parts.length; i++)
      out.push({ ...c, body: { ...b, parts: b.parts.filter((_, j) => j !== i) } });
    b.parts.forEach((p, i) => {
      if (typeof p.data === 'object' && p.data.text.length > 12) {
        out.push({
          ...c,
          body: {
            ...b,
            parts: b.parts.map((q, j) =>
              j === i
                ? {
                    ...q,
                    data: { text: p.data && typeof p.data === 'object' ? p.data.text.slice(0, 12) : '' },
                  }
                : q,
            ),
          },
        });
      }
      if (p.filename && p.filename.length > 12) {
        out.push({
          ...c,
          body: {
            ...b,
            parts: b.parts.map((q, j) => (j === i ? { ...q, filename: p.filename!.slice(0, 12) } : q)),
          },
        });
      }
    });
  } else if (b.kind !== 'none' && b.kind !== 'webhook') {
    out.push({ ...c, body: { kind: 'none' } });
  }
  return out;
}

// =============================================================================================
// GraphQL

async function graphqlSend(gc: GqlCase, caller: Caller) {
  const { query, variables } = renderGql(gc);
  const headers: Record<string, string> = {};
  if (caller !== 'anonymous') headers['authorization'] = users[caller].auth.authorization;
  const sent: Sent =
    gc.transport === 'get'
      ? {
          method: 'GET',
          url: `/graphql?query=${safeEncode(query)}${Object.keys(variables).length ? `&variables=${safeEncode(toJsonText(variables))}` : ''}`,
          headers,
        }
      : {
          method: 'POST',
          url: '/graphql',
          headers: { ...headers, 'content-type': 'application/json' },
          payload: `{"query":${JSON.stringify(query)},"variables":${toJsonText(variables)}}`,
        };
  return roundTrip(sent, true);
}

function documentCases(): {
  name: string;
  payload?: string;
  url?: string;
  method?: string;
  contentType?: string;
}[] {
  const pid = F.propertyIds[0]!;
  const q = (query: string, variables?: string) =>
    `{"query":${JSON.stringify(query)}${variables !== undefined ? `,"variables":${variables}` : ''}}`;
  const deep =
    '{ bookings { edges { node { property { reviews { edges { node { author { id } } } } } } } } }';
  return [
    { name: 'empty query', payload: q('') },
    { name: 'unterminated', payload: q('{') },
    { name: 'garbage after document', payload: q('{ me { id } } garbage') },
    { name: '__typename', payload: q('{ __typename }') },
    { name: 'unknown field', payload: q('{ nope }') },
    { name: 'missing selection', payload: q('{ me }') },
    { name: 'selection on scalar', payload: q(`{ property(id: "${pid}") { id { x } } }`) },
    { name: 'too deep', payload: q(deep) },
    {
      name: 'deep introspection',
      payload: q(
        '{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }',
      ),
    },
    { name: 'fragment cycle', payload: q('query { ...A } fragment A on Query { ...A }') },
    {
      name: '100 aliases',
      payload: q(
        `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: property(id: "${pid}") { id title host { firstName } }`).join(' ')} }`,
      ),
    },
    {
      name: '20 yearly calendars',
      payload: q(
        `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: property(id: "${pid}") { calendar(from: "2030-01-01", to: "2031-01-01") { date state } }`).join(' ')} }`,
      ),
    },
    {
      name: '1000 fields',
      payload: q(`{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: __typename`).join(' ')} }`),
    },
    {
      name: 'Int variable 1e309',
      payload: q('query($v: Int) { properties(first: $v) { pageInfo { hasNextPage } } }', '{"v": 1e309}'),
    },
    {
      name: 'Int variable 999999999999999999999',
      payload: q(
        'query($v: Int) { properties(first: $v) { pageInfo { hasNextPage } } }',
        '{"v": 999999999999999999999}',
      ),
    },
    {
      name: 'Float variable -1e309',
      payload: q(
        'query($f: PropertySearch) { properties(filter: $f) { pageInfo { hasNextPage } } }',
        '{"f": {"lat": -1e309, "lng": 1e309}}',
      ),
    },
    { name: 'variables a string', payload: q('query($v: ID!) { property(id: $v) { id } }', '"{"') },
    { name: 'variables an array', payload: q('query($v: ID!) { property(id: $v) { id } }', '[1]') },
    { name: 'undeclared variable', payload: q('{ property(id: $nope) { id } }') },
    { name: 'two operations, no name', payload: q('query A { me { id } } query B { me { id } }') },
    { name: 'operationName mismatch', payload: `{"query":"query A { me { id } }","operationName":"B"}` },
    { name: 'operationName NUL', payload: `{"query":"query A { me { id } }","operationName":"A\\u0000"}` },
    {
      name: 'persisted query unknown hash',
      payload: '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"deadbeef"}}}',
    },
    {
      name: 'persisted query wrong hash',
      payload: `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"${'0'.repeat(64)}"}}}`,
    },
    {
      name: 'persisted query hostile',
      payload: '{"extensions":{"persistedQuery":{"version":1e309,"sha256Hash":["x"]}}}',
    },
    { name: 'batched', payload: '[{"query":"{ __typename }"},{"query":"{ __typename }"}]' },
    { name: 'directive wrong type', payload: q('{ me @include(if: "x") { id } }') },
    { name: 'unknown directive', payload: q('{ me @nope { id } }') },
    { name: 'NUL in document', payload: q('{ __typename }\u0000') },
    { name: 'lone surrogate in comment', payload: q('# \uD800\n{ __typename }') },
    { name: 'lone surrogate escape', payload: q(`{ property(id: "\\uD800") { id } }`) },
    { name: 'NUL escape in id', payload: q(`{ property(id: "${pid}\\u0000") { id } }`) },
    { name: 'huge whitespace', payload: q(`${' '.repeat(500_000)}{ __typename }`) },
    { name: 'subscription', payload: q('subscription { me { id } }') },
    { name: 'query not a string', payload: '{"query":{"a":1}}' },
    { name: 'query null', payload: '{"query":null}' },
    { name: 'body not JSON', payload: '{"query":' },
    { name: 'text/plain', payload: q('{ __typename }'), contentType: 'text/plain' },
    {
      name: 'GET mutation',
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent('mutation { login(email: "a@b.c", password: "x") { accessToken } }')}`,
    },
    { name: 'GET variables malformed', method: 'GET', url: '/graphql?query=%7B__typename%7D&variables=%7B' },
    { name: 'GET NUL query', method: 'GET', url: '/graphql?query=%00' },
    {
      name: 'GET extensions malformed',
      method: 'GET',
      url: '/graphql?query=%7B__typename%7D&extensions=%5B',
    },
    {
      name: 'user(id) firstName',
      payload: q(`{ user(id: "${F.userIds[0]}") { id firstName lastName role } }`),
    },
    { name: 'user(id: invalid)', payload: q('{ user(id: "not-a-uuid") { id } }') },
    {
      name: 'calendar impossible dates',
      payload: q(`{ property(id: "${pid}") { calendar(from: "2024-02-30", to: "2025-13-01") { date } } }`),
    },
    {
      name: 'calendar 0001..9999',
      payload: q(`{ property(id: "${pid}") { calendar(from: "0001-01-01", to: "9999-12-31") { date } } }`),
    },
    {
      name: 'properties first 2^31-1',
      payload: q('{ properties(first: 2147483647) { edges { node { id host { firstName } } } } }'),
    },
  ];
}

// =============================================================================================

let doc: OpenApiDoc;
let gqlSchema: GqlSchema;

/** Fixtures, bad tokens, the OpenAPI document and the GraphQL schema the runs draw from. */
export async function setupFuzz(): Promise<void> {
  // Synchronous, so it is visible even if a request later exhausts the heap and kills this process.
  writeSync(
    2,
    `[fuzz] journal of failures and in-flight requests (read it if the run crashes): ${JOURNAL}\n`,
  );
  writeFileSync(JOURNAL, `fuzz ${ENGINE} seed ${SEED} runs ${RUNS}\n`);
  await setupFixtures();
  await makeBadTokens();
  const res = await inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode).toBe(200);
  doc = res.json() as OpenApiDoc;
  const types = await inject({
    method: 'POST',
    url: '/graphql',
    payload: { query: INTROSPECTION_TYPES_QUERY },
  });
  expect(types.statusCode, types.body).toBe(200);
  const args = await inject({
    method: 'POST',
    url: '/graphql',
    payload: { query: introspectionArgsQuery(objectTypeNames(types.json().data)) },
  });
  expect(args.statusCode, args.body).toBe(200);
  gqlSchema = parseIntrospection(types.json().data, args.json().data);
}

export async function teardownFuzz(): Promise<void> {
  await t?.close();
  await queue?.close();
  const redis = testRedis();
  try {
    await dropPrefix(redis, queuePrefix);
  } finally {
    redis.disconnect();
  }
  rmSync(uploads, { recursive: true, force: true });
  rmSync(INFLIGHT, { force: true });
  rmSync(JOURNAL, { force: true });
}

/** REST: every operation, as every caller, survives hostile input. */
export async function fuzzRest(): Promise<void> {
  const ops = [...operationsOf(doc), ...HIDDEN_OPS];
  expect(ops.length).toBeGreaterThan(40);
  const c = new Collector();
  for (const op of ops) {
    // Runs grow with the number of inputs (each gets about the same attention: the search has 18);
    // operations without any input still get hostile query strings, bodies and headers, but fewer.
    const inputs = op.params.length + (op.body || op.special ? 1 : 0);
    const runs = inputs === 0 ? Math.max(2, Math.ceil(RUNS / 3)) : Math.round(RUNS * Math.max(1, inputs / 5));
    for (const caller of CALLERS) {
      const send = (rc: RestCase) => roundTrip(toRequest(op, rc), op.path === '/graphql');
      await runTarget(c, op.key, caller, restCaseArb(op, caller), runs, send, (rc) => shrinkRest(op, rc));
      if (op.method !== 'GET') await repairFixtures();
    }
  }
  for (const op of ops) {
    const ex = c.exemplars.get(op.key);
    if (!ex) {
      c.notes.push(`  note: ${op.key} never got past validation in the random runs, so it was not swept`);
      continue;
    }
    const send = (rc: RestCase) => roundTrip(toRequest(op, rc), op.path === '/graphql');
    const base = { ...(ex.value as RestCase), headers: {} };
    await runList(c, op.key, ex.caller, sweepRest(op, base), send, (rc) => shrinkRest(op, rc));
    if (op.method !== 'GET') await repairFixtures();
  }
  printCoverage(c, 'REST');
  const summary = await report(c, 'REST');
  if (summary) throw new Error(summary);
}

/** GraphQL: every Query and Mutation field, as every caller, survives hostile arguments. */
export async function fuzzGraphql(): Promise<void> {
  const schemasByName = new Map<string, JsonSchema[]>();
  const addSchema = (name: string, s: JsonSchema) => {
    schemasByName.set(name, [...(schemasByName.get(name) ?? []), s]);
    for (const [k, v] of Object.entries(s.properties ?? {})) addSchema(k, v);
  };
  for (const op of operationsOf(doc)) {
    for (const p of op.params) addSchema(p.name, p.schema);
    for (const [k, v] of Object.entries(op.body?.properties ?? {})) addSchema(k, v);
  }
  const hints: GqlHints = {
    schemasByName,
    pools,
    idsFor: (field, arg) => {
      if (arg === 'propertyId') return F.propertyIds;
      if (arg === 'bookingId') return F.bookingIds;
      if (arg !== 'id') return [];
      if (/user/i.test(field)) return F.userIds;
      if (/propert/i.test(field)) return F.propertyIds;
      if (/book/i.test(field)) return F.bookingIds;
      if (/review/i.test(field)) return F.reviewIds;
      return [];
    },
  };
  const c = new Collector();
  const roots: ['query' | 'mutation', string | null][] = [
    ['query', gqlSchema.queryType],
    ['mutation', gqlSchema.mutationType],
  ];
  let fields = 0;
  for (const [operation, typeName] of roots) {
    const type = typeName ? gqlSchema.types.get(typeName) : undefined;
    for (const field of type?.fields ?? []) {
      fields++;
      const runs = Math.round(RUNS * Math.max(1, inputCount(field.args, gqlSchema) / 5));
      for (const caller of CALLERS) {
        await runTarget(
          c,
          `graphql ${operation} ${field.name}`,
          caller,
          gqlCaseArb(operation, field, gqlSchema, hints),
          runs,
          (gc) => graphqlSend(gc, caller),
          shrinkGql,
        );
        if (operation === 'mutation') await repairFixtures();
      }
    }
  }
  expect(fields).toBeGreaterThan(10);
  for (const [operation, typeName] of roots) {
    const type = typeName ? gqlSchema.types.get(typeName) : undefined;
    for (const field of type?.fields ?? []) {
      const target = `graphql ${operation} ${field.name}`;
      const ex = c.exemplars.get(target);
      if (!ex) {
        c.notes.push(`  note: ${target} never got past validation in the random runs, so it was not swept`);
        continue;
      }
      const cases = sweepGql(ex.value as GqlCase, field, gqlSchema, sweepGqlValues);
      await runList(c, target, ex.caller, cases, (gc) => graphqlSend(gc, ex.caller), shrinkGql);
      if (operation === 'mutation') await repairFixtures();
    }
  }
  // Whole-document abuse: syntax, depth, aliases, batching, persisted queries, transports.
  for (const caller of CALLERS) {
    for (const d of documentCases()) {
      const headers: Record<string, string> = {};
      if (caller !== 'anonymous') headers['authorization'] = users[caller].auth.authorization;
      const sent: Sent =
        d.method === 'GET'
          ? { method: 'GET', url: d.url!, headers }
          : {
              method: 'POST',
              url: '/graphql',
              headers: { ...headers, 'content-type': d.contentType ?? 'application/json' },
              payload: d.payload!,
            };
      const send = () => roundTrip(sent, true);
      const r = await send();
      const target = `graphql document: ${d.name}`;
      c.record(target, r.ex);
      if (r.problems.length > 0) {
        c.add({ target, caller, value: null, send: () => send(), shrink: () => [] }, r);
      }
    }
  }
  printCoverage(c, 'GraphQL');
  const summary = await report(c, 'GraphQL');
  if (summary) throw new Error(summary);
}
