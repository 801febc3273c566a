/** The Stripe adapter against a local HTTP stub of the few Stripe endpoints it calls. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../../test/support/fixtures.js';
import { createTestApp, createUser, expectProblem, type TestApp } from '../../../test/support/test-app.js';
import { StripeProvider } from './stripe.provider.js';

interface Call {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  form: URLSearchParams;
}

const calls: Call[] = [];
const intents = new Map<string, { id: string; status: string; amount: number }>();
let server: Server;
let base: string;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => resolve(data));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const form = new URLSearchParams(await readBody(req));
    const path = (req.url ?? '').split('?')[0]!;
    calls.push({
      method: req.method!,
      path,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      form,
    });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_stub' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && path === '/v1/payment_intents') {
      const id = `pi_stub_${calls.length}`;
      const pm = form.get('payment_method');
      if (pm === 'pm_card_chargeDeclined') {
        return send(402, {
          error: {
            type: 'card_error',
            code: 'card_declined',
            message: 'Your card was declined.',
            payment_intent: { id, object: 'payment_intent', status: 'requires_payment_method' },
          },
        });
      }
      const status = pm === 'pm_card_async' ? 'processing' : 'succeeded';
      const intent = {
        id,
        object: 'payment_intent',
        status,
        amount: Number(form.get('amount')),
        currency: form.get('currency'),
      };
      intents.set(id, intent);
      return send(200, intent);
    }
    const m = /^\/v1\/payment_intents\/([\w]+)$/.exec(path);
    if (req.method === 'GET' && m) {
      const intent = intents.get(m[1]!);
      return intent
        ? send(200, { object: 'payment_intent', ...intent })
        : send(404, { error: { type: 'invalid_request_error', message: 'No such payment_intent' } });
    }
    if (req.method === 'POST' && path === '/v1/refunds') {
      return send(200, {
        id: `re_stub_${calls.length}`,
        object: 'refund',
        status: 'succeeded',
        amount: Number(form.get('amount')),
      });
    }
    return send(404, { error: { type: 'invalid_request_error', message: `unknown ${req.method} ${path}` } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

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
