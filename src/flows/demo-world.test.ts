/**
 * The demo world, made on the test database through the real flows: what it holds (listings with
 * photos served under /media, bookings in every state with consistent payments and ledger), that it is
 * made once, that the same seed makes the same content, and that a demo guest can review a completed
 * stay and an admin can complete a confirmed one (development only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, type TestApp } from '../../test/support/test-app.js';
import { DEMO_PASSWORD } from '../modules/accounts/demo-users.js';
import { BOOKING_STATUSES } from '../modules/bookings/state.js';
import { ledgerBalance } from '../modules/payments/ledger.js';
import { LocalFileStore } from '../platform/file-store.js';
import { type DemoWorldSummary, demoWorldWanted, ensureDemoWorld } from './demo-world.js';

const uploads = mkdtempSync(join(tmpdir(), 'roost-demo-uploads-'));
let t: TestApp;
let first: DemoWorldSummary;
const files = new LocalFileStore(uploads);
const today = new Date().toISOString().slice(0, 10);
const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  t = await createTestApp({ env: { UPLOADS_DIR: uploads } });
  first = await ensureDemoWorld(t.ctx, files, { onlyIfEmpty: true });
}, 120_000);
afterAll(async () => {
  await t.close();
  rmSync(uploads, { recursive: true, force: true });
});

async function login(email: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: DEMO_PASSWORD },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { authorization: `Bearer ${res.json().accessToken as string}` };
}

describe('the demo world', () => {
  it('holds 50 listed listings with generated photos, and bookings in every state', async () => {
    expect(first).toMatchObject({ created: true, users: 9, listings: 50, photos: 75 });
    expect(Object.keys(first.bookings).sort()).toEqual([...BOOKING_STATUSES].sort());
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/properties?limit=100' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { city: string; coverPhoto: { url: string } | null }[];
    expect(items).toHaveLength(50);
    expect(new Set(items.map((i) => i.city)).size).toBe(10);
    // Every card has a cover, and it is a real PNG served by /media.
    expect(items.every((i) => i.coverPhoto !== null)).toBe(true);
    const image = await t.app.inject({ method: 'GET', url: items[0]!.coverPhoto!.url });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    expect(image.rawPayload.readUInt32BE(16)).toBe(480); // IHDR width
    const policies = await t.ctx.db
      .selectFrom('properties')
      .select('cancellation_policy')
      .distinct()
      .execute();
    expect(policies.map((p) => p.cancellation_policy).sort()).toEqual(['flexible', 'moderate', 'strict']);
  });

  it('has payments, refunds and ledger postings consistent with each booking state', async () => {
    const rows = await t.ctx.db
      .selectFrom('bookings as b')
      .leftJoin('payments as p', (j) => j.onRef('p.booking_id', '=', 'b.id').on('p.status', '=', 'succeeded'))
      .select([
        'b.id',
        'b.status',
        'b.total',
        'b.refunded_amount',
        'p.amount as paid',
        'p.refunded_amount as paid_back',
      ])
      .execute();
    for (const r of rows) {
      const unpaid = r.status === 'pending_payment' || r.status === 'expired';
      expect(r.paid ?? null, `${r.status} ${r.id}`).toBe(unpaid ? null : r.total);
      const refundedInFull =
        r.status === 'declined' || r.status === 'cancelled_by_host' || r.status === 'cancelled_by_guest';
      expect(r.refunded_amount, `${r.status} ${r.id}`).toBe(refundedInFull ? r.total : 0);
      if (!unpaid) expect(r.paid_back).toBe(r.refunded_amount);
    }
    const refunds = await t.ctx.db.selectFrom('refunds').select(['status']).execute();
    expect(refunds.length).toBe(3);
    expect(refunds.every((r) => r.status === 'succeeded')).toBe(true);
    expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
  });

  it('is made once: a second run, or a run on a database with accounts, makes nothing', async () => {
    const counts = async () =>
      Promise.all(
        (['users', 'properties', 'bookings', 'reviews', 'property_photos'] as const).map(async (table) =>
          Number(
            (
              await t.ctx.db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          ),
        ),
      );
    const before = await counts();
    expect(await ensureDemoWorld(t.ctx, files)).toMatchObject({
      created: false,
      reason: expect.stringMatching(/there already/),
    });
    expect(await ensureDemoWorld(t.ctx, files, { onlyIfEmpty: true })).toMatchObject({
      created: false,
      reason: expect.stringMatching(/already has accounts/),
    });
    expect(await counts()).toEqual(before);
  });

  it('makes the same content from the same seed on another database', async () => {
    const other = await createTestApp();
    try {
      await ensureDemoWorld(other.ctx, files);
      const content = (app: TestApp) =>
        app.ctx.db
          .selectFrom('properties as p')
          .innerJoin('property_photos as f', 'f.property_id', 'p.id')
          .select(['p.title', 'p.city', 'p.nightly_price', 'p.latitude', 'p.longitude', 'f.storage_key'])
          .orderBy('f.storage_key')
          .execute();
      expect(await content(other)).toEqual(await content(t));
    } finally {
      await other.close();
    }
  }, 120_000);

  it("lets the demo guest review a completed stay, once, and shows the host the guests' messages", async () => {
    const guest = await login('guest@roost.dev');
    const past = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?when=past', headers: guest })
    ).json();
    const stay = past.items[0];
    expect(stay).toMatchObject({ status: 'completed', checkOut: addDays(today, -2) });
    const review = {
      bookingId: stay.id,
      rating: 5,
      cleanliness: 5,
      accuracy: 5,
      communication: 5,
      location: 5,
      checkIn: 5,
      value: 4,
      body: 'Lovely stay, the host left fresh bread and coffee for us.',
    };
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: guest,
      payload: review,
    });
    expect(created.statusCode, created.body).toBe(201);
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: guest, payload: review }),
      409,
      'already_reviewed',
    );
    const host = await login('host@roost.dev');
    const requests = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?as=host&limit=100', headers: host })
    ).json().items as { status: string; message: string | null }[];
    const waiting = requests.filter((b) => b.status === 'awaiting_host');
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((b) => typeof b.message === 'string' && b.message.length > 0)).toBe(true);
    // GraphQL shows the host the same messages.
    const gql = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: host,
      payload: {
        query: '{ bookings(as: "host", when: "upcoming", first: 50) { edges { node { status message } } } }',
      },
    });
    expect(gql.statusCode, gql.body).toBe(200);
    const nodes = (
      gql.json().data.bookings.edges as { node: { status: string; message: string | null } }[]
    ).map((e) => e.node);
    expect(nodes.filter((n) => n.status === 'awaiting_host').map((n) => n.message)).toEqual(
      waiting.map((b) => b.message),
    );
  });
});

describe('completing a stay early (development)', () => {
  it('moves a confirmed stay into the past, completes it, and its guest can review it', async () => {
    const admin = await login('admin@roost.dev');
    const guest = await login('guest@roost.dev');
    const upcoming = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?when=upcoming&limit=100', headers: guest })
    ).json().items as { id: string; status: string; checkIn: string; checkOut: string; nights: number }[];
    const confirmed = upcoming.find((b) => b.status === 'confirmed')!;
    const url = `/api/v1/dev/bookings/${confirmed.id}/complete-stay`;
    expectProblem(await t.app.inject({ method: 'POST', url }), 401);
    expectProblem(await t.app.inject({ method: 'POST', url, headers: guest }), 403);
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/dev/bookings/00000000-0000-4000-8000-000000000000/complete-stay',
        headers: admin,
      }),
      404,
    );
    const done = await t.app.inject({ method: 'POST', url, headers: admin });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({
      status: 'completed',
      checkOut: today,
      checkIn: addDays(today, -confirmed.nights),
      nights: confirmed.nights,
    });
    expect(done.json().nightly.map((n: { date: string }) => n.date)[0]).toBe(
      addDays(today, -confirmed.nights),
    );
    const detail = (
      await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${confirmed.id}`, headers: guest })
    ).json();
    expect(detail.events.at(-1)).toMatchObject({ from: 'confirmed', to: 'completed' });
    // Only once: it is completed now.
    expectProblem(await t.app.inject({ method: 'POST', url, headers: admin }), 409, 'illegal_transition');
    const reviewed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: guest,
      payload: {
        bookingId: confirmed.id,
        rating: 4,
        cleanliness: 4,
        accuracy: 4,
        communication: 5,
        location: 5,
        checkIn: 5,
        value: 4,
        body: 'Great flat for a short break, easy to reach from the station.',
      },
    });
    expect(reviewed.statusCode, reviewed.body).toBe(201);
  });

  it('moves the stay to the latest nights the listing has free', async () => {
    const admin = await login('admin@roost.dev');
    const guest = await login('guest@roost.dev');
    // A new 4-night booking on the listing of the stay that ended two days ago (its last 3 nights are taken).
    const past = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?when=past', headers: guest })
    ).json().items as { propertyId: string; checkIn: string; checkOut: string }[];
    const recent = past.find((b) => b.checkOut === addDays(today, -2))!;
    expect(recent).toBeDefined();
    const other = await login('ines@roost.dev');
    const booked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: other,
      payload: {
        propertyId: recent.propertyId,
        checkIn: addDays(today, 90),
        checkOut: addDays(today, 94),
        guests: 1,
      },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${booked.json().id}/pay`,
      headers: other,
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(paid.statusCode, paid.body).toBe(200);
    const done = await t.app.inject({
      method: 'POST',
      url: `/api/v1/dev/bookings/${booked.json().id}/complete-stay`,
      headers: admin,
    });
    expect(done.statusCode, done.body).toBe(200);
    // Ending today or up to 2 days ago would overlap the finished stay: it ends the day that one began.
    expect(done.json()).toMatchObject({
      status: 'completed',
      checkOut: recent.checkIn,
      checkIn: addDays(recent.checkIn, -4),
    });
  });

  it('is not there in production (404), and the demo world is never wanted there', async () => {
    const prod = await createTestApp({ env: { NODE_ENV: 'production' }, database: t.database });
    try {
      const res = await prod.app.inject({
        method: 'POST',
        url: '/api/v1/dev/bookings/00000000-0000-4000-8000-000000000000/complete-stay',
      });
      expect(res.statusCode).toBe(404);
      expect(demoWorldWanted(prod.ctx.config, 'pglite')).toBe(false);
      await expect(ensureDemoWorld(prod.ctx, files)).rejects.toThrow(/never made in production/);
    } finally {
      await prod.close();
    }
    const dev = { ...t.ctx.config, NODE_ENV: 'development' as const };
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'auto' }, 'pglite')).toBe('if-empty');
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'auto' }, 'postgres')).toBe(false);
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'auto' }, 'mysql')).toBe(false);
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'on' }, 'mysql')).toBe('always');
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'off' }, 'pglite')).toBe(false);
    // Tests start servers on PGlite all the time: `auto` is for development only.
    expect(demoWorldWanted({ ...t.ctx.config, DEMO_DATA: 'auto' }, 'pglite')).toBe(false);
  });
});
