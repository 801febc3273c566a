/**
 * The `reconcile-payouts` job (src/flows/payout-reconcile.ts): a transfer the provider answered `pending`
 * for and whose webhook never came is asked about after PAYOUT_RECONCILE_MINUTES and settled exactly like
 * the webhook would (the same `settleTransfer`); replaying the job, then the webhook, changes nothing more
 * (payout rows and ledger rows counted). Also the providers' `retrieveTransfer`: the sandbox, and the
 * Stripe adapter against the local stub.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBooking } from '../../../test/support/factories.js';
import { createListing } from '../../../test/support/fixtures.js';
import { type StripeStub, startStripeStub } from '../../../test/support/stripe-stub.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../../../test/support/test-app.js';
import { reconcilePendingPayouts } from '../../flows/payout-reconcile.js';
import { releaseDuePayouts } from '../../flows/payouts.js';
import { createJobRegistry, SCHEDULES } from '../../jobs.js';
import { ledgerBalance } from '../payments/ledger.js';
import { type SandboxProvider, sandboxEvent, signSandboxWebhook } from '../payments/sandbox.provider.js';
import { StripeProvider } from '../payments/stripe.provider.js';

const SECRET = 'payouts-reconcile-test-webhook-secret';
const HOUR = 3_600_000;
const MINUTE = 60_000;
const RECONCILE_MINUTES = 20;

let clock = new Date('2033-01-01T00:00:00.000Z');
let t: TestApp;
let sandbox: SandboxProvider;
let guest: TestUser;

beforeAll(async () => {
  t = await createTestApp({
    now: () => clock,
    env: { SANDBOX_WEBHOOK_SECRET: SECRET, PAYOUT_RECONCILE_MINUTES: String(RECONCILE_MINUTES) },
  });
  sandbox = t.ctx.payments['sandbox'] as SandboxProvider;
  guest = await createUser(t);
});
afterAll(async () => {
  const balance = await ledgerBalance(t.ctx.db);
  expect(Object.values(balance).every((v) => v === 0)).toBe(true);
  await t.close();
});

async function hostWithAccount() {
  const host = await createUser(t, 'host');
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/host/payout-account',
    headers: host.auth,
    payload: { country: 'PT', currency: 'EUR' },
  });
  expect(res.statusCode, res.body).toBe(201);
  const listing = await createListing(t, host, { nightlyPrice: 10_000, cleaningFee: 2_500 });
  return { host, listing };
}

let week = 0;
async function book(listingId: string) {
  const start = Date.parse('2033-02-01T00:00:00Z') + week++ * 7 * 24 * HOUR;
  const d = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const stay = { checkIn: d(start), checkOut: d(start + 2 * 24 * HOUR) };
  const b = await insertBooking(t, { guestId: guest.id, propertyId: listingId, ...stay });
  const row = await t.ctx.db
    .selectFrom('bookings')
    .select(['host_payout', 'check_in_time'])
    .where('id', '=', b.id)
    .executeTakeFirstOrThrow();
  const releaseAt = new Date(Date.parse(`${stay.checkIn}T${row.check_in_time}:00Z`) + 24 * HOUR);
  return { ...b, hostShare: Number(row.host_payout), releaseAt };
}

const payoutOf = (bookingId: string) =>
  t.ctx.db.selectFrom('payouts').selectAll().where('booking_id', '=', bookingId).executeTakeFirstOrThrow();

/** Every ledger transaction about a payout (its postings and reversals), with its entries. */
async function ledgerRows(ledgerRefs: string[]) {
  const transactions = await t.ctx.db
    .selectFrom('ledger_transactions')
    .select(['id', 'kind'])
    .where('reference_type', '=', 'payout')
    .where('reference_id', 'in', ledgerRefs)
    .orderBy('id')
    .execute();
  const entries = transactions.length
    ? await t.ctx.db
        .selectFrom('ledger_entries')
        .select(['transaction_id', 'account', 'amount'])
        .where(
          'transaction_id',
          'in',
          transactions.map((x) => x.id),
        )
        .execute()
    : [];
  return { transactions, entries: entries.length };
}

/** What the ledger says the platform owes a host. */
async function payable(hostId: string) {
  const rows = await t.ctx.db
    .selectFrom('ledger_entries')
    .select('amount')
    .where('account', '=', `host_payable:${hostId}`)
    .execute();
  return rows.reduce((s, r) => s - Number(r.amount), 0);
}

const webhook = (body: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/payments/webhooks/sandbox',
    headers: { 'content-type': 'application/json', 'roost-signature': signSandboxWebhook(SECRET, body) },
    payload: body,
  });

describe('reconcile-payouts', () => {
  it('is a scheduled job of the worker', () => {
    expect(SCHEDULES.map((s) => s.job)).toContain('reconcile-payouts');
    const registry = createJobRegistry(t.ctx, { send: async () => {} }, () => {
      throw new Error('not used');
    });
    expect(Object.keys(registry)).toContain('reconcile-payouts');
  });

  it('settles pending transfers no webhook settled, like the webhook; replays of the job and the webhook change nothing', async () => {
    const { host, listing } = await hostWithAccount();
    const [b1, b2, b3] = [await book(listing.id), await book(listing.id), await book(listing.id)];
    clock = new Date(Math.max(b1.releaseAt.getTime(), b2.releaseAt.getTime(), b3.releaseAt.getTime()));
    sandbox.queueTransferOutcome('pending', 3);
    await releaseDuePayouts(t.ctx);
    const [p1, p2, p3] = [await payoutOf(b1.id), await payoutOf(b2.id), await payoutOf(b3.id)];
    for (const p of [p1, p2, p3]) expect(p).toMatchObject({ status: 'pending', attempts: 1 });
    const refs = [p1.ledger_ref, p2.ledger_ref, p3.ledger_ref];
    const posted = await ledgerRows(refs);
    expect(posted.transactions.map((x) => x.kind)).toEqual(['payout', 'payout', 'payout']);
    expect(await payable(host.id)).toBe(0);

    // At the "bank": the first paid, the second failed, the third still pending — and no webhook at all.
    sandbox.settleTransfer(p1.provider_ref!, 'paid');
    sandbox.settleTransfer(p2.provider_ref!, 'failed', 'account_closed');

    // Not yet PAYOUT_RECONCILE_MINUTES since their answer: left alone (the webhook may still come).
    clock = new Date(clock.getTime() + (RECONCILE_MINUTES - 1) * MINUTE);
    expect(await reconcilePendingPayouts(t.ctx)).toMatchObject({ checked: 0, paid: 0, failed: 0 });
    expect((await payoutOf(b1.id)).status).toBe('pending');

    clock = new Date(clock.getTime() + 2 * MINUTE);
    const report = await reconcilePendingPayouts(t.ctx);
    expect(report).toEqual({ checked: 3, paid: 1, failed: 1, pending: 1, unanswered: 0 });
    expect(await payoutOf(b1.id)).toMatchObject({ status: 'paid', last_error: null });
    expect(new Date((await payoutOf(b1.id)).paid_at!).toISOString()).toBe(clock.toISOString());
    expect(await payoutOf(b2.id)).toMatchObject({ status: 'failed', last_error: 'account_closed' });
    // Failed for good as by a `payout.failed` webhook: a new key for a later release, the ledger reversed once.
    expect((await payoutOf(b2.id)).transfer_key).not.toBe(p2.transfer_key);
    expect(await payoutOf(b3.id)).toMatchObject({ status: 'pending' });
    const settled = await ledgerRows(refs);
    expect(settled.transactions.map((x) => x.kind).sort()).toEqual([
      'adjustment',
      'payout',
      'payout',
      'payout',
    ]);
    expect(await payable(host.id)).toBe(b2.hostShare);

    // Replays of the job (also after the delay again), then the webhooks that finally arrive: nothing more.
    const snapshot = async () => [await payoutOf(b1.id), await payoutOf(b2.id)];
    const before = await snapshot();
    for (let i = 0; i < 3; i++) await reconcilePendingPayouts(t.ctx);
    clock = new Date(clock.getTime() + (RECONCILE_MINUTES + 1) * MINUTE);
    const replay = await reconcilePendingPayouts(t.ctx);
    expect(replay).toEqual({ checked: 1, paid: 0, failed: 0, pending: 1, unanswered: 0 });
    await releaseDuePayouts(t.ctx);
    const late = [
      sandboxEvent(`evt_late_paid_${p1.id}`, 'payout.paid', p1.provider_ref!),
      sandboxEvent(`evt_late_failed_${p2.id}`, 'payout.failed', p2.provider_ref!, 'account_closed'),
    ];
    for (const body of late) {
      const res = await webhook(body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ received: true, duplicate: false });
    }
    expect(await snapshot()).toEqual(before);
    const after = await ledgerRows(refs);
    expect(after).toEqual(settled);
    expect(await payable(host.id)).toBe(b2.hostShare);
    expect(
      sandbox.transferCalls.filter((c) => [b1.id, b2.id, b3.id].includes(c.metadata.bookingId)),
    ).toHaveLength(3);

    // The other order: the webhook first, then the job finds nothing left to do.
    const paid3 = sandboxEvent(`evt_paid_${p3.id}`, 'payout.paid', p3.provider_ref!);
    expect((await webhook(paid3)).json()).toEqual({ received: true, duplicate: false });
    expect((await payoutOf(b3.id)).status).toBe('paid');
    clock = new Date(clock.getTime() + (RECONCILE_MINUTES + 1) * MINUTE);
    expect(await reconcilePendingPayouts(t.ctx)).toMatchObject({ checked: 0 });
    expect(await ledgerRows(refs)).toEqual(settled);
  });

  it('leaves a payout pending when the provider does not answer, and settles it on a later run', async () => {
    const { listing } = await hostWithAccount();
    const b = await book(listing.id);
    clock = b.releaseAt;
    sandbox.queueTransferOutcome('pending', 1);
    await releaseDuePayouts(t.ctx);
    const p = await payoutOf(b.id);
    expect(p.status).toBe('pending');
    sandbox.settleTransfer(p.provider_ref!, 'paid');
    clock = new Date(clock.getTime() + (RECONCILE_MINUTES + 1) * MINUTE);
    const retrieve = sandbox.retrieveTransfer.bind(sandbox);
    sandbox.retrieveTransfer = async () => {
      throw new Error('provider down (test)');
    };
    try {
      expect(await reconcilePendingPayouts(t.ctx)).toMatchObject({ checked: 1, unanswered: 1, paid: 0 });
    } finally {
      sandbox.retrieveTransfer = retrieve;
    }
    expect(await payoutOf(b.id)).toMatchObject({ status: 'pending', attempts: 1 });
    // Touched: asked about again only after the delay.
    expect(await reconcilePendingPayouts(t.ctx)).toMatchObject({ checked: 0 });
    clock = new Date(clock.getTime() + (RECONCILE_MINUTES + 1) * MINUTE);
    expect(await reconcilePendingPayouts(t.ctx)).toMatchObject({ checked: 1, paid: 1 });
    expect((await payoutOf(b.id)).status).toBe('paid');
  });
});

describe('retrieveTransfer', () => {
  it('sandbox: pending until settled, then what was settled; an unknown transfer is unanswered', async () => {
    const { accountRef } = await sandbox.createPayoutAccount({
      hostId: 'h-retrieve',
      email: 'h@example.com',
      currency: 'EUR',
      idempotencyKey: 'payout-account:h-retrieve',
    });
    sandbox.queueTransferOutcome('pending', 1);
    const sent = await sandbox.transfer({
      amount: 1_000,
      currency: 'EUR',
      destination: accountRef,
      idempotencyKey: 'retrieve-1',
      metadata: { payoutId: 'retrieve-1', bookingId: 'b-retrieve' },
    });
    expect(sent.status).toBe('pending');
    expect(await sandbox.retrieveTransfer(sent.providerRef)).toEqual(sent);
    sandbox.settleTransfer(sent.providerRef, 'failed', 'account_closed');
    expect(await sandbox.retrieveTransfer(sent.providerRef)).toEqual({
      providerRef: sent.providerRef,
      status: 'failed',
      failureReason: 'account_closed',
    });
    expect(() => sandbox.settleTransfer(sent.providerRef, 'paid')).toThrow(/no pending transfer/);
    await expect(sandbox.retrieveTransfer('tr_sbx_unknown')).rejects.toThrow(/unknown transfer/);
  });

  describe('Stripe adapter against the stub', () => {
    let stub: StripeStub;
    beforeAll(async () => {
      stub = await startStripeStub();
    });
    afterAll(() => stub.close());

    it('paid once it exists, failed once reversed; an unknown transfer throws (unanswered)', async () => {
      const p = new StripeProvider({
        secretKey: 'sk_test_stub',
        webhookSecret: 'whsec_stub',
        apiBase: stub.url,
      });
      const { accountRef } = await p.createPayoutAccount({
        hostId: 'h1',
        email: 'h1@example.com',
        currency: 'EUR',
        idempotencyKey: 'payout-account:h1',
      });
      stub.onboard(accountRef);
      const sent = await p.transfer({
        amount: 4_200,
        currency: 'EUR',
        destination: accountRef,
        idempotencyKey: 'po-r1',
        metadata: { payoutId: 'po-r1', bookingId: 'b-r1' },
      });
      expect(sent.status).toBe('paid');
      expect(await p.retrieveTransfer(sent.providerRef)).toEqual({
        providerRef: sent.providerRef,
        status: 'paid',
      });
      const get = stub.calls.findLast((c) => c.method === 'GET' && c.path.startsWith('/v1/transfers/'));
      expect(get).toMatchObject({ path: `/v1/transfers/${sent.providerRef}`, status: 200 });
      stub.reverseTransfer(sent.providerRef);
      expect(await p.retrieveTransfer(sent.providerRef)).toEqual({
        providerRef: sent.providerRef,
        status: 'failed',
        failureReason: 'reversed',
      });
      await expect(p.retrieveTransfer('tr_nope')).rejects.toThrow(/No such transfer/);
      expect(stub.transfers().filter((x) => x.idempotencyKey === 'po-r1')).toHaveLength(1);
    });
  });
});
