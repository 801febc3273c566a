/** Payouts through the Stripe adapter (Connect Express accounts, transfers) against the local stub. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBooking } from '../../../test/support/factories.js';
import { createListing } from '../../../test/support/fixtures.js';
import { type StripeStub, startStripeStub } from '../../../test/support/stripe-stub.js';
import { createTestApp, createUser, type TestApp } from '../../../test/support/test-app.js';
import { releaseDuePayouts } from '../../flows/payouts.js';
import { ledgerBalance } from '../payments/ledger.js';
import { StripeProvider } from '../payments/stripe.provider.js';

let stub: StripeStub;
beforeAll(async () => {
  stub = await startStripeStub();
});
afterAll(() => stub.close());

const provider = () =>
  new StripeProvider({
    secretKey: 'sk_test_stub',
    webhookSecret: 'whsec_stub_secret',
    apiBase: stub.url,
    onboardingUrl: 'https://roost.example/host/payouts',
  });

const event = (id: string, type: string, object: Record<string, unknown>) =>
  JSON.stringify({ id, object: 'event', type, data: { object } });

describe('Stripe adapter: payouts', () => {
  it('opens an Express account with an onboarding link, reads its status, and maps it', async () => {
    const p = provider();
    const opened = await p.createPayoutAccount({
      hostId: 'h1',
      email: 'host@example.com',
      country: 'PT',
      currency: 'EUR',
      idempotencyKey: 'payout-account:h1',
    });
    expect(opened).toMatchObject({ status: 'pending' });
    expect(opened.accountRef).toMatch(/^acct_stub_/);
    expect(opened.onboardingUrl).toMatch(/^https:\/\/connect\.stripe\.com\/setup\/e\/acct_stub_/);
    const create = stub.calls.find((c) => c.path === '/v1/accounts' && c.method === 'POST')!;
    expect(create.idempotencyKey).toBe('payout-account:h1');
    expect(create.form.get('type')).toBe('express');
    expect(create.form.get('email')).toBe('host@example.com');
    expect(create.form.get('country')).toBe('PT');
    expect(create.form.get('default_currency')).toBe('eur');
    expect(create.form.get('capabilities[transfers][requested]')).toBe('true');
    expect(create.form.get('metadata[hostId]')).toBe('h1');
    const link = stub.calls.findLast((c) => c.path === '/v1/account_links')!;
    expect(link.form.get('account')).toBe(opened.accountRef);
    expect(link.form.get('type')).toBe('account_onboarding');
    expect(link.form.get('return_url')).toBe('https://roost.example/host/payouts?onboarding=return');
    expect(link.form.get('refresh_url')).toBe('https://roost.example/host/payouts?onboarding=refresh');

    // The same key: the same account.
    const again = await p.createPayoutAccount({
      hostId: 'h1',
      email: 'host@example.com',
      currency: 'EUR',
      idempotencyKey: 'payout-account:h1',
    });
    expect(again.accountRef).toBe(opened.accountRef);

    stub.onboard(opened.accountRef);
    expect(await p.retrievePayoutAccount(opened.accountRef)).toEqual({
      accountRef: opened.accountRef,
      status: 'enabled',
      onboardingUrl: null,
    });
    stub.restrict(opened.accountRef);
    expect((await p.retrievePayoutAccount(opened.accountRef)).status).toBe('restricted');
  });

  it('transfers once per idempotency key (also through the SDK retrying 500s); refusals are answers', async () => {
    const p = provider();
    const { accountRef } = await p.createPayoutAccount({
      hostId: 'h2',
      email: 'h2@example.com',
      currency: 'EUR',
      idempotencyKey: 'payout-account:h2',
    });
    const request = (key: string) => ({
      amount: 44_500,
      currency: 'EUR',
      destination: accountRef,
      idempotencyKey: key,
      metadata: { payoutId: key, bookingId: 'b2' },
    });
    // Not onboarded yet: refused (no transfer).
    expect(await p.transfer(request('po-0'))).toEqual({
      providerRef: '',
      status: 'failed',
      failureReason: 'insufficient_capabilities_for_transfer',
    });
    stub.onboard(accountRef);
    const before = stub.transferCalls().length;
    stub.failTransfers(2);
    const paid = await p.transfer(request('po-1'));
    expect(paid.status).toBe('paid');
    expect(paid.providerRef).toMatch(/^tr_stub_/);
    const tries = stub.transferCalls().slice(before);
    expect(tries.map((c) => c.status)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((c) => c.idempotencyKey))).toEqual(new Set(['po-1']));
    expect(tries[2]!.form.get('amount')).toBe('44500');
    expect(tries[2]!.form.get('currency')).toBe('eur');
    expect(tries[2]!.form.get('destination')).toBe(accountRef);
    expect(tries[2]!.form.get('metadata[payoutId]')).toBe('po-1');
    expect(tries[2]!.form.get('metadata[bookingId]')).toBe('b2');
    expect(await p.transfer(request('po-1'))).toEqual(paid);
    expect(stub.transfers().filter((x) => x.idempotencyKey === 'po-1')).toHaveLength(1);
    // Three 500s exhaust the SDK's retries: the adapter throws (unanswered), nothing executed.
    stub.failTransfers(3);
    await expect(p.transfer(request('po-2'))).rejects.toThrow();
    expect(stub.transfers().filter((x) => x.idempotencyKey === 'po-2')).toHaveLength(0);
  });

  it('maps transfer and account webhooks', () => {
    const p = provider();
    const sign = (body: string) => ({ 'stripe-signature': p.signForTest(body) });
    const created = event('evt_t1', 'transfer.created', { id: 'tr_stub_1', object: 'transfer' });
    expect(p.verifyWebhook(created, sign(created))).toEqual({
      id: 'evt_t1',
      type: 'payout.paid',
      objectRef: 'tr_stub_1',
    });
    const reversed = event('evt_t2', 'transfer.reversed', { id: 'tr_stub_1', object: 'transfer' });
    expect(p.verifyWebhook(reversed, sign(reversed))).toMatchObject({
      type: 'payout.failed',
      objectRef: 'tr_stub_1',
    });
    const account = {
      id: 'acct_stub_9',
      object: 'account',
      details_submitted: true,
      charges_enabled: true,
      payouts_enabled: true,
      capabilities: { transfers: 'active' },
      requirements: { disabled_reason: null, past_due: [] },
    };
    const updated = event('evt_a1', 'account.updated', account);
    expect(p.verifyWebhook(updated, sign(updated))).toEqual({
      id: 'evt_a1',
      type: 'account.updated',
      objectRef: 'acct_stub_9',
      accountStatus: 'enabled',
    });
    const pending = event('evt_a2', 'account.updated', {
      ...account,
      details_submitted: false,
      charges_enabled: false,
      payouts_enabled: false,
    });
    expect(p.verifyWebhook(pending, sign(pending)).accountStatus).toBe('pending');
  });
});

describe('payouts through Stripe end to end', () => {
  let t: TestApp;
  let clock = new Date('2032-01-01T00:00:00Z');
  beforeAll(async () => {
    t = await createTestApp({
      now: () => clock,
      env: {
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: 'sk_test_stub',
        STRIPE_WEBHOOK_SECRET: 'whsec_stub_secret',
        STRIPE_API_BASE: stub.url,
      },
    });
  });
  afterAll(() => t.close());

  it('onboards a host, releases after onboarding, transfers once whatever is replayed', async () => {
    const stripe = t.ctx.payments['stripe'] as StripeProvider;
    const webhook = (body: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/payments/webhooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripe.signForTest(body) },
        payload: body,
      });
    const host = await createUser(t, 'host');
    const guest = await createUser(t);
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/v1/host/payout-account',
      headers: host.auth,
      payload: { country: 'PT', currency: 'EUR' },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    expect(opened.json()).toMatchObject({ provider: 'stripe', status: 'pending', currency: 'EUR' });
    expect(opened.json().onboardingUrl).toMatch(/^https:\/\/connect\.stripe\.com\//);
    const { provider_account_ref: ref } = await t.ctx.db
      .selectFrom('payout_accounts')
      .select('provider_account_ref')
      .where('host_id', '=', host.id)
      .executeTakeFirstOrThrow();

    const listing = await createListing(t, host, { nightlyPrice: 10_000 });
    const b = await insertBooking(t, {
      guestId: guest.id,
      propertyId: listing.id,
      checkIn: '2032-02-01',
      checkOut: '2032-02-03',
    });
    clock = new Date('2032-02-02T15:00:00Z'); // check-in 15:00 + 24 h
    await releaseDuePayouts(t.ctx);
    expect(stub.transferCalls().filter((c) => c.form.get('metadata[bookingId]') === b.id)).toHaveLength(0);

    // Onboarding finished at Stripe; its account.updated webhook enables the account.
    const account = stub.onboard(ref);
    expect((await webhook(event(`evt_acct_${ref}`, 'account.updated', { ...account }))).statusCode).toBe(200);
    const got = await t.app.inject({ method: 'GET', url: '/api/v1/host/payout-account', headers: host.auth });
    expect(got.json()).toMatchObject({ status: 'enabled', onboardingUrl: null });

    await releaseDuePayouts(t.ctx);
    const payout = await t.ctx.db
      .selectFrom('payouts')
      .selectAll()
      .where('booking_id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(payout).toMatchObject({ status: 'paid', provider: 'stripe' });
    const calls = stub.transferCalls().filter((c) => c.form.get('metadata[bookingId]') === b.id);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.idempotencyKey).toBe(payout.id);
    expect(calls[0]!.form.get('destination')).toBe(ref);

    for (let i = 0; i < 3; i++) await releaseDuePayouts(t.ctx);
    const body = event(`evt_tr_${payout.id}`, 'transfer.created', {
      id: payout.provider_ref,
      object: 'transfer',
    });
    expect((await webhook(body)).json()).toEqual({ received: true, duplicate: false });
    expect((await webhook(body)).json()).toEqual({ received: true, duplicate: true });
    expect(stub.transfers().filter((x) => x.metadata['bookingId'] === b.id)).toHaveLength(1);
    expect(stub.transferCalls().filter((c) => c.form.get('metadata[bookingId]') === b.id)).toHaveLength(1);
    expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
  });
});
