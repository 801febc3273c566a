/**
 * Refunds under injected faults, in process, on the engine TEST_DB names (postgres | pglite | mysql),
 * against the Stripe adapter talking to a local stub (test/support/stripe-stub.ts).
 *
 * The design under test: cancelling (or declining) a paid booking writes a `pending` refund row and the
 * refunded amounts in the booking's transaction, with no provider call in it; after the commit the request
 * tries the refund once (idempotency key `refund:<refund id>`, bounded by PAYMENT_PROVIDER_TIMEOUT_MS);
 * a failure or timeout leaves it pending for the `settle-refunds` job (settlePendingRefunds), which
 * retries with the same key. The ledger refund transaction is posted only once the provider says
 * succeeded; a refund the provider declines gives the amounts back.
 *
 * Each case asserts the answer, how many refunds the stub executed (exactly one where money moves),
 * the refund rows, the refunded amounts on booking and payment, and the ledger (see
 * expectMoneyConsistent in the stub module).
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqlFamily } from '../src/db/dialect.js';
import { settlePendingRefunds } from '../src/flows/refunds.js';
import { ledgerBalance } from '../src/modules/payments/ledger.js';
import type { StripeProvider } from '../src/modules/payments/stripe.provider.js';
import { createListing } from './support/fixtures.js';
import { expectMoneyConsistent, type StripeStub, startStripeStub } from './support/stripe-stub.js';
import { createTestApp, createUser, type TestApp, type TestUser } from './support/test-app.js';

const TIMEOUT_MS = 500;
const stripeEnv = (url: string, timeoutMs = TIMEOUT_MS) => ({
  PAYMENT_PROVIDER: 'stripe',
  STRIPE_SECRET_KEY: 'sk_test_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  STRIPE_API_BASE: url,
  PAYMENT_PROVIDER_TIMEOUT_MS: String(timeoutMs),
});

let stub: StripeStub;
let t: TestApp;
/** Other "processes" on the same database (their own pool), with a longer provider timeout. */
const others: TestApp[] = [];
/**
 * Where the job runs: like a worker process, on the same database with a pool of its own, and the
 * default-sized provider timeout (10 s), so a busy machine does not turn the job's call into a timeout.
 * The requests keep the 500 ms timeout.
 */
let worker: TestApp;
let host: TestUser;
let guest: TestUser;

beforeAll(async () => {
  stub = await startStripeStub();
  t = await createTestApp({ env: stripeEnv(stub.url) });
  worker = await otherProcess(10_000);
  host = await createUser(t, 'host');
  guest = await createUser(t);
});

afterEach(() => {
  stub.clearFaults();
});

afterAll(async () => {
  try {
    if (t) {
      // Whatever happened above: the books balance, and every refund posting belongs to a succeeded refund.
      expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
      const orphans = await t.ctx.db
        .selectFrom('ledger_transactions as x')
        .leftJoin('refunds as r', 'r.id', 'x.reference_id')
        .select(['x.id', 'r.status'])
        .where('x.kind', '=', 'refund')
        .execute();
      expect(orphans.filter((o) => o.status !== 'succeeded')).toEqual([]);
    }
  } finally {
    for (const o of others) await o.close();
    await t?.close();
    await stub?.close();
  }
});

async function otherProcess(timeoutMs: number) {
  const o = await createTestApp({ database: t.database, env: stripeEnv(stub.url, timeoutMs) });
  others.push(o);
  return o;
}

async function waitFor(check: () => boolean | Promise<boolean>, label: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Paid {
  id: string;
  total: number;
  paymentId: string;
  /** The Stripe payment intent (pi_…). */
  intent: string;
}

let month = 0;
/** A booking of a fresh listing (flexible policy, check-in years ahead: a full refund), paid by card. */
async function paidBooking(o: { instantBook?: boolean } = {}): Promise<Paid> {
  const listing = await createListing(t, host, { nightlyPrice: 10_000, cleaningFee: 2_500, ...o });
  const m = String((month++ % 12) + 1).padStart(2, '0');
  const booked = await t.app.inject({
    method: 'POST',
    url: '/api/v1/bookings',
    headers: guest.auth,
    payload: { propertyId: listing.id, checkIn: `2032-${m}-03`, checkOut: `2032-${m}-06`, guests: 1 },
  });
  expect(booked.statusCode, booked.body).toBe(201);
  const b = booked.json() as { id: string; total: number };
  const paid = await t.app.inject({
    method: 'POST',
    url: `/api/v1/bookings/${b.id}/pay`,
    headers: guest.auth,
    payload: { paymentMethod: 'pm_card_visa' },
  });
  expect(paid.statusCode, paid.body).toBe(200);
  expect(paid.json()).toMatchObject({ status: 'succeeded', provider: 'stripe', amount: b.total });
  const payment = await t.ctx.db
    .selectFrom('payments')
    .select(['id', 'provider_ref'])
    .where('booking_id', '=', b.id)
    .executeTakeFirstOrThrow();
  expect(payment.provider_ref).toMatch(/^pi_stub_/);
  const status = (
    await t.ctx.db.selectFrom('bookings').select('status').where('id', '=', b.id).executeTakeFirstOrThrow()
  ).status;
  expect(status).toBe(o.instantBook === false ? 'awaiting_host' : 'confirmed');
  return { id: b.id, total: b.total, paymentId: payment.id, intent: payment.provider_ref! };
}

/** POST /cancel (or /decline) and how long it took. */
async function act(b: Paid, action: 'cancel' | 'decline' = 'cancel', by: TestUser = guest) {
  const started = performance.now();
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/bookings/${b.id}/${action}`,
    headers: by.auth,
    payload: {},
  });
  return { res, ms: performance.now() - started };
}

const refundCallsFor = (b: Paid) =>
  stub.refundCalls().filter((c) => c.form.get('payment_intent') === b.intent);
/** Every request about `b`'s refunds: POST /v1/refunds for its intent, GET /v1/refunds/:id of its refunds. */
const callsAbout = (b: Paid) =>
  stub.calls.filter((c) => {
    if (c.path === '/v1/refunds') return c.form.get('payment_intent') === b.intent;
    const id = /^\/v1\/refunds\/(\w+)$/.exec(c.path)?.[1];
    return id !== undefined && stub.refund(id)?.payment_intent === b.intent;
  });
const executedFor = (b: Paid) => stub.executedRefunds().filter((r) => r.payment_intent === b.intent);

/** Every refund request for `b` used the key `refund:<refund id>` and the design's form fields. */
function expectRefundRequests(b: Paid, refundId: string, amount: number) {
  const calls = refundCallsFor(b);
  expect(calls.length).toBeGreaterThan(0);
  for (const c of calls) {
    expect(c.idempotencyKey).toBe(`refund:${refundId}`);
    expect(c.form.get('amount')).toBe(String(amount));
    expect(c.form.get('metadata[refundId]')).toBe(refundId);
    expect(c.form.get('metadata[paymentId]')).toBe(b.paymentId);
  }
}

/** The only refund of `b`, executed at the stub exactly once with `b`'s refund key. */
function expectExecutedOnce(b: Paid, refundId: string, amount: number) {
  const executed = executedFor(b);
  expect(executed.map((r) => ({ amount: r.amount, key: r.idempotencyKey, status: r.status }))).toEqual([
    { amount, key: `refund:${refundId}`, status: 'succeeded' },
  ]);
  return executed[0]!;
}

describe('a refund whose provider call goes wrong after the commit', () => {
  it('a. provider errors (500s past the SDK retries): the cancel answers 200 with the refund pending; the job refunds once', async () => {
    const b = await paidBooking();
    // 1 call + maxNetworkRetries (2) retries of the SDK, same key: all 500.
    stub.fault('fail', { times: 3, paymentIntent: b.intent });
    const { res } = await act(b);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: b.id, status: 'cancelled_by_guest', refundedAmount: b.total });
    // The SDK may go on retrying after our bounded wait gave up: wait for its three tries, all failed.
    await waitFor(() => refundCallsFor(b).filter((c) => c.status === 500).length === 3, 'three 500s');

    let m = await expectMoneyConsistent(t.ctx.db, b.id);
    expect(m.refunds).toHaveLength(1);
    const [pending] = m.refunds;
    expect(pending).toMatchObject({ status: 'pending', amount: b.total, provider_ref: null });
    expect(pending!.attempts).toBeGreaterThanOrEqual(1);
    expect(pending!.last_error).toBeTruthy();
    expect(m.booking).toMatchObject({ status: 'cancelled_by_guest', refunded_amount: b.total });
    expect(executedFor(b)).toEqual([]);

    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(1);
    m = await expectMoneyConsistent(t.ctx.db, b.id);
    const done = m.refunds[0]!;
    const executed = expectExecutedOnce(b, done.id, b.total);
    expect(done).toMatchObject({ status: 'succeeded', provider_ref: executed.id, amount: b.total });
    expect(m.refundPostings(done.id)).toHaveLength(1);
    expect(m.clearing).toBe(0);
    expectRefundRequests(b, done.id, b.total);

    // Settled: another run finds nothing and asks the provider nothing.
    const calls = callsAbout(b).length;
    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(0);
    expect(callsAbout(b).length).toBe(calls);
  });

  it('a (decline). a host declining a request while the provider errors: 200 declined, refund pending, then settled once', async () => {
    const b = await paidBooking({ instantBook: false });
    stub.fault('fail', { times: 3, paymentIntent: b.intent });
    const { res } = await act(b, 'decline', host);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'declined', refundedAmount: b.total });
    await waitFor(() => refundCallsFor(b).filter((c) => c.status === 500).length === 3, 'three 500s');
    let m = await expectMoneyConsistent(t.ctx.db, b.id);
    expect(m.refunds).toMatchObject([{ status: 'pending', amount: b.total, reason: expect.any(String) }]);

    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(1);
    m = await expectMoneyConsistent(t.ctx.db, b.id);
    expect(m.booking).toMatchObject({ status: 'declined', refunded_amount: b.total });
    expectExecutedOnce(b, m.refunds[0]!.id, b.total);
    expect(m.refunds[0]!.status).toBe('succeeded');
  });

  it('a (age). the job leaves alone a pending refund younger than olderThanMs', async () => {
    const b = await paidBooking();
    stub.fault('fail', { times: 3, paymentIntent: b.intent });
    expect((await act(b, 'cancel', host)).res.json()).toMatchObject({ status: 'cancelled_by_host' });
    await waitFor(() => refundCallsFor(b).filter((c) => c.status === 500).length === 3, 'three 500s');
    const calls = callsAbout(b).length;
    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 60 * 60_000 })).toBe(0);
    expect(callsAbout(b).length).toBe(calls);
    expect((await expectMoneyConsistent(t.ctx.db, b.id)).refunds[0]!.status).toBe('pending');
    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(1);
    const m = await expectMoneyConsistent(t.ctx.db, b.id);
    expectExecutedOnce(b, m.refunds[0]!.id, b.total);
  });

  it('b. refund executed but the answer lost (timeout): 200 within the timeout, pending; the job finds the same refund by key, once', async () => {
    const b = await paidBooking();
    // However often the SDK retries before giving up, none of its requests gets an answer.
    stub.fault('executeThenHang', { times: 3, paymentIntent: b.intent });
    const { res, ms } = await act(b);
    expect(res.statusCode, res.body).toBe(200);
    expect(ms).toBeLessThan(5_000);
    expect(res.json()).toMatchObject({ status: 'cancelled_by_guest', refundedAmount: b.total });
    stub.clearFaults();

    let m = await expectMoneyConsistent(t.ctx.db, b.id);
    const pending = m.refunds[0]!;
    expect(m.refunds).toHaveLength(1);
    expect(pending).toMatchObject({ status: 'pending', amount: b.total, provider_ref: null });
    expect(pending.attempts).toBeGreaterThanOrEqual(1);
    expect(pending.last_error).toBeTruthy();
    expect(m.refundPostings(pending.id)).toEqual([]);
    // The provider did refund (the answer was lost): one refund, with our key.
    expect(executedFor(b).map((r) => r.idempotencyKey)).toEqual([`refund:${pending.id}`]);

    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(1);
    m = await expectMoneyConsistent(t.ctx.db, b.id);
    const executed = expectExecutedOnce(b, pending.id, b.total);
    expect(m.refunds).toMatchObject([{ id: pending.id, status: 'succeeded', provider_ref: executed.id }]);
    expect(m.refundPostings(pending.id)).toHaveLength(1);
    expectRefundRequests(b, pending.id, b.total);
    stub.releaseHung();
  });

  it('c. provider hangs without refunding: 200 within the timeout, pending; the job executes the refund, once', async () => {
    const b = await paidBooking();
    stub.fault('hang', { times: 3, paymentIntent: b.intent });
    const { res, ms } = await act(b, 'cancel', host);
    expect(res.statusCode, res.body).toBe(200);
    expect(ms).toBeLessThan(5_000);
    expect(res.json()).toMatchObject({ status: 'cancelled_by_host', refundedAmount: b.total });
    stub.clearFaults();

    let m = await expectMoneyConsistent(t.ctx.db, b.id);
    const pending = m.refunds[0]!;
    expect(m.refunds).toHaveLength(1);
    expect(pending).toMatchObject({ status: 'pending', amount: b.total, provider_ref: null });
    expect(pending.attempts).toBeGreaterThanOrEqual(1);
    expect(pending.last_error).toBeTruthy();
    expect(executedFor(b)).toEqual([]);
    expect(refundCallsFor(b).length).toBeGreaterThanOrEqual(1);

    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(1);
    m = await expectMoneyConsistent(t.ctx.db, b.id);
    const executed = expectExecutedOnce(b, pending.id, b.total);
    expect(m.refunds).toMatchObject([{ id: pending.id, status: 'succeeded', provider_ref: executed.id }]);
    expect(m.booking).toMatchObject({ status: 'cancelled_by_host', refunded_amount: b.total });
    expectRefundRequests(b, pending.id, b.total);

    // The requests the SDK left hanging are cut now; whatever it retries replays the same refund.
    stub.releaseHung();
    await new Promise((r) => setTimeout(r, 1_500));
    expectExecutedOnce(b, pending.id, b.total);
    await expectMoneyConsistent(t.ctx.db, b.id);
  });

  it('d. provider declines: refund failed with its reason, amounts back to 0, no ledger posting, booking still cancelled; the job leaves it alone', async () => {
    const b = await paidBooking();
    stub.fault('decline', { paymentIntent: b.intent, failureReason: 'charge_for_pending_refund_disputed' });
    const { res } = await act(b);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled_by_guest' });

    const m = await expectMoneyConsistent(t.ctx.db, b.id);
    expect(m.refunds).toHaveLength(1);
    const failed = m.refunds[0]!;
    expect(failed).toMatchObject({
      status: 'failed',
      amount: b.total,
      failure_reason: 'charge_for_pending_refund_disputed',
    });
    expect(failed.provider_ref).toMatch(/^re_stub_/);
    expect(m.booking).toMatchObject({ status: 'cancelled_by_guest', refunded_amount: 0 });
    expect(m.payment.refunded_amount).toBe(0);
    expect(m.refundPostings(failed.id)).toEqual([]);
    expect(m.clearing).toBe(b.total);
    expect(executedFor(b)).toEqual([]);
    expect(stub.allRefunds().filter((r) => r.payment_intent === b.intent)).toMatchObject([
      { status: 'failed', idempotencyKey: `refund:${failed.id}` },
    ]);
    expect(refundCallsFor(b)).toHaveLength(1);

    const calls = callsAbout(b).length;
    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(0);
    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(0);
    expect(callsAbout(b).length).toBe(calls);
    expect(await expectMoneyConsistent(t.ctx.db, b.id)).toMatchObject({
      refunds: [{ id: failed.id, status: 'failed' }],
      booking: { status: 'cancelled_by_guest', refunded_amount: 0 },
    });
  });

  it('e. provider answers pending: pending with provider_ref; once the provider settles, the job (retrieveRefund) settles it and posts once; a later webhook changes nothing', async () => {
    const b = await paidBooking();
    stub.fault('pending', { paymentIntent: b.intent });
    const { res } = await act(b);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled_by_guest', refundedAmount: b.total });

    let m = await expectMoneyConsistent(t.ctx.db, b.id);
    const [stubRefund] = executedFor(b);
    expect(stubRefund).toMatchObject({ status: 'pending', amount: b.total });
    expect(m.refunds).toMatchObject([{ status: 'pending', amount: b.total, provider_ref: stubRefund!.id }]);
    const refundId = m.refunds[0]!.id;
    expect(m.refundPostings(refundId)).toEqual([]);

    // Still pending at the provider: the job asks (GET /v1/refunds/:id) and settles nothing.
    const since = callsAbout(b).length;
    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(0);
    expect(
      callsAbout(b)
        .slice(since)
        .map((c) => `${c.method} ${c.path}`),
    ).toEqual([`GET /v1/refunds/${stubRefund!.id}`]);
    expect((await expectMoneyConsistent(t.ctx.db, b.id)).refunds[0]!.status).toBe('pending');

    stub.settle(stubRefund!.id, 'succeeded');
    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(1);
    m = await expectMoneyConsistent(t.ctx.db, b.id);
    expect(m.refunds).toMatchObject([{ id: refundId, status: 'succeeded', provider_ref: stubRefund!.id }]);
    expect(m.refundPostings(refundId)).toHaveLength(1);
    expectExecutedOnce(b, refundId, b.total);
    // No second refund was asked for: the only POST was the request's own.
    expect(refundCallsFor(b)).toHaveLength(1);

    // Stripe's refund.updated event arrives late: received, changes nothing.
    const stripe = t.ctx.payments['stripe'] as StripeProvider;
    const body = JSON.stringify({
      id: `evt_${refundId}`,
      object: 'event',
      type: 'refund.updated',
      data: { object: { ...stub.refund(stubRefund!.id), idempotencyKey: undefined } },
    });
    const hook = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/payments/webhooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripe.signForTest(body) },
        payload: body,
      });
    const first = await hook();
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ received: true, duplicate: false });
    expect((await hook()).json()).toEqual({ received: true, duplicate: true });
    m = await expectMoneyConsistent(t.ctx.db, b.id);
    expect(m.refunds).toMatchObject([{ id: refundId, status: 'succeeded' }]);
    expect(m.refundPostings(refundId)).toHaveLength(1);
  });

  it('e (webhook). a pending refund the provider then fails, reported by webhook: failed, amounts back, no posting; the job asks nothing more', async () => {
    const b = await paidBooking();
    stub.fault('pending', { paymentIntent: b.intent });
    expect((await act(b)).res.statusCode).toBe(200);
    const [stubRefund] = executedFor(b);
    stub.settle(stubRefund!.id, 'failed', 'expired_or_canceled_card');
    const stripe = t.ctx.payments['stripe'] as StripeProvider;
    const body = JSON.stringify({
      id: `evt_fail_${stubRefund!.id}`,
      object: 'event',
      type: 'refund.failed',
      data: { object: { ...stub.refund(stubRefund!.id), idempotencyKey: undefined } },
    });
    const hook = await t.app.inject({
      method: 'POST',
      url: '/api/v1/payments/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripe.signForTest(body) },
      payload: body,
    });
    expect(hook.json()).toEqual({ received: true, duplicate: false });
    const m = await expectMoneyConsistent(t.ctx.db, b.id);
    expect(m.refunds).toMatchObject([{ status: 'failed', provider_ref: stubRefund!.id, amount: b.total }]);
    expect(m.booking).toMatchObject({ status: 'cancelled_by_guest', refunded_amount: 0 });
    expect(m.payment.refunded_amount).toBe(0);
    expect(m.refundPostings(m.refunds[0]!.id)).toEqual([]);
    const calls = callsAbout(b).length;
    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(0);
    expect(callsAbout(b).length).toBe(calls);
  });
});

describe('concurrent settling', () => {
  it('f. two jobs at once (two processes) with a slow provider: one refund, one ledger transaction', async () => {
    const b = await paidBooking();
    stub.fault('fail', { times: 3, paymentIntent: b.intent });
    expect((await act(b)).res.statusCode).toBe(200);
    await waitFor(() => refundCallsFor(b).filter((c) => c.status === 500).length === 3, 'three 500s');
    const [w1, w2] = [worker, await otherProcess(10_000)];
    // Slow enough that both runs overlap: a second request with the key while the first executes is a
    // 409 idempotency_key_in_use, as at Stripe, which the SDK retries (after ≥ 500 ms) and then gets the
    // same refund back, so both runs hold a `succeeded` answer to record.
    stub.fault('slow', { times: 10, paymentIntent: b.intent, delayMs: 300 });
    const settled = await Promise.all([
      settlePendingRefunds(w1!.ctx, { olderThanMs: 0 }),
      settlePendingRefunds(w2!.ctx, { olderThanMs: 0 }),
    ]);
    // One refund moved to a final state, by one of the runs: the other moved nothing.
    expect(
      settled[0]! + settled[1]!,
      `settlePendingRefunds returned ${JSON.stringify(settled)} for one pending refund (exactly one run moves it)`,
    ).toBe(1);
    const m = await expectMoneyConsistent(t.ctx.db, b.id);
    const executed = expectExecutedOnce(b, m.refunds[0]!.id, b.total);
    expect(m.refunds).toMatchObject([{ status: 'succeeded', provider_ref: executed.id }]);
    expect(m.refundPostings(m.refunds[0]!.id)).toHaveLength(1);
  });

  it("f (request). the job racing the request's own attempt: one refund, one ledger transaction", async () => {
    const b = await paidBooking();
    const w = worker;
    // The request's attempt is slow but within its timeout; the job starts while it is at the provider.
    stub.fault('slow', { times: 10, paymentIntent: b.intent, delayMs: 300 });
    const since = stub.calls.length;
    const cancelling = act(b);
    await stub.waitForCall('/v1/refunds', { method: 'POST', since });
    const [{ res }, settled] = await Promise.all([
      cancelling,
      settlePendingRefunds(w!.ctx, { olderThanMs: 0 }),
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled_by_guest', refundedAmount: b.total });
    expect(settled).toBeLessThanOrEqual(1);
    // If the request's attempt timed out after all, the job settles it now.
    await settlePendingRefunds(w!.ctx, { olderThanMs: 0 });
    const m = await expectMoneyConsistent(t.ctx.db, b.id);
    const executed = expectExecutedOnce(b, m.refunds[0]!.id, b.total);
    expect(m.refunds).toMatchObject([{ status: 'succeeded', provider_ref: executed.id }]);
    expect(m.refundPostings(m.refunds[0]!.id)).toHaveLength(1);
  });
});

describe('the cancel transaction aborted after the point where the provider used to be called', () => {
  const CANCELLED = "('cancelled_by_guest', 'cancelled_by_host', 'declined')";

  /**
   * A trigger on booking_events (written by the status change, after the refund row) that raises
   * `kind` errors: `once` a serialization failure / deadlock the first time only (counted outside the
   * transaction: a sequence on PostgreSQL, a MyISAM table on MariaDB, neither rolled back), `always` a
   * plain error. Returns how often it fired, and a drop.
   */
  async function injectFault(kind: 'once' | 'always') {
    const db = t.ctx.db;
    if (sqlFamily(db) === 'postgres') {
      await sql.raw('create sequence roost_fault_seq').execute(db);
      const raise =
        kind === 'once'
          ? `if nextval('roost_fault_seq') = 1 then
               raise exception 'injected serialization failure' using errcode = '40001';
             end if;`
          : `perform nextval('roost_fault_seq');
             raise exception 'injected failure' using errcode = 'P0001';`;
      await sql
        .raw(`create function roost_fault() returns trigger language plpgsql as $$
          begin
            if new.to_status in ${CANCELLED} then
              ${raise}
            end if;
            return new;
          end $$`)
        .execute(db);
      await sql
        .raw(
          'create trigger roost_fault before insert on booking_events for each row execute function roost_fault()',
        )
        .execute(db);
      return {
        fired: async () =>
          Number(
            (await sql<{ n: string }>`select last_value as n, is_called from roost_fault_seq`.execute(db))
              .rows[0]!.n,
          ),
        drop: async () => {
          await sql.raw('drop trigger if exists roost_fault on booking_events').execute(db);
          await sql.raw('drop function if exists roost_fault()').execute(db);
          await sql.raw('drop sequence if exists roost_fault_seq').execute(db);
        },
      };
    }
    await sql.raw('create table roost_fault_count (n int not null) engine = MyISAM').execute(db);
    await sql.raw('insert into roost_fault_count values (0)').execute(db);
    const raise =
      kind === 'once'
        ? `if (select n from roost_fault_count) = 1 then
             signal sqlstate '40001' set mysql_errno = 1213, message_text = 'injected deadlock';
           end if;`
        : `signal sqlstate '45000' set message_text = 'injected failure';`;
    await sql
      .raw(`create trigger roost_fault before insert on booking_events for each row
        begin
          if new.to_status in ${CANCELLED} then
            update roost_fault_count set n = n + 1;
            ${raise}
          end if;
        end`)
      .execute(db);
    return {
      fired: async () =>
        Number((await sql<{ n: number }>`select n from roost_fault_count`.execute(db)).rows[0]!.n),
      drop: async () => {
        await sql.raw('drop trigger if exists roost_fault').execute(db);
        await sql.raw('drop table if exists roost_fault_count').execute(db);
      },
    };
  }

  it('g. a serialization failure / deadlock the first time: the retried cancel writes one refund row and refunds once', async () => {
    const b = await paidBooking();
    const fault = await injectFault('once');
    let res: Awaited<ReturnType<typeof act>>['res'];
    try {
      ({ res } = await act(b));
      expect(await fault.fired()).toBe(2);
    } finally {
      await fault.drop();
    }
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled_by_guest', refundedAmount: b.total });
    const m = await expectMoneyConsistent(t.ctx.db, b.id);
    expect(m.refunds).toHaveLength(1);
    const executed = expectExecutedOnce(b, m.refunds[0]!.id, b.total);
    expect(m.refunds[0]).toMatchObject({ status: 'succeeded', provider_ref: executed.id });
    expect(refundCallsFor(b)).toHaveLength(1);
    const events = await t.ctx.db
      .selectFrom('booking_events')
      .select('to_status')
      .where('booking_id', '=', b.id)
      .where('to_status', '=', 'cancelled_by_guest')
      .execute();
    expect(events).toHaveLength(1);
  });

  it('g (fatal). an error that is not retryable: 500 problem, no refund row, nothing refunded, booking unchanged', async () => {
    const b = await paidBooking();
    const fault = await injectFault('always');
    let res: Awaited<ReturnType<typeof act>>['res'];
    try {
      ({ res } = await act(b));
      expect(await fault.fired()).toBe(1);
    } finally {
      await fault.drop();
    }
    expect(res.statusCode, res.body).toBe(500);
    expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 500, code: 'internal_error' });
    expect(res.body).not.toMatch(/injected/);
    const m = await expectMoneyConsistent(t.ctx.db, b.id);
    expect(m.refunds).toEqual([]);
    expect(m.booking).toMatchObject({ status: 'confirmed', refunded_amount: 0 });
    expect(m.payment.refunded_amount).toBe(0);
    expect(m.transactions.map((x) => x.kind)).toEqual(['guest_charge']);
    expect(m.clearing).toBe(b.total);
    expect(refundCallsFor(b)).toEqual([]);
    expect(executedFor(b)).toEqual([]);
    // And the job has nothing of this booking's to do.
    expect(await settlePendingRefunds(worker.ctx, { olderThanMs: 0 })).toBe(0);
    expect(refundCallsFor(b)).toEqual([]);
  });
});
