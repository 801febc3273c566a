/**
 * Booking changes over HTTP (src/flows/change-booking.ts): cheaper (refund), dearer (the new total paid,
 * the old payment refunded; or refunded when the nights were taken meanwhile), guests only, host
 * decisions, instant book, authorization, bad input, the ledger after each, a cancellation of a changed
 * stay, and a change racing a new booking for the same nights.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBooking } from '../../../test/support/factories.js';
import { createListing } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';
import { testDbKind } from '../../../test/support/test-db.js';
import { recordRefundAnswer, settlePendingRefunds } from '../../flows/refunds.js';
import { ledgerBalance } from '../payments/ledger.js';
import { sandboxEvent, signSandboxWebhook } from '../payments/sandbox.provider.js';

/**
 * Tests that hold a second connection open while the first works: on PostgreSQL and MariaDB. PGlite
 * serves one connection (its suite runs everything else here; the guard itself is the same constraint).
 */
const concurrently =
  testDbKind() === 'pglite' ? (_name: string, _fn: () => Promise<void>, _timeout?: number) => {} : it;

const DAY = 86_400_000;
const SECRET = 'changes-test-sandbox-webhook-secret';
let clock = new Date('2032-03-01T09:00:00Z');
let t: TestApp;
let host: TestUser;
let guest: TestUser;
let other: TestUser;
let stranger: TestUser;
let admin: TestUser;

beforeAll(async () => {
  t = await createTestApp({
    now: () => clock,
    env: { SERVICE_FEE_BPS: '1000', TAX_BPS: '500', SANDBOX_WEBHOOK_SECRET: SECRET },
    ...(process.env['CHANGES_LOG'] ? { logger: { level: 'error' } } : {}),
  });
  [host, guest, other, stranger, admin] = await Promise.all([
    createUser(t, 'host'),
    createUser(t),
    createUser(t),
    createUser(t),
    createUser(t, 'admin'),
  ]);
});
afterAll(async () => {
  try {
    await expectBooksBalance();
  } finally {
    await t.close();
  }
});

// ---------------------------------------------------------------------------------------------- helpers

const day = (offset: number) => new Date(clock.getTime() + offset * DAY).toISOString().slice(0, 10);

const post = (user: TestUser | null, url: string, payload: object = {}) =>
  t.app.inject({ method: 'POST', url, headers: user ? user.auth : {}, payload });
const get = (user: TestUser, url: string) => t.app.inject({ method: 'GET', url, headers: user.auth });

/** Book and pay (and, without instant book, have the host accept): a confirmed stay, priced by the API. */
async function confirmedStay(
  listingId: string,
  checkIn: string,
  checkOut: string,
  o: { guests?: number; as?: TestUser; instant?: boolean } = {},
) {
  const who = o.as ?? guest;
  const booked = await post(who, '/api/v1/bookings', {
    propertyId: listingId,
    checkIn,
    checkOut,
    guests: o.guests ?? 2,
  });
  expect(booked.statusCode, booked.body).toBe(201);
  const id = booked.json().id as string;
  const paid = await post(who, `/api/v1/bookings/${id}/pay`, { paymentMethod: 'pm_card_visa' });
  expect(paid.statusCode, paid.body).toBe(200);
  if (o.instant === false) {
    const accepted = await post(host, `/api/v1/bookings/${id}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
  }
  return bookingRow(id);
}

const bookingRow = (id: string) =>
  t.ctx.db.selectFrom('bookings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const refundsOf = (bookingId: string) =>
  t.ctx.db.selectFrom('refunds').selectAll().where('booking_id', '=', bookingId).orderBy('id').execute();
const paymentsOf = (bookingId: string) =>
  t.ctx.db.selectFrom('payments').selectAll().where('booking_id', '=', bookingId).orderBy('id').execute();

/** Σ of a booking's ledger postings (its payments' and refunds') per account. */
async function bookingLedger(bookingId: string): Promise<Record<string, number>> {
  const refs = [
    ...(await paymentsOf(bookingId)).map((p) => p.id),
    ...(await refundsOf(bookingId)).map((r) => r.id),
  ];
  if (refs.length === 0) return {};
  const rows = await t.ctx.db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as x', 'x.id', 'e.transaction_id')
    .select(['e.account', 'e.amount'])
    .where('x.reference_id', 'in', refs)
    .execute();
  const out: Record<string, number> = {};
  for (const r of rows) out[r.account] = (out[r.account] ?? 0) + Number(r.amount);
  for (const k of Object.keys(out)) if (out[k] === 0) delete out[k];
  return out;
}

/**
 * The invariant kept: a confirmed booking's postings are exactly its current charge components (no
 * cancellation refund yet): cash = total, host = −host_payout, platform = −service fee, tax = −taxes.
 */
async function expectLedgerMatchesBooking(bookingId: string) {
  const b = await bookingRow(bookingId);
  const expected: Record<string, number> = {
    provider_clearing: Number(b.total),
    [`host_payable:${b.host_id}`]: -Number(b.host_payout),
    platform_revenue: -(Number(b.total) - Number(b.host_payout) - Number(b.taxes)),
    taxes_payable: -Number(b.taxes),
  };
  for (const k of Object.keys(expected)) if (expected[k] === 0) delete expected[k];
  expect(await bookingLedger(bookingId)).toEqual(expected);
}

async function expectBooksBalance() {
  expect(await settlePendingRefunds(t.ctx, { olderThanMs: -1 })).toBeGreaterThanOrEqual(0);
  const balance = await ledgerBalance(t.ctx.db);
  expect(
    Object.values(balance).every((v) => v === 0),
    JSON.stringify(balance),
  ).toBe(true);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let week = 0;
/** A fresh stretch of the calendar for each test (all on separate listings anyway). */
const nextWeek = () => 10 + 14 * week++;

// ------------------------------------------------------------------------------------------------ tests

describe('changes on an instant-book listing apply at once', () => {
  it('a shorter stay: applied, the difference refunded exactly, the freed night bookable', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 10_000, cleaningFee: 2_000 });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 3));

    const preview = await post(guest, `/api/v1/bookings/${before.id}/changes`, {
      checkOut: day(s + 2),
      preview: true,
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const quote = preview.json();
    expect(quote).toMatchObject({
      bookingId: before.id,
      from: { checkIn: day(s), checkOut: day(s + 3), total: Number(before.total) },
      to: { checkIn: day(s), checkOut: day(s + 2), guests: 2, nights: 2 },
      instantBook: true,
    });
    expect(quote.difference).toBe(quote.to.total - Number(before.total));
    expect(quote.difference).toBeLessThan(0);
    // A preview records nothing.
    expect((await get(guest, `/api/v1/bookings/${before.id}/changes`)).json().items).toEqual([]);

    const res = await post(guest, `/api/v1/bookings/${before.id}/changes`, { checkOut: day(s + 2) });
    expect(res.statusCode, res.body).toBe(201);
    const change = res.json();
    expect(change).toMatchObject({ status: 'applied', difference: quote.difference, paymentId: null });
    expect(change.refundId).toEqual(expect.any(String));

    const after = await bookingRow(before.id);
    expect(after).toMatchObject({ check_in: day(s), check_out: day(s + 2), status: 'confirmed' });
    expect(Number(after.total)).toBe(quote.to.total);
    // The change refund is no cancellation refund.
    expect(Number(after.refunded_amount)).toBe(0);
    const [refund] = await refundsOf(before.id);
    expect(refund).toMatchObject({ status: 'succeeded', reason: 'booking_change' });
    expect(Number(refund!.amount)).toBe(-quote.difference);
    const [payment] = await paymentsOf(before.id);
    expect(Number(payment!.refunded_amount)).toBe(-quote.difference);
    await expectLedgerMatchesBooking(before.id);
    await expectBooksBalance();

    // The released night is free for someone else.
    await confirmedStay(listing.id, day(s + 2), day(s + 3), { as: other });
    // History: one event recording the change.
    const events = await t.ctx.db
      .selectFrom('booking_events')
      .selectAll()
      .where('booking_id', '=', before.id)
      .where('reason', 'like', 'stay changed%')
      .execute();
    expect(events).toHaveLength(1);
  });

  it('a longer stay: awaiting payment; paying the new total applies it and refunds the old payment', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 10_000, cleaningFee: 2_000 });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 2));
    const res = await post(guest, `/api/v1/bookings/${before.id}/changes`, { checkOut: day(s + 4) });
    expect(res.statusCode, res.body).toBe(201);
    const change = res.json();
    expect(change.status).toBe('awaiting_payment');
    expect(change.difference).toBeGreaterThan(0);
    // Not taken yet: the booking still has its stay.
    expect((await bookingRow(before.id)).check_out).toBe(day(s + 2));

    const paid = await post(guest, `/api/v1/bookings/${before.id}/changes/${change.id}/pay`, {
      paymentMethod: 'pm_card_visa',
    });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json().change).toMatchObject({ status: 'applied', id: change.id });
    expect(paid.json().payment).toMatchObject({ status: 'succeeded', amount: change.to.total });
    // Paying again charges nothing more.
    const again = await post(guest, `/api/v1/bookings/${before.id}/changes/${change.id}/pay`, {
      paymentMethod: 'pm_card_visa',
    });
    expect(again.statusCode).toBe(200);
    expect(again.json().payment.id).toBe(paid.json().payment.id);

    const after = await bookingRow(before.id);
    expect(after.check_out).toBe(day(s + 4));
    expect(Number(after.total)).toBe(change.to.total);
    expect(Number(after.refunded_amount)).toBe(0);
    const pays = await paymentsOf(before.id);
    expect(pays).toHaveLength(2);
    expect(Number(pays[0]!.refunded_amount)).toBe(Number(before.total));
    const refunds = await refundsOf(before.id);
    expect(refunds.map((r) => [r.status, r.reason, Number(r.amount)])).toEqual([
      ['succeeded', 'booking_change', Number(before.total)],
    ]);
    // Net the guest paid the difference.
    const net = pays.reduce((s2, p) => s2 + Number(p.amount) - Number(p.refunded_amount), 0);
    expect(net).toBe(Number(before.total) + change.difference);
    await expectLedgerMatchesBooking(before.id);
    await expectBooksBalance();
  });

  it('a longer stay whose nights are taken before it is paid: failed, the payment refunded in full', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 10_000 });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 2));
    const res = await post(guest, `/api/v1/bookings/${before.id}/changes`, { checkOut: day(s + 4) });
    expect(res.json().status).toBe('awaiting_payment');
    // Someone else books the nights meanwhile.
    await confirmedStay(listing.id, day(s + 3), day(s + 5), { as: other });

    const paid = await post(guest, `/api/v1/bookings/${before.id}/changes/${res.json().id}/pay`, {
      paymentMethod: 'pm_card_visa',
    });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json().change).toMatchObject({ status: 'failed' });
    expect(paid.json().change.reason).toMatch(/taken/);
    const after = await bookingRow(before.id);
    expect(after).toMatchObject({ check_out: day(s + 2), status: 'confirmed' });
    expect(Number(after.total)).toBe(Number(before.total));
    const pays = await paymentsOf(before.id);
    expect(pays.map((p) => [p.status, Number(p.refunded_amount)])).toEqual([
      ['succeeded', 0],
      ['succeeded', Number(paid.json().payment.amount)],
    ]);
    await expectLedgerMatchesBooking(before.id);
    // The booking can still be cancelled in full by the host from its original payment.
    const cancelled = await post(host, `/api/v1/bookings/${before.id}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(Number((await bookingRow(before.id)).refunded_amount)).toBe(Number(before.total));
    await expectBooksBalance();
    expect(await bookingLedger(before.id)).toEqual({});
  });

  it('a guest count change of the same price applies without moving money', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 10_000, maxGuests: 4 });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 2));
    const res = await post(guest, `/api/v1/bookings/${before.id}/changes`, { guests: 4 });
    expect(res.statusCode, res.body).toBe(201);
    const after = await bookingRow(before.id);
    expect(after.guests).toBe(4);
    const diff = res.json().difference as number;
    expect(Number(after.total)).toBe(Number(before.total) + diff);
    if (diff === 0) {
      expect(res.json()).toMatchObject({ status: 'applied', refundId: null, paymentId: null });
      expect(await refundsOf(before.id)).toEqual([]);
      expect(await paymentsOf(before.id)).toHaveLength(1);
    }
    await expectLedgerMatchesBooking(before.id);
  });
});

describe('a dearer change paid asynchronously', () => {
  const webhook = (body: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/payments/webhooks/sandbox',
      headers: { 'content-type': 'application/json', 'roost-signature': signSandboxWebhook(SECRET, body) },
      payload: body,
    });

  it('stays awaiting payment while processing (no withdraw), and the webhook applies it once', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 10_000, cleaningFee: 1_000 });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 2));
    const asked = await post(guest, `/api/v1/bookings/${before.id}/changes`, { checkOut: day(s + 3) });
    expect(asked.json().status).toBe('awaiting_payment');
    const url = `/api/v1/bookings/${before.id}/changes/${asked.json().id}`;
    const paid = await post(guest, `${url}/pay`, { paymentMethod: 'pm_card_async' });
    expect(paid.statusCode, paid.body).toBe(202);
    expect(paid.json().payment.status).toBe('processing');
    expectProblem(await post(guest, `${url}/withdraw`), 409, 'change_payment_under_way');
    // Meanwhile a cancellation would refund the captured payment, not the one under way.
    const payment = (await paymentsOf(before.id)).find((p) => p.id === paid.json().payment.id)!;
    const event = sandboxEvent(`evt_change_${payment.id}`, 'payment.succeeded', payment.provider_ref!);
    expect((await webhook(event)).statusCode).toBe(200);
    expect((await webhook(event)).statusCode).toBe(200); // a replay changes nothing
    const change = (await get(guest, `/api/v1/bookings/${before.id}/changes`)).json().items[0];
    expect(change).toMatchObject({ status: 'applied', paymentId: payment.id });
    const after = await bookingRow(before.id);
    expect(after.check_out).toBe(day(s + 3));
    expect(Number(after.total)).toBe(change.to.total);
    // The booking's hold was not touched: no late-payment refund of the new payment.
    expect((await refundsOf(before.id)).map((r) => [r.reason, Number(r.amount)])).toEqual([
      ['booking_change', Number(before.total)],
    ]);
    await expectLedgerMatchesBooking(before.id);
    await expectBooksBalance();
  });

  it('a cancellation while the payment is under way refunds the captured one; the late charge goes back', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 10_000 });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 2));
    const asked = await post(guest, `/api/v1/bookings/${before.id}/changes`, { checkOut: day(s + 3) });
    const url = `/api/v1/bookings/${before.id}/changes/${asked.json().id}`;
    const paid = await post(guest, `${url}/pay`, { paymentMethod: 'pm_card_async' });
    expect(paid.statusCode).toBe(202);
    const cancelled = await post(host, `/api/v1/bookings/${before.id}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json().refundedAmount).toBe(Number(before.total));
    const payment = (await paymentsOf(before.id)).find((p) => p.id === paid.json().payment.id)!;
    await webhook(sandboxEvent(`evt_change_${payment.id}`, 'payment.succeeded', payment.provider_ref!));
    const change = (await get(guest, `/api/v1/bookings/${before.id}/changes`)).json().items[0];
    expect(change.status).toBe('failed');
    const refunds = await refundsOf(before.id);
    expect(refunds.map((r) => [r.reason, r.status, Number(r.amount)])).toEqual([
      ['cancelled_by_host', 'succeeded', Number(before.total)],
      ['booking_change', 'succeeded', Number(payment.amount)],
    ]);
    expect((await bookingRow(before.id)).status).toBe('cancelled_by_host');
    await expectBooksBalance();
    expect(await bookingLedger(before.id)).toEqual({});
  });
});

describe('money that does not move at once', () => {
  it('a declined card keeps the change waiting; another card applies it', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 10_000 });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 2));
    const asked = await post(guest, `/api/v1/bookings/${before.id}/changes`, {
      guests: 1,
      checkOut: day(s + 3),
    });
    const url = `/api/v1/bookings/${before.id}/changes/${asked.json().id}`;
    expectProblem(await post(stranger, `${url}/pay`, { paymentMethod: 'pm_card_visa' }), 404);
    expectProblem(await post(host, `${url}/pay`, { paymentMethod: 'pm_card_visa' }), 403);
    expectProblem(
      await post(guest, `${url}/pay`, { paymentMethod: 'pm_card_declined' }),
      402,
      'payment_failed',
    );
    const waiting = (await get(guest, `/api/v1/bookings/${before.id}/changes`)).json().items[0];
    expect(waiting.status).toBe('awaiting_payment');
    expect((await bookingRow(before.id)).check_out).toBe(day(s + 2));
    const paid = await post(guest, `${url}/pay`, { paymentMethod: 'pm_card_visa' });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json().change.status).toBe('applied');
    expect((await paymentsOf(before.id)).map((p) => p.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    await expectLedgerMatchesBooking(before.id);
    await expectBooksBalance();
  });

  it('a change refund the provider cannot reach stays pending for the job; refused, it is no cancellation refund', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 10_000 });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 3));
    const sandbox = t.ctx.payments['sandbox']!;
    const refund = sandbox.refund.bind(sandbox);
    sandbox.refund = async () => {
      throw new Error('provider down');
    };
    let res: Awaited<ReturnType<typeof post>>;
    try {
      res = await post(guest, `/api/v1/bookings/${before.id}/changes`, { checkOut: day(s + 2) });
    } finally {
      sandbox.refund = refund;
    }
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().status).toBe('applied');
    const [pending] = await refundsOf(before.id);
    expect(pending).toMatchObject({ status: 'pending', reason: 'booking_change' });
    // The job carries it out with its exact split.
    expect(await settlePendingRefunds(t.ctx, { olderThanMs: -1 })).toBe(1);
    await expectLedgerMatchesBooking(before.id);

    // Refused by the provider: the payment's promised amount is released, the booking's refunds untouched.
    const other2 = await confirmedStay(listing.id, day(s + 5), day(s + 8));
    const sandbox2 = t.ctx.payments['sandbox']!;
    sandbox2.refund = async () => {
      throw new Error('provider down');
    };
    try {
      const shorter = await post(guest, `/api/v1/bookings/${other2.id}/changes`, { checkOut: day(s + 6) });
      expect(shorter.json().status).toBe('applied');
    } finally {
      sandbox2.refund = refund;
    }
    const [promised] = await refundsOf(other2.id);
    await recordRefundAnswer(t.ctx, promised!.id, {
      providerRef: 're_x',
      status: 'failed',
      failureReason: 'expired_card',
    });
    expect(Number((await bookingRow(other2.id)).refunded_amount)).toBe(0);
    expect(Number((await paymentsOf(other2.id))[0]!.refunded_amount)).toBe(0);
    await expectBooksBalance();
  });
});

describe('the host decides on a listing without instant book', () => {
  it('declines with a reason (stay unchanged), then accepts a new request (applied, refunded)', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 8_000, instantBook: false });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 3), { instant: false });
    const asked = await post(guest, `/api/v1/bookings/${before.id}/changes`, {
      checkIn: day(s + 1),
      message: 'One day later, please',
    });
    expect(asked.statusCode, asked.body).toBe(201);
    expect(asked.json()).toMatchObject({ status: 'requested', requestedBy: guest.id });
    // One open change per booking.
    expectProblem(
      await post(guest, `/api/v1/bookings/${before.id}/changes`, { guests: 1 }),
      409,
      'change_pending',
    );
    // The guest cannot answer their own change.
    expectProblem(await post(guest, `/api/v1/bookings/${before.id}/changes/${asked.json().id}/accept`), 403);

    const declined = await post(host, `/api/v1/bookings/${before.id}/changes/${asked.json().id}/decline`, {
      reason: 'We have guests until then',
    });
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json()).toMatchObject({
      status: 'declined',
      decidedBy: host.id,
      reason: 'We have guests until then',
    });
    expect((await bookingRow(before.id)).check_in).toBe(day(s));
    // Deciding twice is a conflict.
    expectProblem(
      await post(host, `/api/v1/bookings/${before.id}/changes/${asked.json().id}/accept`),
      409,
      'illegal_change_transition',
    );

    const again = await post(guest, `/api/v1/bookings/${before.id}/changes`, { checkIn: day(s + 1) });
    expect(again.statusCode, again.body).toBe(201);
    const accepted = await post(host, `/api/v1/bookings/${before.id}/changes/${again.json().id}/accept`);
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ status: 'applied', decidedBy: host.id });
    expect(accepted.json().difference).toBeLessThan(0);
    expect((await bookingRow(before.id)).check_in).toBe(day(s + 1));
    await expectLedgerMatchesBooking(before.id);

    const list = await get(host, `/api/v1/bookings/${before.id}/changes`);
    expect(list.json().items.map((c: { status: string }) => c.status)).toEqual(['applied', 'declined']);
    await expectBooksBalance();
  });

  it('the guest withdraws an open change; an admin may accept for the host (audited)', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 8_000, instantBook: false });
    const s = nextWeek();
    const before = await confirmedStay(listing.id, day(s), day(s + 3), { instant: false });
    const first = await post(guest, `/api/v1/bookings/${before.id}/changes`, { checkOut: day(s + 2) });
    const withdrawn = await post(guest, `/api/v1/bookings/${before.id}/changes/${first.json().id}/withdraw`);
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(withdrawn.json().status).toBe('withdrawn');
    expectProblem(await post(host, `/api/v1/bookings/${before.id}/changes/${first.json().id}/withdraw`), 403);

    const second = await post(guest, `/api/v1/bookings/${before.id}/changes`, { checkOut: day(s + 2) });
    const byAdmin = await post(admin, `/api/v1/bookings/${before.id}/changes/${second.json().id}/accept`, {
      reason: 'host asked support',
    });
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
    expect(byAdmin.json().status).toBe('applied');
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('actor_id', '=', admin.id)
      .where('object_id', '=', before.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['booking.change.accept']);
    await expectLedgerMatchesBooking(before.id);
  });
});

describe('who may ask and what', () => {
  it('404 for strangers, 403 for the host asking, 401 without a token', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 9_000 });
    const s = nextWeek();
    const b = await confirmedStay(listing.id, day(s), day(s + 2));
    const url = `/api/v1/bookings/${b.id}/changes`;
    expectProblem(await post(stranger, url, { guests: 1 }), 404);
    expectProblem(await get(stranger, url), 404);
    expectProblem(await post(host, url, { guests: 1 }), 403, 'not_the_guest');
    expect((await post(null, url, { guests: 1 })).statusCode).toBe(401);
    const asked = await post(guest, url, { guests: 1, preview: true });
    expect(asked.statusCode).toBe(200);
    const missing = '0193c5b2-7a1e-7c3d-9e4f-5a6b7c8d9e0f';
    expectProblem(await post(host, `${url}/${missing}/accept`), 404);
    expectProblem(await post(stranger, `${url}/${missing}/decline`), 404);
  });

  it('refuses bad stays with field paths, the same stay, and bookings that cannot change', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 9_000, minNights: 2, maxGuests: 3 });
    const s = nextWeek();
    const b = await confirmedStay(listing.id, day(s), day(s + 3));
    const url = `/api/v1/bookings/${b.id}/changes`;
    const field = (res: Awaited<ReturnType<typeof post>>) => res.json().errors?.[0]?.field;

    const past = await post(guest, url, { checkIn: day(-2) });
    expectProblem(past, 400, 'invalid_dates');
    expect(field(past)).toBe('checkIn');
    const crowd = await post(guest, url, { guests: 4 });
    expectProblem(crowd, 400, 'too_many_guests');
    expect(field(crowd)).toBe('guests');
    const short = await post(guest, url, { checkOut: day(s + 1) });
    expectProblem(short, 400, 'stay_too_short');
    expect(field(short)).toBe('checkOut');
    const backwards = await post(guest, url, { checkOut: day(s) });
    expectProblem(backwards, 400, 'invalid_dates');
    const same = await post(guest, url, { checkIn: day(s), guests: 2 });
    expectProblem(same, 400, 'same_stay');
    // Schema bounds.
    expectProblem(await post(guest, url, { guests: 0 }), 400);
    expectProblem(await post(guest, url, { checkIn: '2032-02-30' }), 400);
    expectProblem(await post(guest, url, { nights: 3 }), 400);
    expect((await get(guest, url)).json().items).toEqual([]);

    // An unpaid hold cannot change; nor a stay that has begun.
    const hold = await post(guest, '/api/v1/bookings', {
      propertyId: listing.id,
      checkIn: day(s + 5),
      checkOut: day(s + 7),
      guests: 1,
    });
    expectProblem(
      await post(guest, `/api/v1/bookings/${hold.json().id}/changes`, { guests: 2 }),
      409,
      'not_changeable',
    );
    const saved = clock;
    clock = new Date(Date.parse(`${day(s)}T16:00:00Z`));
    try {
      expectProblem(await post(guest, url, { guests: 1 }), 409, 'stay_started');
    } finally {
      clock = saved;
    }
  });
});

describe('cancelling a changed stay', () => {
  it('refunds by policy on the new check-in and of the new total; the books end at zero', async () => {
    // Moderate: everything back at least 5 days before check-in, nothing after.
    const listing = await createListing(t, host, { nightlyPrice: 10_000, cancellationPolicy: 'moderate' });
    const s = nextWeek();
    const b = await confirmedStay(listing.id, day(s), day(s + 3));
    // Moved to start in 3 days (same length, same price): too late for a moderate refund.
    const moved = await post(guest, `/api/v1/bookings/${b.id}/changes`, {
      checkIn: day(3),
      checkOut: day(6),
    });
    expect(moved.statusCode, moved.body).toBe(201);
    expect(moved.json().status).toBe('applied');
    const cancelled = await post(guest, `/api/v1/bookings/${b.id}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json().refundedAmount).toBe(0);

    // Flexible, shortened (refund of the difference), then cancelled in time: the new total comes back.
    const flexible = await createListing(t, host, { nightlyPrice: 10_000, cleaningFee: 1_500 });
    const f = nextWeek();
    const c = await confirmedStay(flexible.id, day(f), day(f + 4));
    const shorter = await post(guest, `/api/v1/bookings/${c.id}/changes`, { checkOut: day(f + 2) });
    expect(shorter.json().status).toBe('applied');
    const newTotal = shorter.json().to.total as number;
    const cancelled2 = await post(guest, `/api/v1/bookings/${c.id}/cancel`);
    expect(cancelled2.statusCode, cancelled2.body).toBe(200);
    expect(cancelled2.json().refundedAmount).toBe(newTotal);
    const refunds = await refundsOf(c.id);
    expect(refunds.map((r) => [r.reason, r.status, Number(r.amount)])).toEqual([
      ['booking_change', 'succeeded', Number(c.total) - newTotal],
      ['cancelled_by_guest', 'succeeded', newTotal],
    ]);
    // Both refunds together reverse the booking's postings exactly.
    expect(await bookingLedger(c.id)).toEqual({});
    await expectBooksBalance();
  });
});

describe('a change racing a new booking for the same nights', () => {
  it('exactly one wins, every time; no overlapping active bookings remain', async () => {
    const listing = await createListing(t, host, { nightlyPrice: 10_000 });
    const racers = await Promise.all(Array.from({ length: 3 }, () => createUser(t)));
    const wins = { change: 0, booking: 0 };
    for (let i = 0; i < 20; i++) {
      const s = 200 + i * 6;
      const b = await confirmedStay(listing.id, day(s), day(s + 2));
      const racer = racers[i % racers.length]!;
      // The change moves the stay two nights later; the new booking wants exactly those nights.
      // Each side gets a head start in turn (0–24 ms), so both the check and the database guard decide.
      const head = (i % 5) * 6;
      const [changed, booked] = await Promise.all([
        pause(i % 2 ? head : 0).then(() =>
          post(guest, `/api/v1/bookings/${b.id}/changes`, { checkIn: day(s + 2), checkOut: day(s + 4) }),
        ),
        pause(i % 2 ? 0 : head).then(() =>
          post(racer, '/api/v1/bookings', {
            propertyId: listing.id,
            checkIn: day(s + 2),
            checkOut: day(s + 4),
            guests: 1,
          }),
        ),
      ]);
      const outcome = [changed.statusCode, booked.statusCode].sort();
      expect(outcome, `${changed.body} / ${booked.body}`).toEqual([201, 409]);
      if (changed.statusCode === 201) {
        expect(changed.json().status).toBe('applied');
        expectProblem(booked, 409, 'dates_unavailable');
        wins.change++;
      } else {
        expectProblem(changed, 409, 'dates_unavailable');
        expect((await bookingRow(b.id)).check_in).toBe(day(s));
        wins.booking++;
      }
    }
    expect(wins.change + wins.booking).toBe(20);
    if (process.env['CHANGES_LOG']) console.log('race wins', wins);
    const overlaps = await sql<{ n: number | string }>`
      select count(*) as n from bookings a join bookings b
        on a.property_id = b.property_id and a.id < b.id
       and a.check_in < b.check_out and b.check_in < a.check_out
     where a.property_id = ${listing.id}
       and a.status in ('pending_payment', 'awaiting_host', 'confirmed', 'completed')
       and b.status in ('pending_payment', 'awaiting_host', 'confirmed', 'completed')`.execute(t.ctx.db);
    expect(Number(overlaps.rows[0]!.n)).toBe(0);
    await expectBooksBalance();
  });

  concurrently(
    'the database guard refuses the change when a booking of its nights commits while it runs',
    async () => {
      const listing = await createListing(t, host, { nightlyPrice: 10_000 });
      const s = nextWeek();
      const b = await confirmedStay(listing.id, day(s), day(s + 2));
      let changing: ReturnType<typeof post> | undefined;
      // A booking of the new nights, not yet committed: the change's calendar check cannot see it, so
      // only the no-overlap guard (exclusion constraint / booking_nights) can stop the change.
      await t.ctx.db.transaction().execute(async (trx) => {
        await insertBooking({ ...t, ctx: { ...t.ctx, db: trx } } as TestApp, {
          guestId: other.id,
          propertyId: listing.id,
          checkIn: day(s + 3),
          checkOut: day(s + 5),
          status: 'pending_payment',
        });
        changing = post(guest, `/api/v1/bookings/${b.id}/changes`, {
          checkIn: day(s + 2),
          checkOut: day(s + 4),
        });
        await pause(400);
      });
      const res = await changing!;
      expectProblem(res, 409, 'dates_unavailable');
      expect(await bookingRow(b.id)).toMatchObject({ check_in: day(s), check_out: day(s + 2) });
      expect((await get(guest, `/api/v1/bookings/${b.id}/changes`)).json().items).toEqual([]);
    },
  );

  concurrently(
    'a paid change whose nights a concurrent booking takes while it settles fails, its payment refunded',
    async () => {
      const listing = await createListing(t, host, { nightlyPrice: 10_000 });
      const s = nextWeek();
      const b = await confirmedStay(listing.id, day(s), day(s + 2));
      const asked = await post(guest, `/api/v1/bookings/${b.id}/changes`, { checkOut: day(s + 4) });
      expect(asked.json().status).toBe('awaiting_payment');
      let paying: ReturnType<typeof post> | undefined;
      await t.ctx.db.transaction().execute(async (trx) => {
        await insertBooking({ ...t, ctx: { ...t.ctx, db: trx } } as TestApp, {
          guestId: other.id,
          propertyId: listing.id,
          checkIn: day(s + 3),
          checkOut: day(s + 5),
          status: 'pending_payment',
        });
        paying = post(guest, `/api/v1/bookings/${b.id}/changes/${asked.json().id}/pay`, {
          paymentMethod: 'pm_card_visa',
        });
        await pause(400);
      });
      const res = await paying!;
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().change.status).toBe('failed');
      expect(await bookingRow(b.id)).toMatchObject({ check_out: day(s + 2), status: 'confirmed' });
      const pays = await paymentsOf(b.id);
      expect(pays.map((p) => [p.status, Number(p.refunded_amount)])).toEqual([
        ['succeeded', 0],
        ['succeeded', Number(res.json().payment.amount)],
      ]);
      await expectLedgerMatchesBooking(b.id);
      await expectBooksBalance();
    },
  );
});
