/** The Stripe adapter against the local HTTP stub of the Stripe endpoints it calls (test/support/stripe-stub.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../../test/support/fixtures.js';
import { type StripeStub, startStripeStub } from '../../../test/support/stripe-stub.js';
import { createTestApp, createUser, expectProblem, type TestApp } from '../../../test/support/test-app.js';
import { StripeProvider } from './stripe.provider.js';

let stub: StripeStub;
let base: string;
let calls: StripeStub['calls'];

beforeAll(async () => {
  stub = await startStripeStub();
  base = stub.url;
  calls = stub.calls;
});
afterAll(() => stub.close());

const provider = () =>
  new StripeProvider({ secretKey: 'sk_test_stub', webhookSecret: 'whsec_stub_secret', apiBase: base });

describe('Stripe adapter', () => {
  it('creates confirmed intents with the idempotency key forwarded, and maps statuses', async () => {
    const p = provider();
    const ok = await p.charge({
      amount: 12_345,
      currency: 'EUR',
      paymentMethod: 'pm_card_visa',
      idempotencyKey: 'pay-1',
      metadata: { paymentId: 'p1', bookingId: 'b1' },
    });
    expect(ok.status).toBe('succeeded');
    const call = calls.at(-1)!;
    expect(call).toMatchObject({ method: 'POST', path: '/v1/payment_intents', idempotencyKey: 'pay-1' });
    expect(call.form.get('amount')).toBe('12345');
    expect(call.form.get('currency')).toBe('eur');
    expect(call.form.get('confirm')).toBe('true');
    expect(call.form.get('metadata[bookingId]')).toBe('b1');

    expect(
      (
        await p.charge({
          amount: 100,
          currency: 'EUR',
          paymentMethod: 'pm_card_async',
          idempotencyKey: 'pay-2',
          metadata: { paymentId: 'p2', bookingId: 'b2' },
        })
      ).status,
    ).toBe('processing');
    const declined = await p.charge({
      amount: 100,
      currency: 'EUR',
      paymentMethod: 'pm_card_chargeDeclined',
      idempotencyKey: 'pay-3',
      metadata: { paymentId: 'p3', bookingId: 'b3' },
    });
    expect(declined).toMatchObject({ status: 'failed', failureReason: 'card_declined' });
    expect((await p.retrieve(ok.providerRef)).status).toBe('succeeded');

    const refund = await p.refund({
      providerRef: ok.providerRef,
      amount: 5_000,
      currency: 'EUR',
      idempotencyKey: 'refund-1',
      metadata: { refundId: 'r1', paymentId: 'p1' },
    });
    expect(refund.status).toBe('succeeded');
    expect(calls.at(-1)).toMatchObject({ path: '/v1/refunds', idempotencyKey: 'refund-1' });
    expect(calls.at(-1)!.form.get('payment_intent')).toBe(ok.providerRef);
  });

  it('refunds once per idempotency key (also through the SDK retrying 500s), and reads refunds back', async () => {
    const p = provider();
    const paid = await p.charge({
      amount: 9_000,
      currency: 'EUR',
      paymentMethod: 'pm_card_visa',
      idempotencyKey: 'pay-refunds',
      metadata: { paymentId: 'p9', bookingId: 'b9' },
    });
    const request = (key: string, amount: number) => ({
      providerRef: paid.providerRef,
      amount,
      currency: 'EUR',
      idempotencyKey: key,
      metadata: { refundId: key, paymentId: 'p9' },
    });
    const executedBefore = stub.executedRefunds().length;

    // Two 500s: the SDK retries them itself with the same key; the third request executes.
    stub.fault('fail', { times: 2, paymentIntent: paid.providerRef });
    const before = stub.refundCalls().length;
    const first = await p.refund(request('refund:k1', 4_000));
    expect(first.status).toBe('succeeded');
    const tries = stub.refundCalls().slice(before);
    expect(tries.map((c) => c.status)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((c) => c.idempotencyKey))).toEqual(new Set(['refund:k1']));
    expect(tries[0]!.form.get('metadata[refundId]')).toBe('refund:k1');
    expect(tries[0]!.form.get('metadata[paymentId]')).toBe('p9');

    // The same key again: the same refund, not a second one.
    expect(await p.refund(request('refund:k1', 4_000))).toEqual(first);
    expect(stub.executedRefunds().length).toBe(executedBefore + 1);
    expect(stub.refund(first.providerRef)).toMatchObject({
      amount: 4_000,
      payment_intent: paid.providerRef,
      idempotencyKey: 'refund:k1',
      metadata: { refundId: 'refund:k1', paymentId: 'p9' },
    });

    // Three 500s exhaust the SDK's retries: the adapter throws, nothing was refunded.
    stub.fault('fail', { times: 3, paymentIntent: paid.providerRef });
    await expect(p.refund(request('refund:k2', 1_000))).rejects.toThrow();
    expect(stub.executedRefunds().length).toBe(executedBefore + 1);

    // A pending refund, settled later; retrieveRefund reads its state.
    stub.fault('pending', { paymentIntent: paid.providerRef });
    const pending = await p.refund(request('refund:k3', 2_000));
    expect(pending.status).toBe('pending');
    expect((await p.retrieveRefund(pending.providerRef)).status).toBe('pending');
    stub.settle(pending.providerRef, 'succeeded');
    expect(await p.retrieveRefund(pending.providerRef)).toMatchObject({
      providerRef: pending.providerRef,
      status: 'succeeded',
    });
    expect(calls.at(-1)).toMatchObject({ method: 'GET', path: `/v1/refunds/${pending.providerRef}` });

    // A declined refund is an answer with its reason, not an error.
    stub.fault('decline', { paymentIntent: paid.providerRef });
    expect(await p.refund(request('refund:k4', 1_000))).toMatchObject({
      status: 'failed',
      failureReason: 'charge_for_pending_refund_disputed',
    });
    // More than is left of the charge is refused by the provider.
    await expect(p.refund(request('refund:k5', 5_000))).rejects.toThrow(/greater than unrefunded/);
    expect(stub.executedRefunds().length).toBe(executedBefore + 2);
  });

  it('verifies Stripe webhook signatures and maps events', () => {
    const p = provider();
    const body = JSON.stringify({
      id: 'evt_1',
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: { id: 'pi_stub_9', object: 'payment_intent' } },
    });
    expect(p.verifyWebhook(body, { 'stripe-signature': p.signForTest(body) })).toEqual({
      id: 'evt_1',
      type: 'payment.succeeded',
      objectRef: 'pi_stub_9',
    });
    expect(() => p.verifyWebhook(body, { 'stripe-signature': 't=1,v1=deadbeef' })).toThrow();
    expect(() =>
      p.verifyWebhook(body.replace('pi_stub_9', 'pi_stub_8'), { 'stripe-signature': p.signForTest(body) }),
    ).toThrow();
    expect(() => p.verifyWebhook(body, {})).toThrow(/Missing/);
  });
});

describe('paying through Stripe end to end', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: 'sk_test_stub',
        STRIPE_WEBHOOK_SECRET: 'whsec_stub_secret',
        STRIPE_API_BASE: base,
      },
    });
  });
  afterAll(() => t.close());

  it('books, pays, refunds on host cancellation, and settles async intents by webhook', async () => {
    const host = await createUser(t, 'host');
    const guest = await createUser(t);
    const listing = await createListing(t, host, { nightlyPrice: 10_000 });
    const book = async (checkIn: string, checkOut: string) =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/bookings',
          headers: guest.auth,
          payload: { propertyId: listing.id, checkIn, checkOut, guests: 1 },
        })
      ).json();

    const b = await book('2031-03-01', '2031-03-03');
    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${b.id}/pay`,
      headers: guest.auth,
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(paid.json(), paid.body).toMatchObject({
      status: 'succeeded',
      provider: 'stripe',
      amount: b.total,
    });
    expect(calls.at(-1)!.idempotencyKey).toBe(paid.json().id);
    const cancelled = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${b.id}/cancel`,
      headers: host.auth,
    });
    expect(cancelled.json()).toMatchObject({ status: 'cancelled_by_host', refundedAmount: b.total });
    expect(calls.at(-1)).toMatchObject({ path: '/v1/refunds' });

    const declined = await book('2031-04-01', '2031-04-03');
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/bookings/${declined.id}/pay`,
        headers: guest.auth,
        payload: { paymentMethod: 'pm_card_chargeDeclined' },
      }),
      402,
      'payment_failed',
    );

    const pending = await book('2031-05-01', '2031-05-03');
    const processing = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${pending.id}/pay`,
      headers: guest.auth,
      payload: { paymentMethod: 'pm_card_async' },
    });
    expect(processing.statusCode).toBe(202);
    const ref = (
      await t.ctx.db
        .selectFrom('payments')
        .select('provider_ref')
        .where('booking_id', '=', pending.id)
        .executeTakeFirstOrThrow()
    ).provider_ref!;
    const body = JSON.stringify({
      id: `evt_${pending.id}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: { id: ref, object: 'payment_intent' } },
    });
    const stripe = t.ctx.payments['stripe'] as StripeProvider;
    const hook = await t.app.inject({
      method: 'POST',
      url: '/api/v1/payments/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripe.signForTest(body) },
      payload: body,
    });
    expect(hook.json()).toEqual({ received: true, duplicate: false });
    const status = await t.ctx.db
      .selectFrom('bookings')
      .select('status')
      .where('id', '=', pending.id)
      .executeTakeFirstOrThrow();
    expect(status.status).toBe('confirmed');
  });
});
