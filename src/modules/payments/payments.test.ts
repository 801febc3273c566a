import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';
import { reconcileProcessingPayments } from '../../flows/pay.js';
import {
  guestChargePostings,
  hostPayoutReport,
  ledgerBalance,
  postTransaction,
  refundPostings,
  UnbalancedTransactionError,
} from './ledger.js';
import { type SandboxProvider, sandboxEvent, signSandboxWebhook } from './sandbox.provider.js';

const SECRET = 'payments-test-sandbox-webhook-secret';
let t: TestApp;
let host: TestUser;
let guest: TestUser;

beforeAll(async () => {
  t = await createTestApp({
    env: { SERVICE_FEE_BPS: '1200', TAX_BPS: '700', SANDBOX_WEBHOOK_SECRET: SECRET },
  });
  host = await createUser(t, 'host');
  guest = await createUser(t);
});
afterAll(async () => {
  // Whatever the tests above did, the books balance.
  expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
  await t.close();
});

let day = 1;
async function pendingBooking(o: { instantBook?: boolean } = {}) {
  const listing = await createListing(t, host, { nightlyPrice: 12_345, cleaningFee: 3_000, ...o });
  const d = String(day++).padStart(2, '0');
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/bookings',
    headers: guest.auth,
    payload: { propertyId: listing.id, checkIn: `2031-01-${d}`, checkOut: `2031-02-${d}`, guests: 1 },
  });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; total: number; serviceFee: number; taxes: number };
}

const webhook = (body: string, signature: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/payments/webhooks/sandbox',
    headers: { 'content-type': 'application/json', 'roost-signature': signature },
    payload: body,
  });

const pay = (bookingId: string, paymentMethod = 'pm_card_visa') =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/bookings/${bookingId}/pay`,
    headers: guest.auth,
    payload: { paymentMethod },
  });

const bookingStatus = async (id: string) =>
  (await t.ctx.db.selectFrom('bookings').select('status').where('id', '=', id).executeTakeFirstOrThrow())
    .status;

describe('asynchronous payments and webhooks', () => {
  it('settles a processing payment by a signed webhook, once, and refuses bad signatures', async () => {
    const b = await pendingBooking();
    const paid = await pay(b.id, 'pm_card_async');
    expect(paid.statusCode).toBe(202);
    expect(paid.json().status).toBe('processing');
    const payment = await t.ctx.db
      .selectFrom('payments')
      .selectAll()
      .where('booking_id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(await bookingStatus(b.id)).toBe('pending_payment');

    const body = sandboxEvent(`evt_${b.id}`, 'payment.succeeded', payment.provider_ref!);
    // Bad signature, tampered body, stale timestamp: 400 and nothing changes.
    expectProblem(
      await webhook(body, signSandboxWebhook('not-the-secret-at-all', body)),
      400,
      'invalid_signature',
    );
    expectProblem(
      await webhook(body.replace('succeeded', 'failed'), signSandboxWebhook(SECRET, body)),
      400,
      'invalid_signature',
    );
    expectProblem(
      await webhook(body, signSandboxWebhook(SECRET, body, Math.floor(Date.now() / 1000) - 3600)),
      400,
      'invalid_signature',
    );
    expectProblem(await webhook(body, 'garbage'), 400, 'invalid_signature');
    // Signed, but malformed inside: refused before anything is stored (was a 500).
    for (const bad of [
      JSON.stringify({ id: null, type: 'payment.succeeded', data: { objectRef: payment.provider_ref } }),
      sandboxEvent('x'.repeat(300), 'payment.succeeded', payment.provider_ref!),
      sandboxEvent('evt_\uD800', 'payment.succeeded', payment.provider_ref!),
      sandboxEvent('evt_nul', 'payment.succeeded', `${payment.provider_ref}\u0000`),
    ]) {
      expectProblem(await webhook(bad, signSandboxWebhook(SECRET, bad)), 400, 'invalid_webhook');
    }
    expect(await bookingStatus(b.id)).toBe('pending_payment');
    expect(await t.ctx.db.selectFrom('webhook_events').selectAll().execute()).toHaveLength(0);

    const first = await webhook(body, signSandboxWebhook(SECRET, body));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: true, duplicate: false });
    const second = await webhook(body, signSandboxWebhook(SECRET, body));
    expect(second.json()).toEqual({ received: true, duplicate: true });

    expect(await bookingStatus(b.id)).toBe('confirmed');
    const events = await t.ctx.db
      .selectFrom('booking_events')
      .select(['to_status'])
      .where('booking_id', '=', b.id)
      .execute();
    expect(events.map((e) => e.to_status)).toEqual(['pending_payment', 'confirmed']);
    const charges = await t.ctx.db
      .selectFrom('ledger_transactions')
      .selectAll()
      .where('reference_id', '=', payment.id)
      .execute();
    expect(charges).toHaveLength(1);
  });

  it('a failed asynchronous payment leaves the booking payable', async () => {
    const b = await pendingBooking();
    await pay(b.id, 'pm_card_async');
    const payment = await t.ctx.db
      .selectFrom('payments')
      .selectAll()
      .where('booking_id', '=', b.id)
      .executeTakeFirstOrThrow();
    const body = sandboxEvent(
      `evt_fail_${b.id}`,
      'payment.failed',
      payment.provider_ref!,
      'insufficient_funds',
    );
    expect((await webhook(body, signSandboxWebhook(SECRET, body))).statusCode).toBe(200);
    const after = await t.ctx.db
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', payment.id)
      .executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'failed', failure_reason: 'insufficient_funds' });
    expect(await bookingStatus(b.id)).toBe('pending_payment');
    const retry = await pay(b.id);
    expect(retry.statusCode).toBe(200);
    expect(await bookingStatus(b.id)).toBe('confirmed');
  });
});

describe('follow-ups', () => {
  it('settles a payment whose webhook never came, by asking the provider (scheduled reconcile)', async () => {
    const b = await pendingBooking();
    await pay(b.id, 'pm_card_async');
    const payment = await t.ctx.db
      .selectFrom('payments')
      .selectAll()
      .where('booking_id', '=', b.id)
      .executeTakeFirstOrThrow();
    const sandbox = t.ctx.payments['sandbox'] as SandboxProvider;
    // Too recent: nothing is asked yet.
    expect(await reconcileProcessingPayments(t.ctx)).toBe(0);
    sandbox.settle(payment.provider_ref!, 'succeeded');
    const later = { ...t.ctx, now: () => new Date(Date.now() + 11 * 60_000) };
    expect(await reconcileProcessingPayments(later)).toBe(1);
    expect(await bookingStatus(b.id)).toBe('confirmed');
    // Settled once: a second pass (or a late webhook) changes nothing.
    expect(await reconcileProcessingPayments(later)).toBe(0);
    const body = sandboxEvent(`evt_late_${b.id}`, 'payment.succeeded', payment.provider_ref!);
    expect((await webhook(body, signSandboxWebhook(SECRET, body))).json()).toEqual({
      received: true,
      duplicate: false,
    });
    const charges = await t.ctx.db
      .selectFrom('ledger_transactions')
      .select('id')
      .where('reference_id', '=', payment.id)
      .execute();
    expect(charges).toHaveLength(1);
  });

  it('marks a pending refund settled when its webhook arrives', async () => {
    const b = await pendingBooking();
    await pay(b.id);
    await t.app.inject({ method: 'POST', url: `/api/v1/bookings/${b.id}/cancel`, headers: host.auth });
    const refund = await t.ctx.db
      .selectFrom('refunds')
      .selectAll()
      .where('booking_id', '=', b.id)
      .executeTakeFirstOrThrow();
    // As if the provider had answered "pending".
    await t.ctx.db.updateTable('refunds').set({ status: 'pending' }).where('id', '=', refund.id).execute();
    const body = sandboxEvent(`evt_refund_${refund.id}`, 'refund.succeeded', refund.provider_ref!);
    expect((await webhook(body, signSandboxWebhook(SECRET, body))).statusCode).toBe(200);
    const after = await t.ctx.db
      .selectFrom('refunds')
      .select('status')
      .where('id', '=', refund.id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('succeeded');
  });
});

describe('ledger', () => {
  it('posts balanced charge and refund transactions that add up per account', async () => {
    const b = await pendingBooking();
    await pay(b.id);
    // Host cancels: a full refund reverses every component exactly.
    await t.app.inject({ method: 'POST', url: `/api/v1/bookings/${b.id}/cancel`, headers: host.auth });
    const payment = await t.ctx.db
      .selectFrom('payments')
      .selectAll()
      .where('booking_id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(payment.refunded_amount).toBe(payment.amount);
    const refunds = await t.ctx.db
      .selectFrom('refunds')
      .select('id')
      .where('payment_id', '=', payment.id)
      .execute();
    const refs = [payment.id, ...refunds.map((r) => r.id)];
    const entries = await t.ctx.db
      .selectFrom('ledger_entries as e')
      .innerJoin('ledger_transactions as x', 'x.id', 'e.transaction_id')
      .select(['e.account', 'e.amount'])
      .where('x.reference_id', 'in', refs)
      .execute();
    const byAccount = new Map<string, number>();
    for (const e of entries) byAccount.set(e.account, (byAccount.get(e.account) ?? 0) + Number(e.amount));
    expect([...byAccount.values()].every((v) => v === 0)).toBe(true);
    expect(entries.length).toBe(8);
  });

  it('refuses unbalanced or fractional postings and writes nothing', async () => {
    const before = await t.ctx.db.selectFrom('ledger_entries').select('id').execute();
    const attempt = (entries: { account: string; amount: number }[]) =>
      postTransaction(t.ctx.db, {
        kind: 'adjustment',
        reference: { type: 'test', id: '00000000-0000-7000-8000-000000000001' },
        currency: 'EUR',
        entries,
      });
    await expect(
      attempt([
        { account: 'a', amount: 10 },
        { account: 'b', amount: -9 },
      ]),
    ).rejects.toThrow(UnbalancedTransactionError);
    await expect(
      attempt([
        { account: 'a', amount: 1.5 },
        { account: 'b', amount: -1.5 },
      ]),
    ).rejects.toThrow(UnbalancedTransactionError);
    await expect(attempt([{ account: 'a', amount: 0 }])).rejects.toThrow(UnbalancedTransactionError);
    expect(() =>
      guestChargePostings({ total: 100, hostShare: 80, serviceFee: 10, taxes: 5, hostId: 'h' }),
    ).toThrow();
    const after = await t.ctx.db.selectFrom('ledger_entries').select('id').execute();
    expect(after.length).toBe(before.length);
  });

  it('splits any sequence of partial refunds so every posting balances and components never go negative', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const hostShare = 1 + rand(500_000);
      const serviceFee = rand(60_000);
      const taxes = rand(40_000);
      const original = { total: hostShare + serviceFee + taxes, hostShare, serviceFee, taxes, hostId: 'h' };
      let refunded = 0;
      const totals = { host: 0, fee: 0, tax: 0 };
      while (refunded < original.total) {
        const amount = Math.min(original.total - refunded, 1 + rand(original.total));
        const postings = refundPostings({ original, alreadyRefunded: refunded, amount });
        expect(postings.reduce((s, p) => s + p.amount, 0)).toBe(0);
        totals.host += postings[1]!.amount;
        totals.fee += postings[2]!.amount;
        totals.tax += postings[3]!.amount;
        for (const p of postings.slice(1)) expect(p.amount).toBeGreaterThanOrEqual(0);
        refunded += amount;
      }
      expect(totals).toEqual({ host: hostShare, fee: serviceFee, tax: taxes });
    }
    expect(() =>
      refundPostings({
        original: { total: 100, hostShare: 100, serviceFee: 0, taxes: 0, hostId: 'h' },
        alreadyRefunded: 60,
        amount: 41,
      }),
    ).toThrow();
  });

  it('reports what each host earned per month', async () => {
    const soloHost = await createUser(t, 'host');
    const listing = await createListing(t, soloHost, { nightlyPrice: 20_000, cleaningFee: 5_000 });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: guest.auth,
      payload: { propertyId: listing.id, checkIn: '2031-06-01', checkOut: '2031-06-03', guests: 1 },
    });
    const b = res.json();
    await pay(b.id);
    const report = await hostPayoutReport(t.ctx.db, { hostId: soloHost.id });
    const month = new Date().toISOString().slice(0, 7);
    expect(report).toEqual([{ hostId: soloHost.id, month, currency: 'EUR', net: 45_000 }]);
  });
});
