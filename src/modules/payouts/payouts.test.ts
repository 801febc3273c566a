/**
 * Host payouts (src/flows/payouts.ts): release at check-in + PAYOUT_DELAY_HOURS (clock injected), once per
 * booking whatever replays the job or the webhooks, concurrent runs, refunds after a payout netted off,
 * failed transfers retried then reversed in the ledger, the ledger invariants, the host's and the admin's
 * endpoints.
 */
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
import { attemptTransfer, releaseDuePayouts, releaseStay } from '../../flows/payouts.js';
import { ledgerBalance } from '../payments/ledger.js';
import { type SandboxProvider, sandboxEvent, signSandboxWebhook } from '../payments/sandbox.provider.js';
import { csvField } from './payouts.service.js';

const SECRET = 'payouts-test-sandbox-webhook-secret';
const MAX_ATTEMPTS = 3;
const HOUR = 3_600_000;

let clock = new Date('2031-01-01T00:00:00.000Z');
let t: TestApp;
let sandbox: SandboxProvider;
let admin: TestUser;
let guest: TestUser;

beforeAll(async () => {
  t = await createTestApp({
    now: () => clock,
    env: {
      SERVICE_FEE_BPS: '1200',
      // Hosts pay a service fee too: their share is the accommodation less 3 %.
      HOST_SERVICE_FEE_BPS: '300',
      TAX_BPS: '700',
      SANDBOX_WEBHOOK_SECRET: SECRET,
      PAYOUT_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    },
  });
  sandbox = t.ctx.payments['sandbox'] as SandboxProvider;
  admin = await createUser(t, 'admin');
  guest = await createUser(t);
});
afterAll(async () => {
  expect(await ledgerBalance(t.ctx.db)).toSatisfy((b: Record<string, number>) =>
    Object.values(b).every((v) => v === 0),
  );
  await t.close();
});

// ---------------------------------------------------------------------------------------------- helpers

const inject = (method: 'GET' | 'POST', url: string, user: TestUser | null, payload?: unknown) =>
  t.app.inject({
    method,
    url,
    headers: user ? user.auth : {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

async function hostWithAccount(o: { title?: string } = {}) {
  const host = await createUser(t, 'host');
  const res = await inject('POST', '/api/v1/host/payout-account', host, { country: 'PT', currency: 'EUR' });
  expect(res.statusCode, res.body).toBe(201);
  expect(res.json()).toMatchObject({
    hostId: host.id,
    provider: 'sandbox',
    status: 'enabled',
    onboardingUrl: null,
  });
  const listing = await createListing(t, host, { nightlyPrice: 10_000, cleaningFee: 2_500, title: o.title });
  return { host, listing };
}

let dayNo = 0;
/** A fresh two-night stay (free nights: each a new week in 2031). */
function nextStay(nights = 2) {
  const start = Date.parse('2031-02-01T00:00:00Z') + dayNo * 7 * 24 * HOUR;
  dayNo++;
  const d = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { checkIn: d(start), checkOut: d(start + nights * 24 * HOUR) };
}

async function book(listingId: string, status: 'confirmed' | 'completed' = 'confirmed') {
  const stay = nextStay();
  const b = await insertBooking(t, { guestId: guest.id, propertyId: listingId, ...stay, status });
  const row = await t.ctx.db
    .selectFrom('bookings')
    .select(['host_payout', 'check_in', 'check_in_time'])
    .where('id', '=', b.id)
    .executeTakeFirstOrThrow();
  // Check-in day at 15:00 UTC, + 24 h (the default delay).
  const releaseAt = new Date(Date.parse(`${stay.checkIn}T${row.check_in_time}:00Z`) + 24 * HOUR);
  return { ...b, ...stay, hostShare: Number(row.host_payout), releaseAt };
}

const payoutOf = (bookingId: string) =>
  t.ctx.db.selectFrom('payouts').selectAll().where('booking_id', '=', bookingId).executeTakeFirst();

const payoutsOf = (bookingId: string) =>
  t.ctx.db.selectFrom('payouts').selectAll().where('booking_id', '=', bookingId).execute();

/** What the ledger says the platform owes a host (minus the sum of its host_payable entries). */
async function payable(hostId: string) {
  const rows = await t.ctx.db
    .selectFrom('ledger_entries')
    .select('amount')
    .where('account', '=', `host_payable:${hostId}`)
    .execute();
  return rows.reduce((s, r) => s - Number(r.amount), 0);
}

/** The host's earnings: shares of charges minus host parts of refunds (ledger guest_charge + refund). */
async function earnings(hostId: string) {
  const rows = await t.ctx.db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as x', 'x.id', 'e.transaction_id')
    .select('e.amount')
    .where('e.account', '=', `host_payable:${hostId}`)
    .where('x.kind', 'in', ['guest_charge', 'refund'])
    .execute();
  return rows.reduce((s, r) => s - Number(r.amount), 0);
}

/** Σ amounts of payouts whose ledger posting stands (scheduled, pending, paid). */
async function paidOut(hostId: string) {
  const rows = await t.ctx.db
    .selectFrom('payouts')
    .select('amount')
    .where('host_id', '=', hostId)
    .where('status', 'in', ['scheduled', 'pending', 'paid'])
    .execute();
  return rows.reduce((s, r) => s + Number(r.amount), 0);
}

/** Money the sandbox moved for a booking (transfers executed, once per key). */
const transfersFor = (bookingId: string) =>
  sandbox.executedTransfers().filter((x) => x.metadata.bookingId === bookingId);

const webhook = (body: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/payments/webhooks/sandbox',
    headers: { 'content-type': 'application/json', 'roost-signature': signSandboxWebhook(SECRET, body) },
    payload: body,
  });

async function adminRefund(bookingId: string, amount: number) {
  const res = await inject('POST', `/api/v1/admin/bookings/${bookingId}/refunds`, admin, {
    amount,
    reason: 'test refund',
  });
  expect(res.statusCode, res.body).toBe(201);
  expect(res.json().refund.status).toBe('succeeded');
}

async function expectHostInvariant(hostId: string) {
  expect((await paidOut(hostId)) + (await payable(hostId))).toBe(await earnings(hostId));
}

// ------------------------------------------------------------------------------------------------ tests

describe('releasing payouts', () => {
  it('releases exactly at check-in + PAYOUT_DELAY_HOURS, not a millisecond before, and pays once', async () => {
    const { host, listing } = await hostWithAccount();
    const b = await book(listing.id);
    clock = new Date(b.releaseAt.getTime() - 1);
    await releaseDuePayouts(t.ctx);
    expect(await payoutOf(b.id)).toBeUndefined();
    expect(transfersFor(b.id)).toHaveLength(0);

    clock = b.releaseAt;
    const report = await releaseDuePayouts(t.ctx);
    expect(report.released).toBeGreaterThanOrEqual(1);
    const payout = (await payoutOf(b.id))!;
    expect(payout).toMatchObject({ status: 'paid', host_id: host.id, currency: 'EUR', attempts: 1 });
    expect(Number(payout.amount)).toBe(b.hostShare);
    expect(new Date(payout.release_at).toISOString()).toBe(b.releaseAt.toISOString());
    expect(transfersFor(b.id)).toMatchObject([{ amount: b.hostShare, idempotencyKey: payout.id }]);
    expect(await payable(host.id)).toBe(0);
    await expectHostInvariant(host.id);

    // Replays of the job: nothing new at the provider, nothing new in the ledger.
    const calls = sandbox.transferCalls.length;
    for (let i = 0; i < 3; i++) await releaseDuePayouts(t.ctx);
    clock = new Date(b.releaseAt.getTime() + 48 * HOUR);
    await releaseDuePayouts(t.ctx);
    expect(sandbox.transferCalls.length).toBe(calls);
    expect(transfersFor(b.id)).toHaveLength(1);
    expect(await payoutsOf(b.id)).toHaveLength(1);
    const postings = await t.ctx.db
      .selectFrom('ledger_transactions')
      .select('kind')
      .where('reference_id', '=', payout.id)
      .execute();
    expect(postings).toEqual([{ kind: 'payout' }]);

    // Webhooks about it, replayed or new, change nothing.
    const paidAt = new Date(payout.paid_at!).toISOString();
    const body = sandboxEvent(`evt_paid_${payout.id}`, 'payout.paid', payout.provider_ref!);
    expect((await webhook(body)).json()).toEqual({ received: true, duplicate: false });
    expect((await webhook(body)).json()).toEqual({ received: true, duplicate: true });
    expect(
      (await webhook(sandboxEvent(`evt_paid2_${payout.id}`, 'payout.paid', payout.provider_ref!))).statusCode,
    ).toBe(200);
    const after = (await payoutOf(b.id))!;
    expect(after.status).toBe('paid');
    expect(new Date(after.paid_at!).toISOString()).toBe(paidAt);
    expect(transfersFor(b.id)).toHaveLength(1);
  });

  it('two concurrent runs release one payout per booking and transfer each once', async () => {
    const hosts = await Promise.all([hostWithAccount(), hostWithAccount(), hostWithAccount()]);
    const stays = [];
    for (const h of hosts) for (let i = 0; i < 3; i++) stays.push(await book(h.listing.id));
    clock = new Date(Math.max(...stays.map((s) => s.releaseAt.getTime())) + HOUR);
    const reports = await Promise.all([
      releaseDuePayouts(t.ctx),
      releaseDuePayouts(t.ctx),
      releaseDuePayouts(t.ctx),
    ]);
    // A run passes over a host another run is busy with: those stays are the next run's.
    const released = reports.reduce((s, r) => s + r.released, 0);
    expect(released).toBeGreaterThan(0);
    expect(released).toBeLessThanOrEqual(stays.length);
    const next = await releaseDuePayouts(t.ctx);
    expect(released + next.released).toBe(stays.length);
    // Concurrent releases of the same stay, side by side: one payout.
    const extra = await book(hosts[0]!.listing.id);
    clock = new Date(extra.releaseAt.getTime() + HOUR);
    const same = await Promise.all(
      [0, 1, 2, 3].map(() => releaseStay(t.ctx, { id: extra.id, host_id: hosts[0]!.host.id })),
    );
    expect(same.filter((p) => p !== null)).toHaveLength(1);
    await attemptTransfer(t.ctx, same.find((p) => p !== null)!.id);
    stays.push(extra);
    for (const s of stays) {
      const rows = await payoutsOf(s.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toBe('paid');
      expect(Number(rows[0]!.amount)).toBe(s.hostShare);
      expect(transfersFor(s.id)).toHaveLength(1);
    }
    for (const h of hosts) {
      expect(await payable(h.host.id)).toBe(0);
      await expectHostInvariant(h.host.id);
    }
  });

  it('waits for an enabled account, and for a pending refund to settle', async () => {
    const { host, listing } = await hostWithAccount();
    const account = await t.ctx.db
      .selectFrom('payout_accounts')
      .select('provider_account_ref')
      .where('host_id', '=', host.id)
      .executeTakeFirstOrThrow();
    // The provider restricts the account (account.updated): nothing is released to it.
    const restricted = sandboxEvent(
      `evt_acct_${host.id}`,
      'account.updated',
      account.provider_account_ref,
      undefined,
      'restricted',
    );
    expect((await webhook(restricted)).statusCode).toBe(200);
    expect((await inject('GET', '/api/v1/host/payout-account', host)).json().status).toBe('restricted');
    const b = await book(listing.id);
    clock = b.releaseAt;
    await releaseDuePayouts(t.ctx);
    expect(await payoutOf(b.id)).toBeUndefined();
    // Enabled again (refreshed from the provider on POST): released on the next run.
    sandbox.setPayoutAccountStatus(account.provider_account_ref, 'enabled');
    const refreshed = await inject('POST', '/api/v1/host/payout-account', host, {});
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().status).toBe('enabled');
    // A refund still pending holds the payout back until it is settled.
    await t.ctx.db
      .insertInto('refunds')
      .values({
        id: '00000000-0000-7000-8000-000000000001',
        payment_id: b.paymentId!,
        booking_id: b.id,
        amount: 1,
        currency: 'EUR',
        status: 'pending',
        provider_ref: null,
        reason: 'test',
        last_error: null,
        failure_reason: null,
      })
      .execute();
    await releaseDuePayouts(t.ctx);
    expect(await payoutOf(b.id)).toBeUndefined();
    await t.ctx.db
      .updateTable('refunds')
      .set({ status: 'failed' })
      .where('id', '=', '00000000-0000-7000-8000-000000000001')
      .execute();
    await releaseDuePayouts(t.ctx);
    expect((await payoutOf(b.id))?.status).toBe('paid');
    await expectHostInvariant(host.id);
  });
});

describe('refunds after a payout', () => {
  it('leave a host debt that the next payouts net off (netted to 0 when the debt is larger)', async () => {
    const { host, listing } = await hostWithAccount();
    const a = await book(listing.id);
    clock = a.releaseAt;
    await releaseDuePayouts(t.ctx);
    expect((await payoutOf(a.id))?.status).toBe('paid');
    expect(await payable(host.id)).toBe(0);

    // A refund after the payout: the host's part comes out of host_payable, which goes negative.
    await adminRefund(a.id, 20_000);
    const debt = await payable(host.id);
    expect(debt).toBeLessThan(0);
    await expectHostInvariant(host.id);

    // The next stay's payout nets the debt off: share − debt.
    const b = await book(listing.id);
    clock = b.releaseAt;
    await releaseDuePayouts(t.ctx);
    const pb = (await payoutOf(b.id))!;
    expect(pb.status).toBe('paid');
    expect(Number(pb.amount)).toBe(b.hostShare + debt);
    expect(transfersFor(b.id)).toMatchObject([{ amount: b.hostShare + debt }]);
    expect(await payable(host.id)).toBe(0);
    await expectHostInvariant(host.id);

    // A debt larger than the next stay's share: that payout is netted (0, no transfer), the rest stays owed.
    await adminRefund(b.id, b.total);
    await adminRefund(a.id, a.total - 20_000);
    const bigDebt = await payable(host.id);
    const c = await book(listing.id);
    expect(-bigDebt).toBeGreaterThan(c.hostShare);
    clock = c.releaseAt;
    const report = await releaseDuePayouts(t.ctx);
    expect(report.netted).toBeGreaterThanOrEqual(1);
    expect(await payoutOf(c.id)).toMatchObject({ status: 'netted', amount: 0, provider_ref: null });
    expect(transfersFor(c.id)).toHaveLength(0);
    expect(await payable(host.id)).toBe(bigDebt + c.hostShare);
    await expectHostInvariant(host.id);
  });
});

describe('failed transfers', () => {
  it('are retried up to PAYOUT_MAX_ATTEMPTS, then failed with the ledger reversed; an admin retry is audited', async () => {
    const { host, listing } = await hostWithAccount();
    const b = await book(listing.id);
    clock = b.releaseAt;
    sandbox.queueTransferOutcome('failed', MAX_ATTEMPTS);
    await releaseDuePayouts(t.ctx);
    let p = (await payoutOf(b.id))!;
    expect(p).toMatchObject({ status: 'scheduled', attempts: 1, last_error: 'account_closed' });
    // Posted while it is under way: the host is owed nothing more for it meanwhile.
    expect(await payable(host.id)).toBe(0);
    await releaseDuePayouts(t.ctx);
    expect((await payoutOf(b.id))!).toMatchObject({ status: 'scheduled', attempts: 2 });
    await releaseDuePayouts(t.ctx);
    p = (await payoutOf(b.id))!;
    expect(p).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, last_error: 'account_closed' });
    // Each refused attempt was a new transfer (a new key); none moved money.
    const calls = sandbox.transferCalls.filter((c) => c.metadata.bookingId === b.id);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(MAX_ATTEMPTS);
    expect(transfersFor(b.id)).toHaveLength(0);
    // The ledger says the truth: the payout reversed, the share owed to the host again.
    const kinds = await t.ctx.db
      .selectFrom('ledger_transactions')
      .select('kind')
      .where('reference_type', '=', 'payout')
      .where('reference_id', '=', p.ledger_ref)
      .orderBy('kind')
      .execute();
    expect(kinds.map((k) => k.kind)).toEqual(['adjustment', 'payout']);
    expect(await payable(host.id)).toBe(b.hostShare);
    expect(await paidOut(host.id)).toBe(0);
    await expectHostInvariant(host.id);
    // The job leaves it alone now.
    await releaseDuePayouts(t.ctx);
    expect((await payoutOf(b.id))!.status).toBe('failed');

    // The admin's list of failed payouts shows it; the retry pays it, audited once with the request id.
    const list = await inject('GET', `/api/v1/admin/payouts?status=failed&hostId=${host.id}`, admin);
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toMatchObject([{ id: p.id, status: 'failed', attempts: MAX_ATTEMPTS }]);
    expectProblem(await inject('GET', '/api/v1/admin/payouts?status=failed', host), 403);
    expectProblem(await inject('POST', `/api/v1/admin/payouts/${p.id}/retry`, host, {}), 403);

    const requestId = `retry-${p.id}`;
    const retried = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/payouts/${p.id}/retry`,
      headers: { ...admin.auth, 'x-request-id': requestId },
      payload: { reason: 'Host fixed their bank details' },
    });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ id: p.id, status: 'paid', amount: b.hostShare, attempts: 1 });
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('request_id', '=', requestId)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'payout.retry',
      object_type: 'payout',
      object_id: p.id,
      actor_id: admin.id,
      reason: 'Host fixed their bank details',
    });
    expect(transfersFor(b.id)).toHaveLength(1);
    expect(await payable(host.id)).toBe(0);
    await expectHostInvariant(host.id);
    expectProblem(
      await inject('POST', `/api/v1/admin/payouts/${p.id}/retry`, admin, {}),
      409,
      'payout_not_failed',
    );
    expectProblem(
      await inject('POST', '/api/v1/admin/payouts/00000000-0000-7000-8000-00000000dead/retry', admin, {}),
      404,
    );
  });

  it('keep the same key while the provider does not answer (a transfer that went through is found again)', async () => {
    const { host, listing } = await hostWithAccount();
    const b = await book(listing.id);
    clock = b.releaseAt;
    sandbox.queueTransferOutcome('error', 1);
    await releaseDuePayouts(t.ctx);
    const p = (await payoutOf(b.id))!;
    expect(p).toMatchObject({ status: 'scheduled', attempts: 1, last_error: 'provider_unavailable' });
    expect(p.transfer_key).toBe(p.id);
    await releaseDuePayouts(t.ctx);
    expect((await payoutOf(b.id))!).toMatchObject({ status: 'paid', attempts: 2 });
    const keys = sandbox.transferCalls
      .filter((c) => c.metadata.bookingId === b.id)
      .map((c) => c.idempotencyKey);
    expect(keys).toEqual([p.id, p.id]);
    expect(transfersFor(b.id)).toHaveLength(1);
    // Attempting it again directly changes nothing.
    expect((await attemptTransfer(t.ctx, p.id)).status).toBe('paid');
    expect(transfersFor(b.id)).toHaveLength(1);
    await expectHostInvariant(host.id);
  });

  it('settles a pending transfer by webhook, once; a payout.failed webhook reverses it once', async () => {
    const { host, listing } = await hostWithAccount();
    const [b1, b2] = [await book(listing.id), await book(listing.id)];
    clock = new Date(Math.max(b1.releaseAt.getTime(), b2.releaseAt.getTime()));
    sandbox.queueTransferOutcome('pending', 2);
    await releaseDuePayouts(t.ctx);
    const [p1, p2] = [(await payoutOf(b1.id))!, (await payoutOf(b2.id))!];
    expect(p1).toMatchObject({ status: 'pending' });
    expect(p2).toMatchObject({ status: 'pending' });
    expect(await payable(host.id)).toBe(0);

    const paid = sandboxEvent(`evt_p_${p1.id}`, 'payout.paid', p1.provider_ref!);
    expect((await webhook(paid)).json().duplicate).toBe(false);
    expect((await webhook(paid)).json().duplicate).toBe(true);
    expect((await payoutOf(b1.id))!.status).toBe('paid');

    const failed = sandboxEvent(`evt_f_${p2.id}`, 'payout.failed', p2.provider_ref!, 'account_closed');
    expect((await webhook(failed)).json().duplicate).toBe(false);
    expect((await webhook(failed)).json().duplicate).toBe(true);
    expect(
      (
        await webhook(sandboxEvent(`evt_f2_${p2.id}`, 'payout.failed', p2.provider_ref!, 'account_closed'))
      ).json().duplicate,
    ).toBe(false);
    expect((await payoutOf(b2.id))!).toMatchObject({ status: 'failed', last_error: 'account_closed' });
    const reversals = await t.ctx.db
      .selectFrom('ledger_transactions')
      .select('id')
      .where('reference_id', '=', p2.ledger_ref)
      .where('kind', '=', 'adjustment')
      .execute();
    expect(reversals).toHaveLength(1);
    expect(await payable(host.id)).toBe(b2.hostShare);
    await expectHostInvariant(host.id);
  });
});

describe('the books after a season', () => {
  it('balance; for every host paid out + payable = earnings; no booking paid out twice', async () => {
    const hosts = [await hostWithAccount(), await hostWithAccount(), await hostWithAccount()];
    const stays: Awaited<ReturnType<typeof book>>[] = [];
    for (const h of hosts)
      for (let i = 0; i < 4; i++) stays.push(await book(h.listing.id, i % 2 ? 'completed' : 'confirmed'));
    // A guest cancellation before check-in (refund by policy), partial refunds before and after payouts.
    clock = new Date(Date.parse(`${stays[1]!.checkIn}T00:00:00Z`) - 10 * 24 * HOUR);
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${stays[0]!.id}/cancel`,
      headers: guest.auth,
      payload: {},
    });
    // (Completed stays cannot be cancelled; the factory's first stay is confirmed.)
    expect(cancel.statusCode, cancel.body).toBe(200);
    await adminRefund(stays[2]!.id, 3_000);
    // Booking changes (src/flows/change-booking.ts) before check-in: one night shorter (the difference
    // refunded) and one night longer (the new total paid, the old payment refunded); both instant book.
    const shorter = await inject('POST', `/api/v1/bookings/${stays[4]!.id}/changes`, guest, {
      checkOut: new Date(Date.parse(`${stays[4]!.checkIn}T00:00:00Z`) + 24 * HOUR).toISOString().slice(0, 10),
    });
    expect(shorter.statusCode, shorter.body).toBe(201);
    expect(shorter.json().status).toBe('applied');
    const longer = await inject('POST', `/api/v1/bookings/${stays[6]!.id}/changes`, guest, {
      checkOut: new Date(Date.parse(`${stays[6]!.checkOut}T00:00:00Z`) + 24 * HOUR)
        .toISOString()
        .slice(0, 10),
    });
    expect(longer.json().status, longer.body).toBe('awaiting_payment');
    const paidChange = await inject(
      'POST',
      `/api/v1/bookings/${stays[6]!.id}/changes/${longer.json().id}/pay`,
      guest,
      { paymentMethod: 'pm_card_visa' },
    );
    expect(paidChange.json().change?.status, paidChange.body).toBe('applied');
    sandbox.queueTransferOutcome('failed', MAX_ATTEMPTS); // one payout fails for good on the way
    const last = Math.max(...stays.map((s) => s.releaseAt.getTime()));
    for (let step = 0; step < 6; step++) {
      clock = new Date(stays[0]!.releaseAt.getTime() + step * ((last - stays[0]!.releaseAt.getTime()) / 5));
      await Promise.all([releaseDuePayouts(t.ctx), releaseDuePayouts(t.ctx)]);
      if (step === 2) for (const s of stays.slice(3, 6)) await adminRefund(s.id, 1_234);
    }
    clock = new Date(last + HOUR);
    await releaseDuePayouts(t.ctx);
    await releaseDuePayouts(t.ctx);
    // Replay every payout webhook there could be.
    const all = await t.ctx.db
      .selectFrom('payouts')
      .selectAll()
      .where('provider_ref', 'is not', null)
      .execute();
    for (const p of all) await webhook(sandboxEvent(`evt_season_${p.id}`, 'payout.paid', p.provider_ref!));
    for (const p of all) await webhook(sandboxEvent(`evt_season_${p.id}`, 'payout.paid', p.provider_ref!));

    expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
    for (const h of hosts) await expectHostInvariant(h.host.id);
    const bookings = sandbox.executedTransfers().map((x) => x.metadata.bookingId);
    expect(new Set(bookings).size).toBe(bookings.length);
    const perBooking = await t.ctx.db
      .selectFrom('payouts')
      .select(['booking_id', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('booking_id')
      .execute();
    expect(perBooking.every((r) => Number(r.n) === 1)).toBe(true);
    // Every paid payout moved exactly its amount once.
    for (const p of await t.ctx.db.selectFrom('payouts').selectAll().where('status', '=', 'paid').execute()) {
      expect(transfersFor(p.booking_id).map((x) => x.amount)).toEqual([Number(p.amount)]);
    }
    // The cancelled stay was never paid out.
    expect(await payoutOf(stays[0]!.id)).toBeUndefined();
  });
});

describe('host endpoints', () => {
  it('show a host only their own payouts; guests 403; upcoming with release time and amount', async () => {
    const { host, listing } = await hostWithAccount();
    const other = await hostWithAccount();
    const past = await book(listing.id);
    clock = past.releaseAt;
    await releaseDuePayouts(t.ctx);
    const future = await book(listing.id);
    const otherStay = await book(other.listing.id);

    const upcoming = await inject('GET', '/api/v1/host/payouts?status=upcoming&limit=100', host);
    expect(upcoming.statusCode, upcoming.body).toBe(200);
    expect(upcoming.json().items).toEqual([
      expect.objectContaining({
        bookingId: future.id,
        status: 'upcoming',
        payoutId: null,
        amount: future.hostShare,
        currency: 'EUR',
        releaseAt: future.releaseAt.toISOString(),
      }),
    ]);
    const paid = (await inject('GET', '/api/v1/host/payouts?status=paid', host)).json();
    expect(paid.items).toEqual([
      expect.objectContaining({ bookingId: past.id, status: 'paid', amount: past.hostShare }),
    ]);
    expect((await inject('GET', '/api/v1/host/payouts?status=failed', host)).json().items).toEqual([]);
    const theirs = (await inject('GET', '/api/v1/host/payouts', other.host)).json();
    expect(theirs.items.map((i: { bookingId: string }) => i.bookingId)).toEqual([otherStay.id]);

    for (const url of ['/api/v1/host/payouts', '/api/v1/host/payouts.csv', '/api/v1/host/payout-account']) {
      expectProblem(await inject('GET', url, guest), 403);
      expect((await inject('GET', url, null)).statusCode).toBe(401);
    }
    expectProblem(await inject('POST', '/api/v1/host/payout-account', guest, {}), 403);
    expectProblem(await inject('GET', '/api/v1/host/payouts?status=bogus', host), 400);
    expectProblem(await inject('GET', '/api/v1/host/payouts?cursor=nope', host), 400, 'invalid_cursor');
    const fresh = await createUser(t, 'host');
    expectProblem(await inject('GET', '/api/v1/host/payout-account', fresh), 404);
  });

  it('pages the upcoming list by keyset', async () => {
    const { host, listing } = await hostWithAccount();
    const stays = [await book(listing.id), await book(listing.id), await book(listing.id)];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await inject(
        'GET',
        `/api/v1/host/payouts?status=upcoming&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        host,
      );
      expect(res.statusCode, res.body).toBe(200);
      seen.push(...res.json().items.map((i: { bookingId: string }) => i.bookingId));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(stays.map((s) => s.id));
  });

  it('exports CSV with proper escaping, bounded by month', async () => {
    const title = 'Loft "Riverside", =cmd|x';
    const { host, listing } = await hostWithAccount({ title });
    const b = await book(listing.id);
    clock = b.releaseAt;
    await releaseDuePayouts(t.ctx);
    const p = (await payoutOf(b.id))!;
    const month = b.releaseAt.toISOString().slice(0, 7);
    const res = await inject('GET', `/api/v1/host/payouts.csv?month=${month}`, host);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="payouts-${month}.csv"`);
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe(
      'payout_id,booking_id,listing,check_in,check_out,status,currency,amount_minor,release_at,paid_at,failure_reason',
    );
    expect(lines[1]).toBe(
      `${p.id},${b.id},"Loft ""Riverside"", =cmd|x",${b.checkIn},${b.checkOut},paid,EUR,${b.hostShare},` +
        `${b.releaseAt.toISOString()},${new Date(p.paid_at!).toISOString()},`,
    );
    expect(lines.slice(2)).toEqual(['']);
    const empty = await inject('GET', '/api/v1/host/payouts.csv?month=2030-01', host);
    expect(empty.body).toBe(`${lines[0]}\r\n`);
    expectProblem(await inject('GET', '/api/v1/host/payouts.csv?month=2030-13', host), 400);
    expectProblem(await inject('GET', '/api/v1/host/payouts.csv?limit=5001', host), 400);

    expect(csvField('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvField('-1+2')).toBe("'-1+2");
    expect(csvField(-1200)).toBe('-1200');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(null)).toBe('');
  });
});
