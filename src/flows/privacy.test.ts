/**
 * Privacy tools (issue 16): the data export holds every row about the user (checked against every table
 * with a user column, found from the schema itself), and erasure leaves no table holding their email,
 * name or phone (every text and JSON column of every table scanned), while bookings, payments and the
 * ledger stay whole and balanced.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  completeFinishedStays,
  insertBooking,
  insertListing,
  insertUser,
  startSession,
} from '../../test/support/factories.js';
import { completedStay } from '../../test/support/stays.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../test/support/test-app.js';
import { eraseUser, exportUserData } from './privacy.js';

const uploads = mkdtempSync(join(tmpdir(), 'roost-privacy-'));
let clock = new Date('2031-03-01T12:00:00Z');
const advance = (to: Date) => {
  clock = to;
};
let t: TestApp;

const PHONE = '+15550199231';
const FIRST = 'Zebulon';
const LAST = 'Quattlebaum';

async function person(
  role: 'guest' | 'host' | 'admin',
  input: { email: string; firstName?: string; lastName?: string; phone?: string },
): Promise<TestUser> {
  const { id, email } = await insertUser(t, { role, ...input });
  const s = await startSession(t, id);
  return {
    id,
    email,
    password: 'correct-horse-42',
    accessToken: s.accessToken,
    refreshToken: s.refreshToken,
    auth: { authorization: `Bearer ${s.accessToken}` },
  };
}

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 7),
]);
function multipart(file: Buffer) {
  const boundary = `----roost${Math.random().toString(16).slice(2)}`;
  return {
    payload: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** Every (table, column) whose column refers to a user by id, from the database's own catalogue. */
async function userColumns(): Promise<{ table: string; column: string }[]> {
  const schema = t.ctx.dbKind === 'mysql' ? sql`database()` : sql`'public'`;
  const { rows } = await sql<{ t: string; c: string }>`
    select table_name as t, column_name as c from information_schema.columns
    where table_schema = ${schema}
      and (column_name in ('user_id', 'guest_id', 'host_id', 'sender_id', 'actor_id', 'admin_id')
           or column_name like '%\\_by')`.execute(t.ctx.db);
  return rows
    .map((r) => ({ table: r.t, column: r.c }))
    .sort((a, b) => `${a.table}.${a.column}`.localeCompare(`${b.table}.${b.column}`));
}

/** Every text-like column (text, varchar, char, json) of every table. */
async function textColumns(): Promise<Map<string, string[]>> {
  const schema = t.ctx.dbKind === 'mysql' ? sql`database()` : sql`'public'`;
  const { rows } = await sql<{ t: string; c: string; d: string }>`
    select table_name as t, column_name as c, data_type as d from information_schema.columns
    where table_schema = ${schema}`.execute(t.ctx.db);
  const out = new Map<string, string[]>();
  for (const r of rows) {
    if (!/char|text|json/i.test(r.d)) continue;
    out.set(r.t, [...(out.get(r.t) ?? []), r.c]);
  }
  return out;
}

/** Every row of every table whose text holds one of the needles: `table: row`. */
async function findAnywhere(needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const [table, cols] of await textColumns()) {
    const { rows } = await sql<
      Record<string, unknown>
    >`select ${sql.join(cols.map((c) => sql.ref(c)))} from ${sql.table(table)}`.execute(t.ctx.db);
    for (const row of rows) {
      const text = JSON.stringify(row).toLowerCase();
      for (const n of needles)
        if (text.includes(n.toLowerCase())) hits.push(`${table}: ${JSON.stringify(row)}`);
    }
  }
  return hits;
}

async function ledgerTotals() {
  const rows = await t.ctx.db
    .selectFrom('ledger_entries')
    .select(['currency', (eb) => eb.fn.sum<number | string>('amount').as('total')])
    .groupBy('currency')
    .execute();
  return rows.map((r) => Number(r.total));
}

let zeb: TestUser;
let host: TestUser;
let guest: TestUser;
let admin: TestUser;
let hostListing: string;
let zebListing: string;
let upcomingAsGuest: string;
let pastStay: string;
let photoKey: string;

beforeAll(async () => {
  t = await createTestApp({ now: () => clock, env: { UPLOADS_DIR: uploads } });
  zeb = await person('host', {
    email: `zebulon.quattlebaum.${process.pid}.${Date.now()}@example.com`,
    firstName: FIRST,
    lastName: LAST,
    phone: PHONE,
  });
  host = await createUser(t, 'host');
  guest = await createUser(t, 'guest');
  admin = await createUser(t, 'admin');
  hostListing = (await insertListing(t, host.id, { cancellationPolicy: 'flexible' })).id;
  zebListing = (await insertListing(t, zeb.id)).id;
  await t.ctx.db
    .updateTable('properties')
    .set({ checkin_details: 'Key box 4711 by the blue door', street: '12 Quiet Lane' })
    .where('id', '=', zebListing)
    .execute();
  await t.ctx.db
    .insertInto('property_calendar')
    .values({ property_id: zebListing, night: '2031-05-01', blocked: true, price_override: null })
    .execute();
  const photo = multipart(PNG);
  const up = await t.app.inject({
    method: 'POST',
    url: `/api/v1/properties/${zebListing}/photos`,
    headers: { ...zeb.auth, ...photo.headers },
    payload: photo.payload,
  });
  expect(up.statusCode, up.body).toBe(201);
  photoKey = (
    await t.ctx.db
      .selectFrom('property_photos')
      .select('storage_key')
      .where('property_id', '=', zebListing)
      .executeTakeFirstOrThrow()
  ).storage_key;

  // A past stay as guest, reviewed; the host rated them.
  pastStay = await completedStay(t, zeb, hostListing, '2031-03-05', '2031-03-08', advance);
  const reviewed = await t.app.inject({
    method: 'POST',
    url: '/api/v1/reviews',
    headers: zeb.auth,
    payload: {
      bookingId: pastStay,
      rating: 5,
      cleanliness: 5,
      accuracy: 4,
      communication: 5,
      location: 4,
      checkIn: 5,
      value: 4,
      body: `Lovely. ${FIRST} ${LAST} would come back; text me at ${PHONE}`,
    },
  });
  expect(reviewed.statusCode, reviewed.body).toBe(201);
  const rated = await t.app.inject({
    method: 'POST',
    url: '/api/v1/guest-ratings',
    headers: host.auth,
    payload: { bookingId: pastStay, rating: 4, body: `${FIRST} left it tidy` },
  });
  expect(rated.statusCode, rated.body).toBe(201);

  // Conversations: as guest with a host, and as host with a guest.
  const asked = await t.app.inject({
    method: 'POST',
    url: '/api/v1/conversations',
    headers: zeb.auth,
    payload: { propertyId: hostListing, body: `Hello, ${FIRST} here. Call me on ${PHONE} or ${zeb.email}` },
  });
  expect(asked.statusCode, asked.body).toBe(201);
  const convo = asked.json().conversation.id as string;
  const answered = await t.app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${convo}/messages`,
    headers: host.auth,
    payload: { body: 'Welcome! See you soon.' },
  });
  expect(answered.statusCode, answered.body).toBe(201);
  const inquiry = await t.app.inject({
    method: 'POST',
    url: '/api/v1/conversations',
    headers: guest.auth,
    payload: { propertyId: zebListing, body: 'Is May free?' },
  });
  expect(inquiry.statusCode, inquiry.body).toBe(201);
  const replied = await t.app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${inquiry.json().conversation.id}/messages`,
    headers: zeb.auth,
    payload: { body: `Yes! Regards, ${FIRST} ${LAST}` },
  });
  expect(replied.statusCode, replied.body).toBe(201);

  const prefs = await t.app.inject({
    method: 'PATCH',
    url: '/api/v1/notifications/preferences',
    headers: zeb.auth,
    payload: { email: { payouts: false } },
  });
  expect(prefs.statusCode, prefs.body).toBe(200);

  // A stay to come, as guest; and a guest's stay to come at their listing.
  upcomingAsGuest = (
    await insertBooking(t, {
      guestId: zeb.id,
      propertyId: hostListing,
      checkIn: '2031-04-01',
      checkOut: '2031-04-04',
      message: `${FIRST} ${LAST} arrives late`,
    })
  ).id;
  await insertBooking(t, {
    guestId: guest.id,
    propertyId: zebListing,
    checkIn: '2031-04-10',
    checkOut: '2031-04-12',
  });
});

afterAll(async () => {
  await t?.close();
  rmSync(uploads, { recursive: true, force: true });
});

describe('data export', () => {
  it('holds every row about the user, from every table with a user column', async () => {
    // As a host he opened a payout account (the sandbox enables it at once).
    const account = await t.app.inject({
      method: 'POST',
      url: '/api/v1/host/payout-account',
      headers: zeb.auth,
      payload: { country: 'PT', currency: 'EUR' },
    });
    expect(account.statusCode, account.body).toBe(201);
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: zeb.auth });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="roost-export-${zeb.id}.json"`);
    const doc = res.json();
    expect(doc.user).toMatchObject({
      id: zeb.id,
      email: zeb.email,
      firstName: FIRST,
      lastName: LAST,
      phone: PHONE,
    });
    expect(res.body).not.toMatch(/password_?hash|totp_secret|token_hash/i);

    const count = (section: unknown[], pred: (r: Record<string, unknown>) => boolean = () => true) =>
      (section as Record<string, unknown>[]).filter(pred).length;
    const messages = (doc.conversations as { messages: Record<string, unknown>[] }[]).flatMap(
      (c) => c.messages,
    );
    /** Where each user column's rows are in the export; a new table with a user column fails here. */
    const inExport: Record<string, (() => number) | 'not exported'> = {
      'refresh_tokens.user_id': () => count(doc.sessions),
      'user_tokens.user_id': () => count(doc.accountTokens),
      'idempotency_keys.user_id': () => count(doc.idempotencyKeys),
      'properties.host_id': () => count(doc.listings),
      'bookings.guest_id': () => count(doc.bookings.asGuest),
      'bookings.host_id': () => count(doc.bookings.asHost),
      'booking_events.actor_id': () => count(doc.bookings.statusChangesMade),
      'booking_changes.requested_by': () => count(doc.bookings.changesRequested),
      'booking_changes.decided_by': () => count(doc.bookings.changesDecided),
      'reviews.guest_id': () => count(doc.reviews.written),
      'reviews.host_id': () => count(doc.reviews.received),
      'guest_ratings.host_id': () => count(doc.reviews.guestRatingsGiven),
      'guest_ratings.guest_id': () => count(doc.reviews.guestRatingsReceived),
      'conversations.guest_id': () => count(doc.conversations, (c) => c['guestId'] === zeb.id),
      'conversations.host_id': () => count(doc.conversations, (c) => c['hostId'] === zeb.id),
      'conversations.blocked_by': () => count(doc.conversations, (c) => c['blockedBy'] === zeb.id),
      'messages.sender_id': () => count(messages, (m) => m['senderId'] === zeb.id),
      'pre_approvals.guest_id': () => count(doc.preApprovals, (p) => p['guest_id'] === zeb.id),
      'pre_approvals.host_id': () => count(doc.preApprovals, (p) => p['host_id'] === zeb.id),
      'conversation_access_log.admin_id': () => count(doc.supportReads),
      'notifications.user_id': () => count(doc.notifications),
      'notification_preferences.user_id': () => count(doc.notificationPreferences),
      'payout_accounts.host_id': () => count(doc.payoutAccounts),
      'payouts.host_id': () => count(doc.payouts),
      // The operators' record of admin actions (ids only); it is not the person's data.
      'audit_log.actor_id': 'not exported',
      // Which admin hid a review: moderation, in the audit log.
      'reviews.hidden_by': 'not exported',
    };
    const columns = await userColumns();
    expect(columns.length).toBeGreaterThan(15);
    for (const { table, column } of columns) {
      const key = `${table}.${column}`;
      const where = inExport[key];
      expect(where, `${key} refers to users: add it to the export (and to this map)`).toBeDefined();
      if (where === 'not exported' || where === undefined) continue;
      const { rows } = await sql<{
        n: number | string;
      }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(column)} = ${zeb.id}`.execute(
        t.ctx.db,
      );
      expect(where(), key).toBe(Number(rows[0]!.n));
    }
    // The setup made at least one row of each kind that matters here.
    expect(doc.listings).toHaveLength(1);
    expect(doc.listings[0].photos).toHaveLength(1);
    expect(doc.listings[0].calendar).toHaveLength(1);
    expect(doc.bookings.asGuest.length).toBe(2);
    expect(doc.bookings.asGuest[0].events.length).toBeGreaterThan(0);
    expect(doc.bookings.asHost.length).toBe(1);
    expect(doc.reviews.written).toHaveLength(1);
    expect(doc.reviews.guestRatingsReceived).toHaveLength(1);
    expect(doc.conversations).toHaveLength(2);
    expect(messages.some((m) => String(m['body']).includes(PHONE))).toBe(true);
    expect(doc.notificationPreferences.length).toBeGreaterThan(0);
    expect(doc.payoutAccounts).toMatchObject([{ provider: 'sandbox', status: 'enabled', currency: 'EUR' }]);
    expect(doc.sessions.length).toBeGreaterThan(0);
    // Payments and refunds: every one of their bookings'.
    const bookingIds = [...doc.bookings.asGuest, ...doc.bookings.asHost].map((b: { id: string }) => b.id);
    const payments = await t.ctx.db
      .selectFrom('payments')
      .select('id')
      .where('booking_id', 'in', bookingIds)
      .execute();
    expect(doc.payments.map((p: { id: string }) => p.id).sort()).toEqual(payments.map((p) => p.id).sort());
    expect(payments.length).toBe(3);
    // Emails to their address.
    const emails = await t.ctx.db
      .selectFrom('email_outbox')
      .select('id')
      .where('recipient', '=', zeb.email)
      .execute();
    expect(doc.emails).toHaveLength(emails.length);
    expect(emails.length).toBeGreaterThan(0);
  });

  it('is the user’s own, or an admin’s to read', async () => {
    const other = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/users/${zeb.id}/export`,
      headers: guest.auth,
    });
    expectProblem(other, 403, 'forbidden');
    const guestActor = { userId: guest.id, role: 'guest' as const, sessionId: 'x' };
    await expect(exportUserData(t.ctx, guestActor, zeb.id)).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
    await expect(eraseUser(t.ctx, guestActor, zeb.id, { password: zeb.password })).rejects.toMatchObject({
      status: 404,
    });
    const byAdmin = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/users/${zeb.id}/export`,
      headers: admin.auth,
    });
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    expect(byAdmin.json().user.id).toBe(zeb.id);
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/admin/users/${crypto.randomUUID()}/export`,
        headers: admin.auth,
      }),
      404,
    );
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/users/me/export' }), 401);
  });
  it('is limited to 10 an hour per user', async () => {
    const u = await createUser(t);
    for (let i = 0; i < 10; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: u.auth });
      expect(res.statusCode, res.body).toBe(200);
    }
    expectProblem(
      await t.app.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: u.auth }),
      429,
    );
    // Another user has their own allowance.
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/users/me/export', headers: guest.auth })).statusCode,
    ).toBe(200);
  });
});

describe('erasure', () => {
  const eraseMe = (u: TestUser, payload: object) =>
    t.app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: u.auth, payload });

  it('needs the password and the word DELETE', async () => {
    expectProblem(
      await eraseMe(zeb, { password: 'not-my-password', confirm: 'DELETE' }),
      403,
      'invalid_credentials',
    );
    expectProblem(await eraseMe(zeb, { password: zeb.password }), 400, 'validation_error');
    expectProblem(await eraseMe(zeb, { password: zeb.password, confirm: 'delete' }), 400, 'validation_error');
  });

  it('is refused while a stay is to come, as guest and then as host', async () => {
    expectProblem(
      await eraseMe(zeb, { password: zeb.password, confirm: 'DELETE' }),
      409,
      'has_upcoming_stay',
    );
    const cancelled = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${upcomingAsGuest}/cancel`,
      headers: zeb.auth,
      payload: { reason: `Change of plans; call ${PHONE}` },
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expectProblem(
      await eraseMe(zeb, { password: zeb.password, confirm: 'DELETE' }),
      409,
      'host_has_upcoming_stays',
    );
    // Nothing changed.
    const row = await t.ctx.db
      .selectFrom('users')
      .select(['email', 'deleted_at'])
      .where('id', '=', zeb.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ email: zeb.email, deleted_at: null });
  });

  it('anonymizes the person everywhere once the stays are over; money stays whole', async () => {
    advance(new Date('2031-04-12T12:00:00Z'));
    await completeFinishedStays(t);
    const before = {
      bookings: await t.ctx.db
        .selectFrom('bookings')
        .select(['id', 'status', 'total'])
        .orderBy('id')
        .execute(),
      payments: await t.ctx.db
        .selectFrom('payments')
        .select(['id', 'amount', 'refunded_amount'])
        .orderBy('id')
        .execute(),
      refunds: await t.ctx.db.selectFrom('refunds').select(['id', 'amount']).orderBy('id').execute(),
      ledger: await t.ctx.db
        .selectFrom('ledger_entries')
        .select(['id', 'amount', 'account'])
        .orderBy('id')
        .execute(),
    };
    expect(before.refunds.length).toBeGreaterThan(0);
    // Before: they are in many tables, other people's rows included (the host's feed and emails quote
    // their name and messages; the host's rating names them).
    const found = (await findAnywhere([FIRST, LAST, PHONE, zeb.email])).map((h) =>
      h.slice(0, h.indexOf(':')),
    );
    for (const table of [
      'users',
      'messages',
      'reviews',
      'guest_ratings',
      'bookings',
      'booking_events',
      'notifications',
      'email_outbox',
    ]) {
      expect(found, table).toContain(table);
    }
    const hostFeed = await t.ctx.db
      .selectFrom('notifications')
      .select('data')
      .where('user_id', '=', host.id)
      .execute();
    expect(JSON.stringify(hostFeed)).toContain(FIRST);

    const res = await eraseMe(zeb, { password: zeb.password, confirm: 'DELETE' });
    expect(res.statusCode, res.body).toBe(204);

    expect(await findAnywhere([FIRST, LAST, PHONE, PHONE.slice(2), zeb.email])).toEqual([]);
    // Bookings, payments, refunds and the ledger: exactly as they were, and balanced.
    expect(
      await t.ctx.db.selectFrom('bookings').select(['id', 'status', 'total']).orderBy('id').execute(),
    ).toEqual(before.bookings);
    expect(
      await t.ctx.db
        .selectFrom('payments')
        .select(['id', 'amount', 'refunded_amount'])
        .orderBy('id')
        .execute(),
    ).toEqual(before.payments);
    expect(await t.ctx.db.selectFrom('refunds').select(['id', 'amount']).orderBy('id').execute()).toEqual(
      before.refunds,
    );
    expect(
      await t.ctx.db.selectFrom('ledger_entries').select(['id', 'amount', 'account']).orderBy('id').execute(),
    ).toEqual(before.ledger);
    for (const total of await ledgerTotals()) expect(total).toBe(0);

    const user = await t.ctx.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', zeb.id)
      .executeTakeFirstOrThrow();
    expect(user).toMatchObject({
      email: `deleted-${zeb.id}@deleted.invalid`,
      first_name: 'Deleted',
      last_name: 'user',
      phone: null,
      totp_secret: null,
    });
    expect(user.deleted_at).not.toBeNull();
    // Their listing: unlisted, no address or arrival details, no photos (nor the file).
    const listing = await t.ctx.db
      .selectFrom('properties')
      .selectAll()
      .where('id', '=', zebListing)
      .executeTakeFirstOrThrow();
    expect(listing).toMatchObject({ status: 'unlisted', street: '', checkin_details: null });
    expect(
      await t.ctx.db
        .selectFrom('property_photos')
        .select('id')
        .where('property_id', '=', zebListing)
        .execute(),
    ).toEqual([]);
    expect(existsSync(join(uploads, photoKey))).toBe(false);
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/properties/${zebListing}` }), 404);
    // Threads keep their numbering; the review keeps its stars.
    const authored = await t.ctx.db
      .selectFrom('messages')
      .select('body')
      .where('sender_id', '=', zeb.id)
      .execute();
    expect(authored.length).toBe(2);
    expect(authored.every((m) => m.body === '[deleted]')).toBe(true);
    const review = await t.ctx.db
      .selectFrom('reviews')
      .select(['rating', 'body'])
      .where('guest_id', '=', zeb.id)
      .executeTakeFirstOrThrow();
    expect(review).toEqual({ rating: 5, body: '[deleted]' });
    expect(
      await t.ctx.db.selectFrom('notifications').select('id').where('user_id', '=', zeb.id).execute(),
    ).toEqual([]);

    // Signed out everywhere, and cannot sign in again.
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: zeb.auth }), 401);
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: zeb.email, password: zeb.password },
      }),
      401,
      'invalid_credentials',
    );
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: `deleted-${zeb.id}@deleted.invalid`, password: zeb.password },
      }),
      401,
      'invalid_credentials',
    );
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: zeb.refreshToken },
    });
    expect(refreshed.statusCode).toBe(401);
    // A self-erasure is not an admin action: no audit row.
    expect(
      await t.ctx.db
        .selectFrom('audit_log')
        .select('id')
        .where('object_id', '=', zeb.id)
        .where('action', '=', 'user.erase')
        .execute(),
    ).toEqual([]);
  });

  it('an admin erases a user with a reason: one audit row, no personal data in it', async () => {
    const victim = await person('guest', {
      email: `ottoline.frobisher.${process.pid}@example.com`,
      firstName: 'Ottoline',
      lastName: 'Frobisher',
      phone: '+15550177342',
    });
    expectProblem(
      await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/admin/users/${victim.id}`,
        headers: guest.auth,
        payload: { reason: 'x' },
      }),
      403,
    );
    expectProblem(
      await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/admin/users/${victim.id}`,
        headers: admin.auth,
        payload: {},
      }),
      400,
      'validation_error',
    );
    expectProblem(
      await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/admin/users/${admin.id}`,
        headers: admin.auth,
        payload: { reason: 'me' },
      }),
      409,
      'cannot_erase_self',
    );
    const requestId = `privacy-erase-${Date.now()}`;
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/users/${victim.id}`,
      headers: { ...admin.auth, 'x-request-id': requestId },
      payload: { reason: 'Erasure requested by email, ticket 4521' },
    });
    expect(res.statusCode, res.body).toBe(204);
    const rows = await t.ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('request_id', '=', requestId)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_id: admin.id,
      action: 'user.erase',
      object_type: 'user',
      object_id: victim.id,
      reason: 'Erasure requested by email, ticket 4521',
    });
    const text = JSON.stringify(rows[0]);
    for (const v of ['Ottoline', 'Frobisher', '5550177342', victim.email]) expect(text).not.toContain(v);
    expect(await findAnywhere(['Ottoline', 'Frobisher', '5550177342', victim.email])).toEqual([]);
    expectProblem(
      await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/admin/users/${victim.id}`,
        headers: admin.auth,
        payload: { reason: 'again' },
      }),
      409,
      'already_erased',
    );
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: victim.auth }), 401);
  });
});
