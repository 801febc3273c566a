import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBooking } from '../../test/support/factories.js';
import { createListing } from '../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../test/support/test-app.js';
import { checkInInstant, guestCancellationRefund } from '../modules/bookings/policy.js';
import { ledgerBalance } from '../modules/payments/ledger.js';

let t: TestApp;
let admin: TestUser;
let host: TestUser;
let guest: TestUser;
let otherGuest: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { SERVICE_FEE_BPS: '1200', TAX_BPS: '700' } });
  admin = await createUser(t, 'admin');
  host = await createUser(t, 'host');
  guest = await createUser(t);
  otherGuest = await createUser(t);
});
afterAll(async () => {
  // Whatever the tests above did, the books balance.
  expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
  await t.close();
});

const DAY = 86_400_000;
const dayFromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
let slot = 0;
/** A stay of `nights` nights in 2031 (distinct per call), or starting `startsIn` days from now. */
async function booking(
  o: {
    status?: 'pending_payment' | 'awaiting_host' | 'confirmed' | 'completed';
    policy?: 'flexible' | 'moderate' | 'strict';
    instantBook?: boolean;
    startsIn?: number;
    guestId?: string;
  } = {},
) {
  const listing = await createListing(t, host, {
    nightlyPrice: 10_000,
    cleaningFee: 2_500,
    cancellationPolicy: o.policy ?? 'moderate',
    instantBook: o.instantBook ?? true,
  });
  slot++;
  const checkIn =
    o.startsIn !== undefined ? dayFromNow(o.startsIn) : `2031-03-${String(slot % 28 || 28).padStart(2, '0')}`;
  const checkOut = new Date(Date.parse(`${checkIn}T00:00:00Z`) + 3 * DAY).toISOString().slice(0, 10);
  const b = await insertBooking(t, {
    guestId: o.guestId ?? guest.id,
    propertyId: listing.id,
    checkIn,
    checkOut,
    status: o.status ?? 'confirmed',
  });
  return { ...b, propertyId: listing.id, checkIn, checkOut };
}

const as = (user: TestUser | null) => (user ? user.auth : {});
const get = (url: string, user: TestUser | null = admin) =>
  t.app.inject({ method: 'GET', url, headers: as(user) });
const post = (url: string, payload: object, user: TestUser | null = admin) =>
  t.app.inject({ method: 'POST', url, headers: as(user), payload });
const base = '/api/v1/admin/bookings';

const auditRows = (bookingId: string, action: string) =>
  t.ctx.db
    .selectFrom('audit_log')
    .selectAll()
    .where('object_type', '=', 'booking')
    .where('object_id', '=', bookingId)
    .where('action', '=', action)
    .execute();

const bookingRow = (id: string) =>
  t.ctx.db.selectFrom('bookings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const refundsOf = (id: string) =>
  t.ctx.db.selectFrom('refunds').selectAll().where('booking_id', '=', id).orderBy('id').execute();

describe('admin only', () => {
  it('answers 401 without a token and 403 to guests and hosts, on every admin bookings route', async () => {
    const b = await booking();
    const routes: [string, string, object?][] = [
      ['GET', base],
      ['GET', `${base}/${b.id}/timeline`],
      ['GET', `${base}/${b.id}/cancellation-preview?onBehalfOf=host`],
      ['POST', `${base}/${b.id}/cancel`, { onBehalfOf: 'host', refund: 'full', reason: 'x' }],
      ['POST', `${base}/${b.id}/refunds`, { amount: 100, reason: 'x' }],
      ['GET', '/api/v1/admin/dashboard'],
    ];
    for (const [method, url, payload] of routes) {
      for (const [user, status] of [
        [null, 401],
        [guest, 403],
        [host, 403],
      ] as const) {
        const res = await t.app.inject({
          method: method as 'GET' | 'POST',
          url,
          headers: as(user),
          ...(payload ? { payload } : {}),
        });
        expect(res.statusCode, `${method} ${url} as ${user?.email ?? 'anonymous'}`).toBe(status);
      }
    }
    // Nothing changed, nothing audited.
    expect((await bookingRow(b.id)).status).toBe('confirmed');
    expect(await auditRows(b.id, 'booking.cancel')).toHaveLength(0);
  });

  it('answers 404 for an unknown booking', async () => {
    const unknown = '0193a5b2-9999-7e2f-8a3b-4c5d6e7f8091';
    expectProblem(await get(`${base}/${unknown}/timeline`), 404);
    expectProblem(await get(`${base}/${unknown}/cancellation-preview?onBehalfOf=guest`), 404);
    expectProblem(
      await post(`${base}/${unknown}/cancel`, { onBehalfOf: 'guest', refund: 'full', reason: 'x' }),
      404,
    );
  });
});

describe('cancelling on a side’s behalf', () => {
  it('previews, then cancels on the host’s behalf with a full refund: refunded, balanced, audited once', async () => {
    const b = await booking({ policy: 'strict' });
    const preview = await get(`${base}/${b.id}/cancellation-preview?onBehalfOf=host&refund=full`);
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({
      bookingId: b.id,
      to: 'cancelled_by_host',
      paid: b.total,
      refund: b.total,
      currency: b.currency,
      policy: 'strict',
    });
    // The preview wrote nothing but its `view` row.
    expect((await bookingRow(b.id)).status).toBe('confirmed');
    expect(await refundsOf(b.id)).toHaveLength(0);

    const res = await post(`${base}/${b.id}/cancel`, {
      onBehalfOf: 'host',
      refund: 'full',
      reason: 'Host double-booked the flat',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled_by_host', refundedAmount: b.total });
    const refunds = await refundsOf(b.id);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ amount: b.total, status: 'succeeded' });
    expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
    // The host's payable for this booking is back to zero: charge credit + refund debit.
    const tx = await get(`/api/v1/admin/money/ledger/transactions?bookingId=${b.id}`);
    const hostNet = (tx.json().items as { entries: { account: string; amount: number }[] }[])
      .flatMap((i) => i.entries)
      .filter((e) => e.account === `host_payable:${host.id}`)
      .reduce((s, e) => s + e.amount, 0);
    expect(hostNet).toBe(0);

    const rows = await auditRows(b.id, 'booking.cancel');
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row?.request_id).toBe(res.headers['x-request-id']);
    expect(row?.actor_id).toBe(admin.id);
    expect(row?.reason).toBe('Host double-booked the flat');
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    expect(json(row?.before)).toEqual({ status: 'confirmed', refundedAmount: 0 });
    expect(json(row?.after)).toEqual({
      status: 'cancelled_by_host',
      refund: b.total,
      onBehalfOf: 'host',
      refundMode: 'full',
    });
    // The operator's reason stays in the audit log: the booking's history says who, not why.
    const history = await t.ctx.db
      .selectFrom('booking_events')
      .select(['to_status', 'reason', 'actor_id'])
      .where('booking_id', '=', b.id)
      .where('to_status', '=', 'cancelled_by_host')
      .execute();
    expect(history).toEqual([
      {
        to_status: 'cancelled_by_host',
        reason: "cancelled by Roost support on the host's behalf",
        actor_id: admin.id,
      },
    ]);
    // The request wrote exactly one row (no extra `view` row from the hook).
    const ofRequest = await t.ctx.db
      .selectFrom('audit_log')
      .select('action')
      .where('request_id', '=', String(res.headers['x-request-id']))
      .execute();
    expect(ofRequest).toEqual([{ action: 'booking.cancel' }]);

    // Cancelled is final: a second cancellation is a 409, audited nowhere.
    expectProblem(
      await post(`${base}/${b.id}/cancel`, { onBehalfOf: 'guest', refund: 'full', reason: 'again' }),
      409,
      'illegal_transition',
    );
    expect(await auditRows(b.id, 'booking.cancel')).toHaveLength(1);
  });

  it('refunds what the guest’s cancellation policy gives when cancelling on the guest’s behalf', async () => {
    const b = await booking({ policy: 'strict' });
    const row = await bookingRow(b.id);
    const expected = guestCancellationRefund(
      'strict',
      b.total,
      checkInInstant(row.check_in, row.check_in_time),
      new Date(),
    );
    expect(expected.percent).toBe(50);
    const preview = (await get(`${base}/${b.id}/cancellation-preview?onBehalfOf=guest&refund=policy`)).json();
    expect(preview).toMatchObject({ to: 'cancelled_by_guest', paid: b.total, refund: expected.amount });
    expect(preview.explanation).toContain('50%');

    const res = await post(`${base}/${b.id}/cancel`, {
      onBehalfOf: 'guest',
      refund: 'policy',
      reason: 'Guest called support: family emergency',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled_by_guest', refundedAmount: expected.amount });
    const refunds = await refundsOf(b.id);
    expect(refunds.map((r) => [r.amount, r.status])).toEqual([[expected.amount, 'succeeded']]);
    const [audit] = await auditRows(b.id, 'booking.cancel');
    const after = typeof audit?.after === 'string' ? JSON.parse(audit.after) : audit?.after;
    expect(after).toMatchObject({ refund: expected.amount, onBehalfOf: 'guest', refundMode: 'policy' });
  });

  it('gives nothing back on the guest’s behalf after the cut-off, and refuses what the state machine refuses', async () => {
    const late = await booking({ policy: 'moderate', startsIn: 2 });
    const preview = (await get(`${base}/${late.id}/cancellation-preview?onBehalfOf=guest`)).json();
    expect(preview).toMatchObject({ paid: late.total, refund: 0, policy: 'moderate' });
    const full = (await get(`${base}/${late.id}/cancellation-preview?onBehalfOf=guest&refund=full`)).json();
    expect(full.refund).toBe(late.total);

    // Only a confirmed stay can be cancelled on the host's behalf; a completed one by no one.
    const request = await booking({ status: 'awaiting_host', instantBook: false });
    expectProblem(
      await get(`${base}/${request.id}/cancellation-preview?onBehalfOf=host`),
      409,
      'illegal_transition',
    );
    const done = await booking({ status: 'completed', startsIn: -10 });
    expectProblem(
      await post(`${base}/${done.id}/cancel`, { onBehalfOf: 'guest', refund: 'full', reason: 'x' }),
      409,
      'illegal_transition',
    );
    // Bad input: 400 before anything else.
    expectProblem(await get(`${base}/${request.id}/cancellation-preview?onBehalfOf=nobody`), 400);
    expectProblem(
      await post(`${base}/${request.id}/cancel`, { onBehalfOf: 'guest', refund: 'full', reason: '' }),
      400,
    );
    expectProblem(
      await post(`${base}/${request.id}/cancel`, {
        onBehalfOf: 'guest',
        refund: 'full',
        reason: 'x'.repeat(1001),
      }),
      400,
    );
    // A long reason (up to 1000) is kept whole in the audit log, shortened in the booking history.
    const res = await post(`${base}/${request.id}/cancel`, {
      onBehalfOf: 'guest',
      refund: 'policy',
      reason: 'r'.repeat(1000),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled_by_guest', refundedAmount: request.total });
    const [audit] = await auditRows(request.id, 'booking.cancel');
    expect(audit?.reason).toHaveLength(1000);
  });
});

describe('partial refunds', () => {
  it('refunds 1..what remains, in parts, balanced and audited; more is a 409', async () => {
    const b = await booking();
    const url = `${base}/${b.id}/refunds`;
    expectProblem(await post(url, { amount: 0, reason: 'x' }), 400);
    expectProblem(await post(url, { amount: -5, reason: 'x' }), 400);
    expectProblem(await post(url, { amount: 10, reason: '' }), 400);
    expectProblem(await post(url, { amount: b.total + 1, reason: 'too much' }), 409, 'refund_exceeds_paid');

    const first = await post(url, { amount: 1_000, reason: 'Hot water was out for a night' });
    expect(first.statusCode).toBe(201);
    expect(first.json().refund).toMatchObject({
      bookingId: b.id,
      amount: 1_000,
      currency: b.currency,
      status: 'succeeded',
    });
    expect((await bookingRow(b.id)).refunded_amount).toBe(1_000);
    const rows = await auditRows(b.id, 'booking.refund');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.request_id).toBe(first.headers['x-request-id']);
    const after = typeof rows[0]?.after === 'string' ? JSON.parse(rows[0].after) : rows[0]?.after;
    expect(after).toMatchObject({ amount: 1_000, currency: b.currency });

    expectProblem(await post(url, { amount: b.total - 999, reason: 'x' }), 409, 'refund_exceeds_paid');
    const rest = await post(url, { amount: b.total - 1_000, reason: 'Everything else' });
    expect(rest.statusCode).toBe(201);
    expect((await bookingRow(b.id)).refunded_amount).toBe(b.total);
    expectProblem(await post(url, { amount: 1, reason: 'x' }), 409, 'refund_exceeds_paid');
    expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
    // Refunded in two parts, the ledger reverses the charge exactly.
    const entries = await t.ctx.db
      .selectFrom('ledger_entries as e')
      .innerJoin('ledger_transactions as x', 'x.id', 'e.transaction_id')
      .select(['e.account', 'e.amount'])
      .where('x.reference_id', 'in', [b.paymentId ?? '', ...(await refundsOf(b.id)).map((r) => r.id)])
      .execute();
    const net = new Map<string, number>();
    for (const e of entries) net.set(e.account, (net.get(e.account) ?? 0) + Number(e.amount));
    expect([...net.values()].every((v) => v === 0)).toBe(true);

    // An unpaid hold cannot be refunded by hand.
    const hold = await booking({ status: 'pending_payment' });
    expectProblem(
      await post(`${base}/${hold.id}/refunds`, { amount: 1, reason: 'x' }),
      409,
      'not_refundable',
    );
  });
});

describe('the timeline', () => {
  it('lists status changes, payments, refunds, ledger and audit rows, oldest first', async () => {
    const b = await booking();
    await post(`${base}/${b.id}/refunds`, { amount: 2_000, reason: 'Goodwill' });
    await post(`${base}/${b.id}/cancel`, { onBehalfOf: 'host', refund: 'full', reason: 'Flooded' });
    const res = await get(`${base}/${b.id}/timeline`);
    expect(res.statusCode).toBe(200);
    const { booking: view, events } = res.json() as {
      booking: { id: string; status: string };
      events: { at: string; kind: string; summary: string; amount?: number }[];
    };
    expect(view).toMatchObject({ id: b.id, status: 'cancelled_by_host' });
    const ats = events.map((e) => Date.parse(e.at));
    expect([...ats].sort((x, y) => x - y)).toEqual(ats);
    const index = (kind: string, text = '') =>
      events.findIndex((e) => e.kind === kind && e.summary.includes(text));
    expect(events[0]).toMatchObject({ kind: 'status', summary: 'created → pending_payment' });
    expect(index('payment')).toBeGreaterThan(0);
    expect(index('ledger', 'guest_charge')).toBeGreaterThan(0);
    expect(index('refund', 'admin_refund')).toBeGreaterThan(index('payment'));
    expect(index('refund', 'cancelled_by_host')).toBeGreaterThan(index('refund', 'admin_refund'));
    expect(index('audit', 'booking.refund')).toBeGreaterThan(index('payment'));
    expect(index('audit', 'booking.cancel')).toBeGreaterThan(index('audit', 'booking.refund'));
    expect(index('status', '→ cancelled_by_host')).toBeGreaterThan(index('status', '→ confirmed'));
    expect(events.filter((e) => e.kind === 'refund').map((e) => e.amount)).toEqual([2_000, b.total - 2_000]);
    expect(events.filter((e) => e.kind === 'ledger')).toHaveLength(3);
  });
});

describe('search', () => {
  it('filters by guest email, host, status and stay dates, newest first, in pages', async () => {
    const mine = [await booking({ guestId: otherGuest.id }), await booking({ guestId: otherGuest.id })];
    const res = await get(`${base}?guestEmail=${encodeURIComponent(otherGuest.email.toUpperCase())}&limit=1`);
    expect(res.statusCode).toBe(200);
    const first = res.json();
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({
      id: mine[1]?.id,
      guestId: otherGuest.id,
      hostId: host.id,
      status: 'confirmed',
      refundedAmount: 0,
    });
    expect(typeof first.items[0].propertyTitle).toBe('string');
    const second = (
      await get(
        `${base}?guestEmail=${encodeURIComponent(otherGuest.email)}&limit=1&cursor=${first.nextCursor}`,
      )
    ).json();
    expect(second.items.map((i: { id: string }) => i.id)).toEqual([mine[0]?.id]);
    expect(second.nextCursor).toBeNull();

    expect((await get(`${base}?guestEmail=nobody@example.com`)).json().items).toEqual([]);
    const byDates = (
      await get(`${base}?guestId=${otherGuest.id}&from=${mine[0]?.checkIn}&to=${mine[0]?.checkOut}`)
    ).json();
    expect(byDates.items.map((i: { id: string }) => i.id)).toContain(mine[0]?.id);
    const none = (await get(`${base}?guestId=${otherGuest.id}&status=expired`)).json();
    expect(none.items).toEqual([]);
    const byId = (await get(`${base}?id=${mine[0]?.id}&hostId=${host.id}`)).json();
    expect(byId.items).toHaveLength(1);
    expectProblem(await get(`${base}?status=bogus`), 400);
    expectProblem(await get(`${base}?cursor=not-a-cursor`), 400, 'invalid_cursor');
    expectProblem(await get(`${base}?limit=101`), 400);
  });
});

describe('admins through the shared booking routes', () => {
  it('audits an admin’s cancellation through POST /bookings/:id/cancel, once', async () => {
    const b = await booking();
    const res = await post(`/api/v1/bookings/${b.id}/cancel`, { reason: 'Fraud suspected' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('cancelled_by_host');
    const rows = await auditRows(b.id, 'booking.cancel');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.request_id).toBe(res.headers['x-request-id']);

    // The guest cancelling their own booking is no admin action.
    const own = await booking();
    expect((await post(`/api/v1/bookings/${own.id}/cancel`, {}, guest)).statusCode).toBe(200);
    expect(await auditRows(own.id, 'booking.cancel')).toHaveLength(0);
  });

  it('audits an admin declining a request, and not the host doing it', async () => {
    const b = await booking({ status: 'awaiting_host', instantBook: false });
    const res = await post(`/api/v1/bookings/${b.id}/decline`, {});
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'declined', refundedAmount: b.total });
    const rows = await auditRows(b.id, 'booking.decline');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.request_id).toBe(res.headers['x-request-id']);

    const other = await booking({ status: 'awaiting_host', instantBook: false });
    expect((await post(`/api/v1/bookings/${other.id}/accept`, {}, host)).statusCode).toBe(200);
    expect(await auditRows(other.id, 'booking.accept')).toHaveLength(0);
  });
});
