/**
 * Every admin route — the admin REST API and every page and form of the operator console — writes
 * exactly one audit row per successful request, under that request's id; a change is recorded as what
 * it did (never as a mere `view`). The list of routes is the app's own (src/platform/audit.ts collects
 * them as they are registered): an admin route added without a call here fails this test.
 */
import { randomUUID } from 'node:crypto';
import { TOTP } from 'otpauth';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutesOf } from '../src/platform/audit.js';
import { createBullQueue, startBullWorker } from '../src/platform/queue/bullmq.js';
import { defineJob, type JobRegistry } from '../src/platform/queue/registry.js';
import { insertBooking } from './support/factories.js';
import { createListing } from './support/fixtures.js';
import { dropPrefix, redisUrl, testRedis, uniquePrefix, waitFor } from './support/redis.js';
import { createTestApp, createUser, type TestApp, type TestUser } from './support/test-app.js';

const redis = testRedis();
const prefix = uniquePrefix('audit-coverage');
const registry: JobRegistry = {
  doomed: defineJob({
    name: 'doomed',
    schema: Type.Object({ n: Type.Integer() }),
    attempts: 1,
    backoffMs: 10,
    handler: async ({ n }) => {
      throw new Error(`doomed ${n}`);
    },
  }),
};
const queue = createBullQueue(registry, { url: redisUrl(), prefix });
let worker: Awaited<ReturnType<typeof startBullWorker>> | undefined;

let t: TestApp;
let admin: TestUser;
const users: Record<string, TestUser> = {};
const listings: Record<string, string> = {};
const bookings: Record<string, string> = {};
const reviews: Record<string, string> = {};
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const month = new Date().toISOString().slice(0, 7);

beforeAll(async () => {
  worker = await startBullWorker(registry, [], { url: redisUrl(), prefix });
  await queue.enqueue('doomed', { n: 1 }, { jobId: 'doomed-api' });
  await queue.enqueue('doomed', { n: 2 }, { jobId: 'doomed-console' });
  await waitFor(async () => (await queue.counts()).failed === 2, 15_000, 'two failed jobs');
  await worker.close();
  worker = undefined;

  t = await createTestApp({ queue });
  admin = await createUser(t, 'admin');
  for (const name of [
    'roleApi',
    'suspendApi',
    'eraseApi',
    'console',
    'eraseConsole',
    'reviewer1',
    'reviewer2',
    'guest',
  ])
    users[name] = await createUser(t);
  const host = await createUser(t, 'host');
  users['host'] = host;
  for (const name of ['stays', 'unlistApi', 'unlistConsole'])
    listings[name] = (await createListing(t, host, { title: `Coverage ${name}`, city: 'Utrecht' })).id;
  const stay = (from: number, guest = users['guest']!) =>
    insertBooking(t, {
      guestId: guest.id,
      propertyId: listings['stays']!,
      checkIn: day(from),
      checkOut: day(from + 2),
    });
  for (const [i, name] of [
    'cancelApi',
    'refundApi',
    'completeApi',
    'cancelConsole',
    'refundConsole',
  ].entries())
    bookings[name] = (await stay(30 + i * 3)).id;
  for (const [i, name] of ['reviewApi', 'reviewConsole'].entries()) {
    const reviewer = users[`reviewer${i + 1}`]!;
    const past = await insertBooking(t, {
      guestId: reviewer.id,
      propertyId: listings['stays']!,
      checkIn: day(-10 + i * 3),
      checkOut: day(-8 + i * 3),
      status: 'completed',
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: reviewer.auth,
      payload: {
        bookingId: past.id,
        rating: 2,
        cleanliness: 2,
        accuracy: 2,
        communication: 2,
        location: 2,
        checkIn: 2,
        value: 2,
        body: 'Not what the photos showed, and the host never answered our messages.',
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    reviews[name] = res.json().id;
  }
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await t?.close();
  await queue.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
});

interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: Record<string, unknown>;
}
type Spec = () => Call | Promise<Call>;

/** The admin REST API, in the order the calls are made (each destructive call has its own object). */
const api: Record<string, Spec> = {
  'GET /api/v1/users': () => ({ method: 'GET', url: '/api/v1/users' }),
  'PATCH /api/v1/users/:id/role': () => ({
    method: 'PATCH',
    url: `/api/v1/users/${users['roleApi']!.id}/role`,
    payload: { role: 'host', reason: 'Verified host application' },
  }),
  'POST /api/v1/users/:id/suspend': () => ({
    method: 'POST',
    url: `/api/v1/users/${users['suspendApi']!.id}/suspend`,
    payload: { reason: 'Spam' },
  }),
  'POST /api/v1/users/:id/unsuspend': () => ({
    method: 'POST',
    url: `/api/v1/users/${users['suspendApi']!.id}/unsuspend`,
  }),
  'GET /api/v1/admin/users': () => ({ method: 'GET', url: '/api/v1/admin/users?q=example' }),
  'GET /api/v1/admin/users/:id': () => ({
    method: 'GET',
    url: `/api/v1/admin/users/${users['roleApi']!.id}`,
  }),
  'POST /api/v1/admin/users/:id/sign-out-everywhere': () => ({
    method: 'POST',
    url: `/api/v1/admin/users/${users['roleApi']!.id}/sign-out-everywhere`,
    payload: { reason: 'Lost phone' },
  }),
  'GET /api/v1/admin/users/:id/export': () => ({
    method: 'GET',
    url: `/api/v1/admin/users/${users['roleApi']!.id}/export`,
  }),
  'DELETE /api/v1/admin/users/:id': () => ({
    method: 'DELETE',
    url: `/api/v1/admin/users/${users['eraseApi']!.id}`,
    payload: { reason: 'Erasure request by email' },
  }),
  'GET /api/v1/admin/listings': () => ({ method: 'GET', url: '/api/v1/admin/listings?q=Coverage' }),
  'GET /api/v1/admin/listings/:id': () => ({
    method: 'GET',
    url: `/api/v1/admin/listings/${listings['unlistApi']}`,
  }),
  'POST /api/v1/admin/listings/:id/unlist': () => ({
    method: 'POST',
    url: `/api/v1/admin/listings/${listings['unlistApi']}/unlist`,
    payload: { reason: 'Reported as a scam' },
  }),
  'POST /api/v1/admin/listings/:id/relist': () => ({
    method: 'POST',
    url: `/api/v1/admin/listings/${listings['unlistApi']}/relist`,
    payload: { reason: 'Host verified' },
  }),
  'GET /api/v1/admin/tax-rates': () => ({ method: 'GET', url: '/api/v1/admin/tax-rates?country=DE' }),
  'POST /api/v1/admin/tax-rates': () => ({
    method: 'POST',
    url: '/api/v1/admin/tax-rates',
    payload: {
      countryCode: 'DE',
      region: 'Berlin',
      name: 'Coverage City Tax',
      kind: 'percent',
      rateBps: 500,
    },
  }),
  'PUT /api/v1/admin/tax-rates/:id': async () => ({
    method: 'PUT',
    url: `/api/v1/admin/tax-rates/${await coverageTaxRate()}`,
    payload: {
      countryCode: 'DE',
      region: 'Berlin',
      name: 'Coverage City Tax',
      kind: 'percent',
      rateBps: 750,
    },
  }),
  'DELETE /api/v1/admin/tax-rates/:id': async () => ({
    method: 'DELETE',
    url: `/api/v1/admin/tax-rates/${await coverageTaxRate()}`,
  }),
  'GET /api/v1/admin/bookings': () => ({
    method: 'GET',
    url: `/api/v1/admin/bookings?propertyId=${listings['stays']}`,
  }),
  'GET /api/v1/admin/bookings/:id/timeline': () => ({
    method: 'GET',
    url: `/api/v1/admin/bookings/${bookings['cancelApi']}/timeline`,
  }),
  'GET /api/v1/admin/bookings/:id/cancellation-preview': () => ({
    method: 'GET',
    url: `/api/v1/admin/bookings/${bookings['cancelApi']}/cancellation-preview?onBehalfOf=host&refund=full`,
  }),
  'POST /api/v1/admin/bookings/:id/cancel': () => ({
    method: 'POST',
    url: `/api/v1/admin/bookings/${bookings['cancelApi']}/cancel`,
    payload: { onBehalfOf: 'host', refund: 'full', reason: 'Host emergency' },
  }),
  'POST /api/v1/admin/bookings/:id/refunds': () => ({
    method: 'POST',
    url: `/api/v1/admin/bookings/${bookings['refundApi']}/refunds`,
    payload: { amount: 500, reason: 'Broken heating one night' },
  }),
  'POST /api/v1/dev/bookings/:id/complete-stay': () => ({
    method: 'POST',
    url: `/api/v1/dev/bookings/${bookings['completeApi']}/complete-stay`,
  }),
  'GET /api/v1/admin/dashboard': () => ({ method: 'GET', url: '/api/v1/admin/dashboard' }),
  'GET /api/v1/admin/money/ledger/transactions': () => ({
    method: 'GET',
    url: '/api/v1/admin/money/ledger/transactions',
  }),
  'GET /api/v1/admin/money/ledger/balances': () => ({
    method: 'GET',
    url: '/api/v1/admin/money/ledger/balances',
  }),
  'GET /api/v1/admin/money/payouts/report': () => ({
    method: 'GET',
    url: `/api/v1/admin/money/payouts/report?month=${month}`,
  }),
  'GET /api/v1/admin/payouts': () => ({ method: 'GET', url: '/api/v1/admin/payouts?status=failed' }),
  'POST /api/v1/admin/payouts/:id/retry': async () => {
    // A payout that failed for good, to an enabled (sandbox) payout account of the host.
    const host = users['host']!;
    const booking = await insertBooking(t, {
      guestId: users['guest']!.id,
      propertyId: listings['stays']!,
      checkIn: day(200),
      checkOut: day(202),
    });
    const { accountRef } = await t.ctx.payments['sandbox']!.createPayoutAccount({
      hostId: host.id,
      email: host.email,
      currency: 'EUR',
      idempotencyKey: `payout-account:${host.id}`,
    });
    await t.ctx.db
      .insertInto('payout_accounts')
      .values({
        host_id: host.id,
        provider: 'sandbox',
        provider_account_ref: accountRef,
        status: 'enabled',
        currency: 'EUR',
      })
      .execute();
    const id = randomUUID();
    await t.ctx.db
      .insertInto('payouts')
      .values({
        id,
        booking_id: booking.id,
        host_id: host.id,
        amount: 0,
        currency: 'EUR',
        status: 'failed',
        provider: 'sandbox',
        provider_ref: null,
        transfer_key: id,
        ledger_ref: id,
        attempts: 5,
        last_error: 'account_closed',
        release_at: new Date(),
        paid_at: null,
      })
      .execute();
    return { method: 'POST', url: `/api/v1/admin/payouts/${id}/retry`, payload: { reason: 'Bank fixed' } };
  },
  'GET /api/v1/admin/reviews': () => ({ method: 'GET', url: '/api/v1/admin/reviews' }),
  'POST /api/v1/reviews/:id/hide': () => ({
    method: 'POST',
    url: `/api/v1/reviews/${reviews['reviewApi']}/hide`,
    payload: { reason: 'Personal attack' },
  }),
  'POST /api/v1/reviews/:id/unhide': () => ({
    method: 'POST',
    url: `/api/v1/reviews/${reviews['reviewApi']}/unhide`,
  }),
  'GET /api/v1/admin/jobs/failed': () => ({ method: 'GET', url: '/api/v1/admin/jobs/failed' }),
  'POST /api/v1/admin/jobs/failed/:id/retry': () => ({
    method: 'POST',
    url: '/api/v1/admin/jobs/failed/doomed-api/retry',
  }),
  'GET /api/v1/admin/audit': () => ({ method: 'GET', url: '/api/v1/admin/audit?changesOnly=true' }),
};

/** The tax rate the POST above created (the PUT and DELETE after it act on it). */
async function coverageTaxRate(): Promise<string> {
  const row = await t.ctx.db
    .selectFrom('tax_rates')
    .select('id')
    .where('name', '=', 'Coverage City Tax')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The console's session: its cookies and a CSRF token from its pages. */
const consoleSession = { cookies: new Map<string, string>(), csrf: '' };
const cookieHeader = () => [...consoleSession.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
/** The TOTP secret shown after "set up", to confirm and then turn two-factor sign-in off. */
let totpSecret = '';
const totpCode = () => new TOTP({ secret: totpSecret }).generate();

async function consoleRequest(method: 'GET' | 'POST', url: string, form?: Record<string, string>) {
  const res = await t.app.inject({
    method,
    url,
    headers: {
      cookie: cookieHeader(),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(form ? { payload: new URLSearchParams({ _csrf: consoleSession.csrf, ...form }).toString() } : {}),
  });
  for (const c of res.cookies as { name: string; value: string }[])
    consoleSession.cookies.set(c.name, c.value);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
  if (token) consoleSession.csrf = token;
  return res;
}

const form = (fields: Record<string, string>) => fields;
/** A payout that failed for good, to the host's enabled (sandbox) payout account (opened if need be). */
async function failedPayout(checkIn: number): Promise<string> {
  const host = users['host']!;
  const booking = await insertBooking(t, {
    guestId: users['guest']!.id,
    propertyId: listings['stays']!,
    checkIn: day(checkIn),
    checkOut: day(checkIn + 2),
  });
  const { accountRef } = await t.ctx.payments['sandbox']!.createPayoutAccount({
    hostId: host.id,
    email: host.email,
    currency: 'EUR',
    idempotencyKey: `payout-account:${host.id}`,
  });
  const account = await t.ctx.db
    .selectFrom('payout_accounts')
    .select('host_id')
    .where('host_id', '=', host.id)
    .executeTakeFirst();
  if (!account) {
    await t.ctx.db
      .insertInto('payout_accounts')
      .values({
        host_id: host.id,
        provider: 'sandbox',
        provider_account_ref: accountRef,
        status: 'enabled',
        currency: 'EUR',
      })
      .execute();
  }
  const id = randomUUID();
  await t.ctx.db
    .insertInto('payouts')
    .values({
      id,
      booking_id: booking.id,
      host_id: host.id,
      amount: 0,
      currency: 'EUR',
      status: 'failed',
      provider: 'sandbox',
      provider_ref: null,
      transfer_key: id,
      ledger_ref: id,
      attempts: 5,
      last_error: 'account_closed',
      release_at: new Date(),
      paid_at: null,
    })
    .execute();
  return id;
}

/** The console, in order; POSTs are form posts with the session's CSRF token. */
const consolePages: Record<string, () => Call | Promise<Call>> = {
  'GET /admin': () => ({ method: 'GET', url: '/admin' }),
  'GET /admin/users': () => ({ method: 'GET', url: '/admin/users?q=example' }),
  'GET /admin/users/:id': () => ({ method: 'GET', url: `/admin/users/${users['console']!.id}` }),
  'POST /admin/users/:id/suspend': () => ({
    method: 'POST',
    url: `/admin/users/${users['console']!.id}/suspend`,
    payload: form({ reason: 'Chargebacks' }),
  }),
  'POST /admin/users/:id/unsuspend': () => ({
    method: 'POST',
    url: `/admin/users/${users['console']!.id}/unsuspend`,
    payload: form({ reason: 'Resolved' }),
  }),
  'POST /admin/users/:id/role': () => ({
    method: 'POST',
    url: `/admin/users/${users['console']!.id}/role`,
    payload: form({ role: 'host', reason: 'Host application' }),
  }),
  'POST /admin/users/:id/sign-out': () => ({
    method: 'POST',
    url: `/admin/users/${users['console']!.id}/sign-out`,
    payload: form({ reason: 'Stolen laptop' }),
  }),
  'GET /admin/users/:id/export': () => ({
    method: 'GET',
    url: `/admin/users/${users['console']!.id}/export`,
  }),
  'POST /admin/users/:id/erase': () => ({
    method: 'POST',
    url: `/admin/users/${users['eraseConsole']!.id}/erase`,
    payload: form({ reason: 'Erasure request', confirm: 'erase' }),
  }),
  'GET /admin/listings': () => ({ method: 'GET', url: '/admin/listings?q=Coverage' }),
  'GET /admin/listings/:id': () => ({ method: 'GET', url: `/admin/listings/${listings['unlistConsole']}` }),
  'POST /admin/listings/:id/unlist': () => ({
    method: 'POST',
    url: `/admin/listings/${listings['unlistConsole']}/unlist`,
    payload: form({ reason: 'Fake photos' }),
  }),
  'POST /admin/listings/:id/relist': () => ({
    method: 'POST',
    url: `/admin/listings/${listings['unlistConsole']}/relist`,
    payload: form({ reason: 'New photos checked' }),
  }),
  'GET /admin/bookings': () => ({ method: 'GET', url: `/admin/bookings?propertyId=${listings['stays']}` }),
  'GET /admin/bookings/:id': () => ({ method: 'GET', url: `/admin/bookings/${bookings['cancelConsole']}` }),
  'GET /admin/bookings/:id/cancel': () => ({
    method: 'GET',
    url: `/admin/bookings/${bookings['cancelConsole']}/cancel?onBehalfOf=guest&refund=policy`,
  }),
  'POST /admin/bookings/:id/cancel': () => ({
    method: 'POST',
    url: `/admin/bookings/${bookings['cancelConsole']}/cancel`,
    payload: form({ onBehalfOf: 'guest', refund: 'policy', reason: 'Guest called support' }),
  }),
  'POST /admin/bookings/:id/refund': () => ({
    method: 'POST',
    url: `/admin/bookings/${bookings['refundConsole']}/refund`,
    payload: form({ amount: '700', reason: 'No hot water', confirm: 'yes' }),
  }),
  'GET /admin/money': () => ({ method: 'GET', url: '/admin/money' }),
  'GET /admin/money/payouts': () => ({ method: 'GET', url: `/admin/money/payouts?month=${month}` }),
  'GET /admin/payouts': () => ({ method: 'GET', url: '/admin/payouts?status=failed' }),
  'POST /admin/payouts/:id/retry': async () => ({
    method: 'POST',
    url: `/admin/payouts/${await failedPayout(210)}/retry`,
    payload: form({ reason: 'Bank details fixed' }),
  }),
  'GET /admin/reviews': () => ({ method: 'GET', url: '/admin/reviews' }),
  'POST /admin/reviews/:id/hide': () => ({
    method: 'POST',
    url: `/admin/reviews/${reviews['reviewConsole']}/hide`,
    payload: form({ reason: 'Off-topic rant' }),
  }),
  'POST /admin/reviews/:id/unhide': () => ({
    method: 'POST',
    url: `/admin/reviews/${reviews['reviewConsole']}/unhide`,
    payload: form({ reason: 'Appeal accepted' }),
  }),
  'GET /admin/jobs': () => ({ method: 'GET', url: '/admin/jobs' }),
  'GET /admin/jobs/:id': () => ({ method: 'GET', url: '/admin/jobs/doomed-console' }),
  'POST /admin/jobs/:id/retry': () => ({
    method: 'POST',
    url: '/admin/jobs/doomed-console/retry',
    payload: form({}),
  }),
  'GET /admin/audit': () => ({ method: 'GET', url: '/admin/audit?changesOnly=1' }),
  'GET /admin/account/security': () => ({ method: 'GET', url: '/admin/account/security' }),
  'POST /admin/account/security/totp/start': () => ({
    method: 'POST',
    url: '/admin/account/security/totp/start',
    payload: form({}),
  }),
  'POST /admin/account/security/totp/confirm': () => ({
    method: 'POST',
    url: '/admin/account/security/totp/confirm',
    payload: form({ code: totpCode() }),
  }),
  'POST /admin/account/security/totp/disable': () => ({
    method: 'POST',
    url: '/admin/account/security/totp/disable',
    payload: form({ code: totpCode() }),
  }),
};

async function rowsOf(requestId: string) {
  return t.ctx.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).execute();
}

describe('the audit trail of admin routes', () => {
  it('has a call here for every admin route the app registers', () => {
    const known = [...Object.keys(api), ...Object.keys(consolePages)].sort();
    expect([...adminRoutesOf(t.app)].sort()).toEqual(known);
  });

  it('every admin REST route writes exactly one row per request; changes are named', async () => {
    for (const [route, spec] of Object.entries(api)) {
      const call = await spec();
      const res = await t.app.inject({
        method: call.method,
        url: call.url,
        headers: admin.auth,
        payload: call.payload,
      });
      expect(res.statusCode, `${route}: ${res.body}`).toBeLessThan(300);
      const rows = await rowsOf(String(res.headers['x-request-id']));
      expect(rows, route).toHaveLength(1);
      expect(rows[0], route).toMatchObject({ actor_id: admin.id, ip: expect.any(String) });
      if (call.method === 'GET') expect(rows[0]!.action, route).toMatch(/^view$|\.export$/);
      else expect(rows[0]!.action, route).toMatch(/^[a-z_]+\.[a-z_]+$/);
    }
  });

  it('every console page and form writes exactly one row per request; changes are named', async () => {
    // Sign in through the login form (its own row: admin.login).
    await consoleRequest('GET', '/admin/login');
    const login = await consoleRequest('POST', '/admin/login', {
      email: admin.email,
      password: admin.password,
    });
    expect(login.statusCode, login.body).toBe(303);
    expect((await rowsOf(String(login.headers['x-request-id']))).map((r) => r.action)).toEqual([
      'admin.login',
    ]);

    for (const [route, spec] of Object.entries(consolePages)) {
      const call = await spec();
      const res = await consoleRequest(
        call.method as 'GET' | 'POST',
        call.url,
        call.payload as Record<string, string>,
      );
      if (call.method === 'GET') expect(res.statusCode, `${route}: ${res.body.slice(0, 500)}`).toBe(200);
      else {
        expect(res.statusCode, `${route}: ${res.body.slice(0, 500)}`).toBe(303);
        // A failed action re-renders with an error; a successful one redirects with an `ok` flash.
        expect(String(res.headers['location']), route).not.toContain('error');
      }
      const rows = await rowsOf(String(res.headers['x-request-id']));
      expect(rows, route).toHaveLength(1);
      expect(rows[0], route).toMatchObject({ actor_id: admin.id });
      if (call.method === 'POST') expect(rows[0]!.action, route).not.toBe('view');
      if (route === 'POST /admin/account/security/totp/start') {
        const page = await consoleRequest('GET', '/admin/account/security');
        totpSecret = /id="totp-secret">([A-Z2-7]+)</.exec(page.body)?.[1] ?? '';
        expect(totpSecret).not.toBe('');
      }
    }
    const totp = await t.ctx.db
      .selectFrom('users')
      .select('totp_enabled_at')
      .where('id', '=', admin.id)
      .executeTakeFirstOrThrow();
    expect(totp.totp_enabled_at).toBeNull(); // turned on, then off again
  });
});
