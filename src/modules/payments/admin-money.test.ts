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
import { ledgerBalance } from './ledger.js';

let t: TestApp;
let admin: TestUser;
let host: TestUser;
let otherHost: TestUser;
let guest: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { SERVICE_FEE_BPS: '1200', TAX_BPS: '700' } });
  admin = await createUser(t, 'admin');
  host = await createUser(t, 'host');
  otherHost = await createUser(t, 'host');
  guest = await createUser(t);
});
afterAll(async () => {
  expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
  await t.close();
});

const DAY = 86_400_000;
const dayFromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
const thisMonth = () => new Date().toISOString().slice(0, 7);

async function booking(
  app: TestApp,
  owner: TestUser,
  o: {
    startsIn: number;
    nights?: number;
    status?: 'pending_payment' | 'confirmed';
    currency?: string;
    guestId?: string;
  },
) {
  const listing = await createListing(app, owner, {
    nightlyPrice: 10_000,
    cleaningFee: 2_000,
    currency: o.currency,
  });
  const checkIn = dayFromNow(o.startsIn);
  const checkOut = dayFromNow(o.startsIn + (o.nights ?? 2));
  return insertBooking(app, {
    guestId: o.guestId ?? guest.id,
    propertyId: listing.id,
    checkIn,
    checkOut,
    status: o.status ?? 'confirmed',
  });
}

const get = (url: string, user: TestUser | null = admin, app: TestApp = t) =>
  app.app.inject({ method: 'GET', url, headers: user ? user.auth : {} });

describe('the ledger (admin)', () => {
  it('lists a booking’s transactions with balanced entries, and account balances summing to zero', async () => {
    const b = await booking(t, host, { startsIn: 400 });
    const refund = await t.app.inject({
      method: 'POST',
      url: `/api/v1/admin/bookings/${b.id}/refunds`,
      headers: admin.auth,
      payload: { amount: 1_500, reason: 'Goodwill' },
    });
    expect(refund.statusCode).toBe(201);

    const res = await get(`/api/v1/admin/money/ledger/transactions?bookingId=${b.id}`);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as {
      kind: string;
      bookingId: string;
      entries: { account: string; amount: number; currency: string }[];
    }[];
    expect(items.map((i) => i.kind)).toEqual(['refund', 'guest_charge']);
    for (const i of items) {
      expect(i.bookingId).toBe(b.id);
      expect(i.entries.reduce((s, e) => s + e.amount, 0)).toBe(0);
    }
    expect(items[1]?.entries).toContainEqual({
      account: 'provider_clearing',
      amount: b.total,
      currency: b.currency,
    });
    expect(items[0]?.entries).toContainEqual({
      account: 'provider_clearing',
      amount: -1_500,
      currency: b.currency,
    });

    const refunds = (await get(`/api/v1/admin/money/ledger/transactions?kind=refund&limit=1`)).json();
    expect(refunds.items).toHaveLength(1);
    expect(refunds.items[0].kind).toBe('refund');
    expectProblem(await get('/api/v1/admin/money/ledger/transactions?kind=theft'), 400);
    const unknown = await get(
      '/api/v1/admin/money/ledger/transactions?bookingId=0193a5b2-9999-7e2f-8a3b-4c5d6e7f8091',
    );
    expect(unknown.json()).toEqual({ items: [], nextCursor: null });

    const balances = await get('/api/v1/admin/money/ledger/balances');
    expect(balances.statusCode).toBe(200);
    const body = balances.json();
    expect(body).toMatchObject({ total: 0, balanced: true });
    const hostAccount = body.accounts.find(
      (a: { account: string }) => a.account === `host_payable:${host.id}`,
    );
    expect(hostAccount.balance).toBeLessThan(0);
  });

  it('is for admins only', async () => {
    for (const url of [
      '/api/v1/admin/money/ledger/transactions',
      '/api/v1/admin/money/ledger/balances',
      `/api/v1/admin/money/payouts/report?month=${thisMonth()}`,
    ]) {
      expect((await get(url, null)).statusCode).toBe(401);
      expectProblem(await get(url, guest), 403);
      expectProblem(await get(url, host), 403);
      expect((await get(url)).statusCode).toBe(200);
    }
  });
});

describe('payout reports', () => {
  it('shows a host their own month, an admin any host or all, and a guest nothing', async () => {
    const mine = await booking(t, host, { startsIn: 500 });
    const theirs = await booking(t, otherHost, { startsIn: 500 });
    const month = thisMonth();
    const hostShare = async (id: string) =>
      Number(
        (
          await t.ctx.db
            .selectFrom('bookings')
            .select('host_payout')
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
        ).host_payout,
      );

    const own = await get(`/api/v1/host/payouts/report?month=${month}`, host);
    expect(own.statusCode).toBe(200);
    const ownRows = own.json().rows as { hostId: string; month: string; net: number; currency: string }[];
    expect(ownRows.every((r) => r.hostId === host.id && r.month === month)).toBe(true);
    expect(ownRows.length).toBeGreaterThan(0);
    // Everything this host earned this month in this file, net of the refund in the ledger test.
    expect(ownRows.reduce((s, r) => s + r.net, 0)).toBeGreaterThanOrEqual(await hostShare(mine.id));

    const other = (await get(`/api/v1/host/payouts/report?month=${month}`, otherHost)).json();
    expect(other.rows).toEqual([
      { hostId: otherHost.id, month, currency: theirs.currency, net: await hostShare(theirs.id) },
    ]);

    // A host's own report on the admin route is 403; guests get none anywhere.
    expectProblem(
      await get(`/api/v1/admin/money/payouts/report?month=${month}&hostId=${host.id}`, host),
      403,
    );
    expectProblem(await get(`/api/v1/host/payouts/report?month=${month}`, guest), 403);
    expect((await get(`/api/v1/host/payouts/report?month=${month}`, null)).statusCode).toBe(401);

    const filtered = (
      await get(`/api/v1/admin/money/payouts/report?month=${month}&hostId=${otherHost.id}`)
    ).json();
    expect(filtered.rows).toEqual(other.rows);
    const all = (await get(`/api/v1/admin/money/payouts/report?month=${month}`)).json();
    const hosts = new Set(all.rows.map((r: { hostId: string }) => r.hostId));
    expect(hosts.has(host.id) && hosts.has(otherHost.id)).toBe(true);
    // The admin's view through the host route: every host.
    expect((await get(`/api/v1/host/payouts/report?month=${month}`)).json().rows).toEqual(all.rows);

    const empty = (await get(`/api/v1/host/payouts/report?month=2030-01`, host)).json();
    expect(empty).toEqual({ month: '2030-01', rows: [] });
    expectProblem(await get('/api/v1/host/payouts/report?month=2026-13', host), 400);
    expectProblem(await get('/api/v1/host/payouts/report', host), 400);
  });
});

describe('the dashboard', () => {
  it('counts today’s arrivals and departures, bookings and revenue by day, backlogs and the ledger', async () => {
    // A database of its own: exact figures.
    const d = await createTestApp({ env: { SERVICE_FEE_BPS: '1200', TAX_BPS: '700' } });
    try {
      const [a, h, g] = [await createUser(d, 'admin'), await createUser(d, 'host'), await createUser(d)];
      const arriving = await booking(d, h, { startsIn: 0, guestId: g.id });
      const leaving = await booking(d, h, { startsIn: -2, nights: 2, guestId: g.id });
      await booking(d, h, { startsIn: 30, status: 'pending_payment', guestId: g.id });
      const usd = await booking(d, h, { startsIn: 40, currency: 'USD', guestId: g.id });
      const refund = await d.app.inject({
        method: 'POST',
        url: `/api/v1/admin/bookings/${arriving.id}/refunds`,
        headers: a.auth,
        payload: { amount: 100, reason: 'Goodwill' },
      });
      expect(refund.statusCode).toBe(201);
      // A refund promised and not carried out yet (the provider did not answer): the backlog counts it.
      await d.ctx.db
        .insertInto('refunds')
        .values({
          id: '0193a5b2-7777-7e2f-8a3b-4c5d6e7f8091',
          payment_id: leaving.paymentId ?? '',
          booking_id: leaving.id,
          amount: 100,
          currency: leaving.currency,
          status: 'pending',
          provider_ref: null,
          reason: 'admin_refund',
          attempts: 1,
          last_error: 'timeout',
          failure_reason: null,
        })
        .execute();
      const pendingEmails = Number(
        (
          await d.ctx.db
            .selectFrom('email_outbox')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('status', '=', 'pending')
            .executeTakeFirstOrThrow()
        ).n,
      );

      const res = await get('/api/v1/admin/dashboard?days=3', a, d);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      const today = new Date().toISOString().slice(0, 10);
      expect(body).toMatchObject({
        today,
        checkInsToday: 1,
        checkOutsToday: 1,
        currency: arriving.currency,
        pendingEmails,
        pendingRefunds: 1,
        outboxBacklog: pendingEmails + 1,
        ledger: { balanced: true, total: 0 },
        failedJobs: null,
      });
      // The payout figures, as the database has them.
      const byStatus = await d.ctx.db
        .selectFrom('payouts')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      expect(body.payouts.counts).toEqual(Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])));
      expect(Array.isArray(body.payouts.paid)).toBe(true);
      expect(body.byDay.map((x: { date: string }) => x.date)).toEqual([
        dayFromNow(-2),
        dayFromNow(-1),
        today,
      ]);
      expect(body.byDay.slice(0, 2).map((x: { bookings: number }) => x.bookings)).toEqual([0, 0]);
      expect(body.byDay[2]).toEqual({
        date: today,
        bookings: 4,
        revenue: arriving.total + leaving.total,
        revenueByCurrency: { [arriving.currency]: arriving.total + leaving.total, USD: usd.total },
      });

      expect((await get('/api/v1/admin/dashboard', a, d)).json().byDay).toHaveLength(14);
      expectProblem(await get('/api/v1/admin/dashboard?days=0', a, d), 400);
      expectProblem(await get('/api/v1/admin/dashboard?days=91', a, d), 400);
      expectProblem(await get('/api/v1/admin/dashboard', g, d), 403);
      expectProblem(await get('/api/v1/admin/dashboard', h, d), 403);
      expect((await get('/api/v1/admin/dashboard', null, d)).statusCode).toBe(401);
    } finally {
      await d.close();
    }
  });
});
