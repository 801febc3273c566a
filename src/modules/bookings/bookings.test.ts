import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing, setCalendar } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';
import { newId } from '../../platform/crypto.js';
import { ledgerBalance } from '../payments/ledger.js';
import { isOverlapViolation } from './bookings.repository.js';
import { expireUnpaidHolds } from './bookings.service.js';

let clock = new Date('2030-01-01T12:00:00Z');
let t: TestApp;
let host: TestUser;
let guest: TestUser;

beforeAll(async () => {
  t = await createTestApp({ now: () => clock, env: { SERVICE_FEE_BPS: '1000', TAX_BPS: '500' } });
  host = await createUser(t, 'host');
  guest = await createUser(t);
});
afterAll(async () => {
  try {
    // Every charge and refund above was posted as balanced double entries.
    expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
    expect((await t.ctx.db.selectFrom('ledger_entries').select('id').execute()).length).toBeGreaterThan(0);
  } finally {
    await t.close();
  }
});

const book = (user: TestUser, payload: object, headers: Record<string, string> = {}, app = t.app) =>
  app.inject({ method: 'POST', url: '/api/v1/bookings', headers: { ...user.auth, ...headers }, payload });
const pay = (user: TestUser, id: string, paymentMethod = 'pm_card_visa') =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/bookings/${id}/pay`,
    headers: user.auth,
    payload: { paymentMethod },
  });

describe('quotes and prices', () => {
  it('prices night by night with calendar overrides, and the booking agrees with its quote', async () => {
    const listing = await createListing(t, host, {
      nightlyPrice: 10_000,
      cleaningFee: 2_500,
      currency: 'EUR',
    });
    await setCalendar(t, host, listing.id, { from: '2030-02-02', to: '2030-02-02', price: 15_000 });
    const stay = { propertyId: listing.id, checkIn: '2030-02-01', checkOut: '2030-02-04', guests: 2 };
    const quote = await t.app.inject({ method: 'POST', url: '/api/v1/bookings/quote', payload: stay });
    expect(quote.statusCode).toBe(200);
    const q = quote.json();
    expect(q.nightly).toEqual([
      { date: '2030-02-01', price: 10_000 },
      { date: '2030-02-02', price: 15_000 },
      { date: '2030-02-03', price: 10_000 },
    ]);
    // nights 35 000 + cleaning 2 500 = 37 500; service 10% = 3 750; taxes 5% = 1 875.
    expect(q).toMatchObject({
      nights: 3,
      nightsSubtotal: 35_000,
      cleaningFee: 2_500,
      serviceFee: 3_750,
      taxes: 1_875,
      total: 43_125,
      currency: 'EUR',
    });

    const booked = await book(guest, stay);
    expect(booked.statusCode).toBe(201);
    const b = booked.json();
    for (const k of [
      'nightly',
      'nightsSubtotal',
      'cleaningFee',
      'serviceFee',
      'taxes',
      'total',
      'currency',
    ] as const) {
      expect(b[k]).toEqual(q[k]);
    }
    expect(b.status).toBe('pending_payment');
  });

  it('refuses bad stays with clear errors', async () => {
    const listing = await createListing(t, host, { maxGuests: 2, minNights: 2, maxNights: 5 });
    await setCalendar(t, host, listing.id, { from: '2030-03-10', to: '2030-03-10', blocked: true });
    const base = { propertyId: listing.id, checkIn: '2030-03-01', checkOut: '2030-03-04', guests: 2 };
    const cases: [object, number, string, string?][] = [
      [{ checkOut: '2030-03-01' }, 400, 'invalid_dates', 'checkOut'],
      [{ checkIn: '2029-12-31', checkOut: '2030-01-03' }, 400, 'invalid_dates', 'checkIn'],
      [{ checkOut: '2030-03-02' }, 400, 'stay_too_short', 'checkOut'],
      [{ checkOut: '2030-03-08' }, 400, 'stay_too_long', 'checkOut'],
      [{ guests: 3 }, 400, 'too_many_guests', 'guests'],
      [{ checkIn: '2030-03-09', checkOut: '2030-03-12' }, 409, 'dates_unavailable'],
      [{ propertyId: '00000000-0000-7000-8000-000000000000' }, 404, 'not_found'],
      [{ checkIn: '2030-02-30' }, 400, 'validation_error', 'checkIn'],
    ];
    for (const [patch, status, code, field] of cases) {
      const body = expectProblem(await book(guest, { ...base, ...patch }), status, code);
      if (field) expect(body.errors?.[0]?.field).toBe(field);
    }
    expectProblem(await book(host, base), 403, 'own_listing');
    const count = await t.ctx.db
      .selectFrom('bookings')
      .select(sql<number>`count(*)`.as('n'))
      .where('property_id', '=', listing.id)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });
});

describe('no overlapping bookings', () => {
  it('lets exactly one of 50 concurrent overlapping requests win, across separate app instances', async () => {
    const listing = await createListing(t, host);
    const guests = await Promise.all(Array.from({ length: 10 }, () => createUser(t)));
    // Five app instances, each with its own connection pool, like five API processes.
    const apps = [
      t,
      ...(await Promise.all(
        Array.from({ length: 4 }, () => createTestApp({ now: () => clock, database: t.database })),
      )),
    ];
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          book(
            guests[i % guests.length]!,
            {
              propertyId: listing.id,
              checkIn: `2030-04-${String(10 + (i % 3)).padStart(2, '0')}`,
              checkOut: '2030-04-15',
              guests: 1,
            },
            {},
            apps[i % apps.length]!.app,
          ),
        ),
      );
      const statuses = results.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(49);
      for (const r of results.filter((x) => x.statusCode === 409))
        expect(r.json().code).toBe('dates_unavailable');
      const active = await t.ctx.db
        .selectFrom('bookings')
        .select('id')
        .where('property_id', '=', listing.id)
        .execute();
      expect(active).toHaveLength(1);
    } finally {
      await Promise.all(apps.slice(1).map((a) => a.app.close()));
    }
  });

  it('is enforced by the database itself: writes that bypass the service cannot overlap either', async () => {
    const listing = await createListing(t, host);
    const first = await book(guest, {
      propertyId: listing.id,
      checkIn: '2030-09-01',
      checkOut: '2030-09-05',
      guests: 1,
    });
    expect(first.statusCode).toBe(201);
    const row = await t.ctx.db
      .selectFrom('bookings')
      .selectAll()
      .where('id', '=', first.json().id)
      .executeTakeFirstOrThrow();
    const copy = (id: string, checkIn: string, checkOut: string) =>
      t.ctx.db
        .insertInto('bookings')
        .values({
          ...row,
          id,
          check_in: checkIn,
          check_out: checkOut,
          nightly: JSON.stringify(row.nightly),
          tax_lines: row.tax_lines === null ? null : JSON.stringify(row.tax_lines),
        })
        .execute();
    const overlap = await copy(newId(), '2030-09-04', '2030-09-06').catch((e: unknown) => e);
    expect(isOverlapViolation(overlap)).toBe(true);
    // A cancelled booking frees its nights; bringing it back while they are taken is refused.
    await t.ctx.db
      .updateTable('bookings')
      .set({ status: 'cancelled_by_guest' })
      .where('id', '=', row.id)
      .execute();
    const second = newId();
    await copy(second, '2030-09-04', '2030-09-06');
    const revive = await t.ctx.db
      .updateTable('bookings')
      .set({ status: 'confirmed' })
      .where('id', '=', row.id)
      .execute()
      .catch((e: unknown) => e);
    expect(isOverlapViolation(revive)).toBe(true);
    const active = await t.ctx.db
      .selectFrom('bookings')
      .select('id')
      .where('property_id', '=', listing.id)
      .where('status', '=', 'pending_payment')
      .execute();
    expect(active.map((r) => r.id)).toEqual([second]);
  });

  it('allows back-to-back stays (check-out day = next check-in day)', async () => {
    const listing = await createListing(t, host);
    const a = await book(guest, {
      propertyId: listing.id,
      checkIn: '2030-05-01',
      checkOut: '2030-05-04',
      guests: 1,
    });
    const b = await book(guest, {
      propertyId: listing.id,
      checkIn: '2030-05-04',
      checkOut: '2030-05-06',
      guests: 1,
    });
    const c = await book(guest, {
      propertyId: listing.id,
      checkIn: '2030-04-28',
      checkOut: '2030-05-01',
      guests: 1,
    });
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([201, 201, 201]);
    expectProblem(
      await book(guest, { propertyId: listing.id, checkIn: '2030-05-03', checkOut: '2030-05-05', guests: 1 }),
      409,
      'dates_unavailable',
    );
  });
});

describe('idempotency', () => {
  it('replays the same key without creating anything, and refuses the key with another body', async () => {
    const listing = await createListing(t, host);
    const payload = { propertyId: listing.id, checkIn: '2030-06-01', checkOut: '2030-06-03', guests: 1 };
    const key = { 'idempotency-key': `key-${Date.now()}-abc` };
    const first = await book(guest, payload, key);
    const again = await book(guest, { ...payload }, key);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    const rows = await t.ctx.db
      .selectFrom('bookings')
      .select('id')
      .where('property_id', '=', listing.id)
      .execute();
    expect(rows).toHaveLength(1);
    expectProblem(await book(guest, { ...payload, guests: 2 }, key), 422, 'idempotency_key_reused');
    expectProblem(
      await book(guest, payload, { 'idempotency-key': 'bad key!' }),
      400,
      'invalid_idempotency_key',
    );
  });
});

describe('life cycle', () => {
  it('confirms an instant-book booking once paid, and records every transition', async () => {
    const listing = await createListing(t, host, { instantBook: true });
    const b = (
      await book(guest, { propertyId: listing.id, checkIn: '2030-07-01', checkOut: '2030-07-03', guests: 1 })
    ).json();
    const paid = await pay(guest, b.id);
    expect(paid.statusCode).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'succeeded', amount: b.total });
    // Paying again charges nothing more.
    const again = await pay(guest, b.id);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(paid.json().id);
    const detail = (
      await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${b.id}`, headers: guest.auth })
    ).json();
    expect(detail.status).toBe('confirmed');
    expect(detail.events.map((e: { from: string | null; to: string }) => [e.from, e.to])).toEqual([
      [null, 'pending_payment'],
      ['pending_payment', 'confirmed'],
    ]);
    // Illegal transitions are refused.
    expectProblem(
      await t.app.inject({ method: 'POST', url: `/api/v1/bookings/${b.id}/accept`, headers: host.auth }),
      409,
      'illegal_transition',
    );
  });

  it('refuses to accept or decline an unpaid hold: only payment moves it on', async () => {
    const listing = await createListing(t, host, { instantBook: false });
    const b = (
      await book(guest, { propertyId: listing.id, checkIn: '2030-08-01', checkOut: '2030-08-03', guests: 1 })
    ).json();
    expect(b.status).toBe('pending_payment');
    for (const action of ['accept', 'decline']) {
      expectProblem(
        await t.app.inject({ method: 'POST', url: `/api/v1/bookings/${b.id}/${action}`, headers: host.auth }),
        409,
        'illegal_transition',
      );
    }
    const row = await t.ctx.db
      .selectFrom('bookings')
      .select('status')
      .where('id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('pending_payment');
    // Once paid it waits for the host, who may then accept it.
    expect((await pay(guest, b.id)).json().status).toBe('succeeded');
    const accepted = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${b.id}/accept`,
      headers: host.auth,
    });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().status).toBe('confirmed');
  });

  it('waits for the host without instant book; declining refunds in full', async () => {
    const listing = await createListing(t, host, { instantBook: false });
    const b = (
      await book(guest, { propertyId: listing.id, checkIn: '2030-07-10', checkOut: '2030-07-12', guests: 1 })
    ).json();
    expect((await pay(guest, b.id)).json().status).toBe('succeeded');
    const row = await t.ctx.db
      .selectFrom('bookings')
      .select('status')
      .where('id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('awaiting_host');
    expectProblem(
      await t.app.inject({ method: 'POST', url: `/api/v1/bookings/${b.id}/accept`, headers: guest.auth }),
      403,
    );
    const declined = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${b.id}/decline`,
      headers: host.auth,
      payload: { reason: 'maintenance' },
    });
    expect(declined.statusCode).toBe(200);
    expect(declined.json()).toMatchObject({ status: 'declined', refundedAmount: b.total });
    // The nights are free again.
    expect(
      (
        await book(guest, {
          propertyId: listing.id,
          checkIn: '2030-07-10',
          checkOut: '2030-07-12',
          guests: 1,
        })
      ).statusCode,
    ).toBe(201);
  });

  it('declined cards leave the booking payable; expired holds free the nights', async () => {
    const listing = await createListing(t, host);
    const b = (
      await book(guest, { propertyId: listing.id, checkIn: '2030-08-01', checkOut: '2030-08-03', guests: 1 })
    ).json();
    expectProblem(await pay(guest, b.id, 'pm_card_declined'), 402, 'payment_failed');
    const still = await t.ctx.db
      .selectFrom('bookings')
      .select('status')
      .where('id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(still.status).toBe('pending_payment');

    const saved = clock;
    clock = new Date(saved.getTime() + 16 * 60_000);
    try {
      expectProblem(await pay(guest, b.id), 409, 'hold_expired');
      const expired = await expireUnpaidHolds(t.ctx);
      expect(expired).toBeGreaterThanOrEqual(1);
      const row = await t.ctx.db
        .selectFrom('bookings')
        .select('status')
        .where('id', '=', b.id)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('expired');
      expect(
        (
          await book(guest, {
            propertyId: listing.id,
            checkIn: '2030-08-01',
            checkOut: '2030-08-03',
            guests: 1,
          })
        ).statusCode,
      ).toBe(201);
    } finally {
      clock = saved;
    }
  });
});

describe('cancellation refunds at the policy boundaries', () => {
  // Check-in 2030-09-20 at 15:00 UTC.
  const checkIn = new Date('2030-09-20T15:00:00Z').getTime();
  const HOUR = 3_600_000;
  const cases = [
    { policy: 'flexible', cutoff: 24 * HOUR, inTime: 100, late: 0 },
    { policy: 'moderate', cutoff: 5 * 24 * HOUR, inTime: 100, late: 0 },
    { policy: 'strict', cutoff: 7 * 24 * HOUR, inTime: 50, late: 0 },
  ] as const;

  for (const c of cases) {
    for (const [label, offset, percent] of [
      ['exactly at the cut-off', 0, c.inTime],
      ['one minute before the cut-off', 60_000, c.inTime],
      ['one minute after the cut-off', -60_000, c.late],
    ] as const) {
      it(`${c.policy}: cancelling ${label} refunds ${percent}%`, async () => {
        const listing = await createListing(t, host, {
          cancellationPolicy: c.policy,
          instantBook: true,
          checkInTime: '15:00',
        });
        const saved = clock;
        clock = new Date('2030-09-01T00:00:00Z');
        try {
          const b = (
            await book(guest, {
              propertyId: listing.id,
              checkIn: '2030-09-20',
              checkOut: '2030-09-23',
              guests: 1,
            })
          ).json();
          expect((await pay(guest, b.id)).statusCode).toBe(200);
          clock = new Date(checkIn - c.cutoff - offset);
          const res = await t.app.inject({
            method: 'POST',
            url: `/api/v1/bookings/${b.id}/cancel`,
            headers: guest.auth,
          });
          expect(res.statusCode).toBe(200);
          const expected = Math.floor((b.total * percent) / 100);
          expect(res.json()).toMatchObject({ status: 'cancelled_by_guest', refundedAmount: expected });
          const refunds = await t.ctx.db
            .selectFrom('refunds')
            .select('amount')
            .where('booking_id', '=', b.id)
            .execute();
          expect(refunds.reduce((s, r) => s + Number(r.amount), 0)).toBe(expected);
        } finally {
          clock = saved;
        }
      });
    }
  }

  it('a host cancellation always refunds in full, even at the last minute', async () => {
    const listing = await createListing(t, host, { cancellationPolicy: 'strict', instantBook: true });
    const b = (
      await book(guest, { propertyId: listing.id, checkIn: '2030-01-02', checkOut: '2030-01-04', guests: 1 })
    ).json();
    await pay(guest, b.id);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${b.id}/cancel`,
      headers: host.auth,
    });
    expect(res.json()).toMatchObject({ status: 'cancelled_by_host', refundedAmount: b.total });
    expectProblem(
      await t.app.inject({ method: 'POST', url: `/api/v1/bookings/${b.id}/cancel`, headers: host.auth }),
      409,
      'illegal_transition',
    );
  });
});

describe('who sees what', () => {
  it('hides a booking from other guests and other hosts (404), in every operation', async () => {
    const listing = await createListing(t, host);
    const traveller = await createUser(t);
    const b = (
      await book(traveller, {
        propertyId: listing.id,
        checkIn: '2030-10-01',
        checkOut: '2030-10-03',
        guests: 1,
      })
    ).json();
    const stranger = await createUser(t);
    const otherHost = await createUser(t, 'host');
    for (const u of [stranger, otherHost]) {
      expectProblem(
        await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${b.id}`, headers: u.auth }),
        404,
      );
      expectProblem(
        await t.app.inject({ method: 'POST', url: `/api/v1/bookings/${b.id}/cancel`, headers: u.auth }),
        404,
      );
      expectProblem(await pay(u, b.id), 404);
      expectProblem(
        await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${b.id}/payments`, headers: u.auth }),
        404,
      );
    }
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${b.id}` }), 401);
    const mine = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?as=host', headers: otherHost.auth })
    ).json();
    expect(mine.items).toEqual([]);
    const hostView = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/bookings?as=host&propertyId=${listing.id}`,
        headers: host.auth,
      })
    ).json();
    expect(hostView.items.map((x: { id: string }) => x.id)).toEqual([b.id]);
    const guestView = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?when=upcoming', headers: traveller.auth })
    ).json();
    expect(guestView.items.map((x: { id: string }) => x.id)).toEqual([b.id]);
    const row = await t.ctx.db
      .selectFrom('bookings')
      .select('status')
      .where('id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('pending_payment');
  });

  it("carries the guest's message to the host (list and detail), and to nobody else", async () => {
    const listing = await createListing(t, host);
    const traveller = await createUser(t);
    const message = 'Hi! We arrive late (around 22:00), is self check-in possible?';
    const booked = await book(traveller, {
      propertyId: listing.id,
      checkIn: '2030-11-01',
      checkOut: '2030-11-03',
      guests: 1,
      message,
    });
    expect(booked.statusCode).toBe(201);
    const b = booked.json();
    expect(b.message).toBe(message);
    const detail = await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${b.id}`, headers: host.auth });
    expect(detail.statusCode).toBe(200);
    expect(detail.json().message).toBe(message);
    const list = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/bookings?as=host&propertyId=${listing.id}`,
        headers: host.auth,
      })
    ).json();
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ id: b.id, message });
    const guestDetail = await t.app.inject({
      method: 'GET',
      url: `/api/v1/bookings/${b.id}`,
      headers: traveller.auth,
    });
    expect(guestDetail.json().message).toBe(message);
    // Someone else: no booking, no message.
    const stranger = await createUser(t, 'host');
    const hidden = await t.app.inject({
      method: 'GET',
      url: `/api/v1/bookings/${b.id}`,
      headers: stranger.auth,
    });
    expect(hidden.body).not.toContain('self check-in');
    expectProblem(hidden, 404);
    // A booking without a message says so (null), rather than omitting the field.
    const silent = (
      await book(traveller, {
        propertyId: listing.id,
        checkIn: '2030-11-05',
        checkOut: '2030-11-06',
        guests: 1,
      })
    ).json();
    expect(silent.message).toBeNull();
    const silentDetail = await t.app.inject({
      method: 'GET',
      url: `/api/v1/bookings/${silent.id}`,
      headers: host.auth,
    });
    expect(silentDetail.json().message).toBeNull();
  });
});
