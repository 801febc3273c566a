/**
 * The operator console (/admin) through app.inject: sign-in (cookie, TOTP), CSRF, admin-only access,
 * sessions that end at once, every page rendering under its CSP, escaping, and an audited action.
 */

import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBooking } from '../../test/support/factories.js';
import { createListing } from '../../test/support/fixtures.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { attemptTransfer, releaseStay } from '../flows/payouts.js';
import type { SandboxProvider } from '../modules/payments/sandbox.provider.js';
import { createInlineQueue } from '../platform/queue/inline.js';
import { defineJob } from '../platform/queue/registry.js';

let t: TestApp;
const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const CSP =
  "default-src 'none';style-src 'self';img-src 'self' data:;form-action 'self';frame-ancestors 'none';base-uri 'none'";

/** A browser's cookie jar for one agent, and its requests. */
class Agent {
  cookies = new Map<string, string>();
  csrf = '';

  remember(res: LightMyRequestResponse) {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const gone = c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now()) || c.value === '';
      if (gone) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (token) this.csrf = token;
  }

  private header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string) {
    const res = await t.app.inject({ method: 'GET', url, headers: { cookie: this.header() } });
    this.remember(res);
    return res;
  }

  /** A form post; `_csrf` is this agent's last token unless given (null: left out). */
  async post(url: string, fields: Record<string, string>, csrf: string | null = this.csrf) {
    const body = new URLSearchParams({ ...fields, ...(csrf === null ? {} : { _csrf: csrf }) }).toString();
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: { cookie: this.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: body,
    });
    this.remember(res);
    return res;
  }

  async login(user: { email: string; password: string }, totp?: string) {
    await this.get('/admin/login');
    return this.post('/admin/login', {
      email: user.email,
      password: user.password,
      ...(totp ? { totp } : {}),
    });
  }
}

async function signedIn(user: TestUser) {
  const agent = new Agent();
  const res = await agent.login(user);
  expect(res.statusCode).toBe(303);
  expect(res.headers.location).toBe('/admin');
  await agent.get('/admin'); // a page, for a fresh CSRF token
  return agent;
}

const auditRows = (actorId: string, action?: string) => {
  let q = t.ctx.db.selectFrom('audit_log').selectAll().where('actor_id', '=', actorId);
  if (action) q = q.where('action', '=', action);
  return q.execute();
};

describe('access', () => {
  it('sends a guest (no cookie) to the sign-in page, from pages and actions alike', async () => {
    const anon = new Agent();
    for (const url of ['/admin', '/admin/users', '/admin/audit', '/admin/account/security']) {
      const res = await anon.get(url);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe('/admin/login');
    }
    const login = await anon.get('/admin/login');
    expect(login.statusCode).toBe(200);
    expect(login.headers['content-security-policy']).toBe(CSP);
    expect(login.headers['cache-control']).toBe('no-store');
    expect(login.body).toContain('id="email"');
    // A bearer token means nothing to the console.
    const admin = await createUser(t, 'admin');
    const bearer = await t.app.inject({ method: 'GET', url: '/admin/users', headers: admin.auth });
    expect(bearer.statusCode).toBe(303);
  });

  it('signs an admin in with an HTTP-only, SameSite=Strict cookie scoped to /admin, and audits it', async () => {
    const admin = await createUser(t, 'admin');
    const agent = new Agent();
    await agent.get('/admin/login');
    const res = await agent.post('/admin/login', { email: admin.email, password: admin.password });
    expect(res.statusCode).toBe(303);
    const cookie = (
      res.cookies as { name: string; httpOnly?: boolean; sameSite?: string; path?: string }[]
    ).find((c) => c.name === 'roost_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    const row = await t.ctx.db
      .selectFrom('refresh_tokens')
      .select(['kind', 'revoked_at'])
      .where('user_id', '=', admin.id)
      .where('kind', '=', 'console')
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeNull();
    expect(await auditRows(admin.id, 'admin.login')).toHaveLength(1);
    const page = await agent.get('/admin');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Dashboard');

    // The console token is no refresh token.
    const refresh = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: agent.cookies.get('roost_admin') },
    });
    expect(refresh.statusCode).toBe(401);

    // Signing out ends the session row, and the cookie with it.
    const token = agent.cookies.get('roost_admin')!;
    const out = await agent.post('/admin/logout', {});
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/admin/login');
    expect(await auditRows(admin.id, 'admin.logout')).toHaveLength(1);
    const replay = await t.app.inject({
      method: 'GET',
      url: '/admin',
      headers: { cookie: `roost_admin=${token}` },
    });
    expect(replay.statusCode).toBe(303);
  });

  it('refuses non-admins and wrong passwords with one generic message', async () => {
    const guest = await createUser(t, 'guest');
    const host = await createUser(t, 'host');
    const admin = await createUser(t, 'admin');
    for (const [who, password] of [
      [guest, guest.password],
      [host, host.password],
      [admin, 'not-the-password'],
      [{ email: 'nobody@example.com' }, 'whatever-password'],
    ] as const) {
      const agent = new Agent();
      const res = await agent.login({ email: who.email, password });
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('Invalid credentials or not an admin');
      expect(agent.cookies.has('roost_admin')).toBe(false);
    }
  });

  it('answers 403 to a signed-in session whose user is no longer an admin', async () => {
    const admin = await createUser(t, 'admin');
    const other = await createUser(t, 'admin');
    const agent = await signedIn(admin);
    const otherAgent = await signedIn(other);
    const demote = await otherAgent.post(`/admin/users/${admin.id}/role`, {
      role: 'host',
      reason: 'no longer on the team',
    });
    expect(demote.statusCode).toBe(303);
    const res = await agent.get('/admin/users');
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-security-policy']).toBe(CSP);
  });
});

describe('CSRF', () => {
  it('refuses a form post without its token, or with a wrong one, and changes nothing', async () => {
    const admin = await createUser(t, 'admin');
    const victim = await createUser(t, 'guest');
    const agent = await signedIn(admin);
    const before = (await auditRows(admin.id)).length;
    for (const csrf of [null, 'forged-token', '']) {
      const res = await agent.post(`/admin/users/${victim.id}/suspend`, { reason: 'csrf attempt' }, csrf);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    }
    const row = await t.ctx.db
      .selectFrom('users')
      .select('suspended_at')
      .where('id', '=', victim.id)
      .executeTakeFirstOrThrow();
    expect(row.suspended_at).toBeNull();
    expect((await auditRows(admin.id)).length).toBe(before);
    // The login form needs its token too.
    const anon = new Agent();
    const login = await anon.post('/admin/login', { email: admin.email, password: admin.password }, null);
    expect(login.statusCode).toBe(403);
  });
});

describe('actions', () => {
  it('suspends a user from the console form: suspended, signed out, one audit row with the request id', async () => {
    const admin = await createUser(t, 'admin');
    const victim = await createUser(t, 'guest');
    const agent = await signedIn(admin);
    const detail = await agent.get(`/admin/users/${victim.id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain('data-action="suspend"');
    const requestId = `console-suspend-${randomUUID()}`;
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${victim.id}/suspend`,
      headers: {
        cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'content-type': 'application/x-www-form-urlencoded',
        'x-request-id': requestId,
      },
      payload: new URLSearchParams({ _csrf: agent.csrf, reason: 'fraud report 42' }).toString(),
    });
    agent.remember(res);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/users/${victim.id}`);
    const row = await t.ctx.db
      .selectFrom('users')
      .select('suspended_at')
      .where('id', '=', victim.id)
      .executeTakeFirstOrThrow();
    expect(row.suspended_at).not.toBeNull();
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('request_id', '=', requestId)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor_id: admin.id,
      action: 'user.suspend',
      object_id: victim.id,
      reason: 'fraud report 42',
    });
    // The victim's API session ended.
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: victim.auth });
    expect(me.statusCode).toBe(401);
    // The flash tells what happened.
    const after = await agent.get(`/admin/users/${victim.id}`);
    expect(after.body).toMatch(/id="flash" class="ok"/);
    expect(after.body).toContain('id="user-status">suspended');
  });

  it("shows a service's refusal on the page (no change, no audit row)", async () => {
    const admin = await createUser(t, 'admin');
    const agent = await signedIn(admin);
    const before = (await auditRows(admin.id)).length;
    const res = await agent.post(`/admin/users/${admin.id}/suspend`, { reason: 'suspend myself' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toMatch(/id="flash" class="error"/);
    expect(res.body).toContain('cannot suspend their own account');
    expect((await auditRows(admin.id)).length).toBe(before);
  });

  it('refuses bad form and query input with a 400 page, not a crash', async () => {
    const admin = await createUser(t, 'admin');
    const victim = await createUser(t, 'guest');
    const agent = await signedIn(admin);
    const noReason = await agent.post(`/admin/users/${victim.id}/suspend`, {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('reason');
    const badRole = await agent.post(`/admin/users/${victim.id}/role`, {
      role: 'superuser',
      reason: 'because',
    });
    expect(badRole.statusCode).toBe(400);
    for (const url of [
      '/admin/users?role=root',
      `/admin/users?q=${'x'.repeat(300)}`,
      '/admin/bookings?from=yesterday',
      '/admin/users/not-a-uuid',
      '/admin/audit?unknown=1',
      '/admin/users?q=a%00b',
    ]) {
      const res = await agent.get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toMatch(/text\/html/);
    }
    const missing = await agent.get('/admin/users/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    const nowhere = await agent.get('/admin/no-such-page');
    expect(nowhere.statusCode).toBe(404);
  });
});

describe('sessions end at once', () => {
  it('stops working when the admin is suspended by another admin', async () => {
    const a = await createUser(t, 'admin');
    const b = await createUser(t, 'admin');
    const agentA = await signedIn(a);
    const agentB = await signedIn(b);
    expect((await agentA.get('/admin/users')).statusCode).toBe(200);
    expect(
      (await agentB.post(`/admin/users/${a.id}/suspend`, { reason: 'account compromised' })).statusCode,
    ).toBe(303);
    const res = await agentA.get('/admin/users');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/login');
  });

  it('stops working when the admin is signed out everywhere', async () => {
    const a = await createUser(t, 'admin');
    const b = await createUser(t, 'admin');
    const agentA = await signedIn(a);
    const agentB = await signedIn(b);
    expect((await agentB.post(`/admin/users/${a.id}/sign-out`, { reason: 'lost laptop' })).statusCode).toBe(
      303,
    );
    const res = await agentA.get('/admin');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/login');
  });
});

describe('two-factor sign-in', () => {
  it('is set up with a confirmed code, then required at sign-in, and turned off with a code', async () => {
    const admin = await createUser(t, 'admin');
    const agent = await signedIn(admin);
    expect((await agent.get('/admin/account/security')).body).toContain('data-state="off"');
    expect((await agent.post('/admin/account/security/totp/start', {})).statusCode).toBe(303);
    const page = await agent.get('/admin/account/security');
    expect(page.body).toContain('data-state="pending"');
    const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.body)?.[1];
    expect(secret).toBeTruthy();
    expect(page.body).toContain('otpauth://totp/Roost:');
    // The QR code an authenticator scans is the otpauth URI shown, drawn as an SVG data: image.
    const uri = /id="totp-uri">([^<]+)</.exec(page.body)?.[1]?.replaceAll('&amp;', '&') ?? '';
    const qr = /id="totp-qr" src="data:image\/svg\+xml;base64,([^"]+)"/.exec(page.body)?.[1] ?? '';
    expect(Buffer.from(qr, 'base64').toString()).toBe(
      await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
    );
    // Stored sealed, never in the clear.
    const stored = await t.ctx.db
      .selectFrom('users')
      .select(['totp_secret', 'totp_enabled_at'])
      .where('id', '=', admin.id)
      .executeTakeFirstOrThrow();
    expect(stored.totp_secret).toMatch(/^v1\./);
    expect(stored.totp_secret).not.toContain(secret!);
    expect(stored.totp_enabled_at).toBeNull();

    const code = (at = Date.now()) => TOTP.generate({ secret: Secret.fromBase32(secret!), timestamp: at });
    const wrong = await agent.post('/admin/account/security/totp/confirm', {
      code: code() === '000000' ? '111111' : '000000',
    });
    expect(wrong.statusCode).toBe(400);
    expect((await agent.post('/admin/account/security/totp/confirm', { code: code() })).statusCode).toBe(303);
    expect((await agent.get('/admin/account/security')).body).toContain('data-state="on"');

    // Now sign-in needs a code: none or a wrong one is refused.
    const noCode = await new Agent().login(admin);
    expect(noCode.statusCode).toBe(401);
    expect(noCode.body).toContain('one-time code');
    const badCode = await new Agent().login(admin, code(Date.now() - 10 * 60_000));
    expect(badCode.statusCode).toBe(401);
    const fresh = new Agent();
    expect((await fresh.login(admin, code())).statusCode).toBe(303);
    // One step of drift is accepted.
    expect((await new Agent().login(admin, code(Date.now() - 30_000))).statusCode).toBe(303);

    await fresh.get('/admin/account/security');
    expect((await fresh.post('/admin/account/security/totp/disable', { code: '12345' })).statusCode).toBe(
      400,
    );
    expect((await fresh.post('/admin/account/security/totp/disable', { code: code() })).statusCode).toBe(303);
    expect((await new Agent().login(admin)).statusCode).toBe(303);
  });
});

describe('pages', () => {
  it('every page renders for an admin, under the CSP, with no store', async () => {
    const admin = await createUser(t, 'admin');
    const host = await createUser(t, 'host');
    const guest = await createUser(t, 'guest');
    const listing = await createListing(t, host);
    const booking = await insertBooking(t, {
      propertyId: listing.id,
      guestId: guest.id,
      checkIn: day(30),
      checkOut: day(33),
    });
    const agent = await signedIn(admin);
    const pages = [
      '/admin',
      '/admin/users',
      `/admin/users?q=${encodeURIComponent(guest.email)}&role=guest&status=active`,
      `/admin/users/${guest.id}`,
      '/admin/listings',
      `/admin/listings/${listing.id}`,
      '/admin/bookings',
      `/admin/bookings?guestEmail=${encodeURIComponent(guest.email)}`,
      `/admin/bookings/${booking.id}`,
      `/admin/bookings/${booking.id}/cancel?onBehalfOf=host&refund=full`,
      '/admin/money',
      '/admin/money/payouts',
      '/admin/payouts',
      '/admin/payouts?status=failed',
      '/admin/reviews',
      '/admin/jobs',
      '/admin/audit',
      '/admin/audit?changesOnly=1&action=admin.login',
      '/admin/account/security',
    ];
    for (const url of pages) {
      const res = await agent.get(url);
      expect(res.statusCode, `${url}: ${res.body.slice(0, 2000)}`).toBe(200);
      expect(res.headers['content-security-policy'], url).toBe(CSP);
      expect(res.headers['cache-control'], url).toBe('no-store');
      expect(res.body, url).not.toMatch(/<script/i);
    }
    const css = await agent.get('/admin/assets/console.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
    // The nav the browser test follows.
    const dash = await agent.get('/admin');
    for (const label of [
      'Dashboard',
      'Users',
      'Listings',
      'Bookings',
      'Money',
      'Payouts',
      'Reviews',
      'Jobs',
      'Audit',
    ]) {
      expect(dash.body).toContain(`>${label}</a>`);
    }
    expect(dash.body).toContain('<svg class="chart"');
  });

  it('escapes user data', async () => {
    const admin = await createUser(t, 'admin');
    const evil = await createUser(t, 'guest');
    await t.ctx.db
      .updateTable('users')
      .set({ first_name: '<script>alert(1)</script>', last_name: '"><img src=x onerror=alert(2)>' })
      .where('id', '=', evil.id)
      .execute();
    const agent = await signedIn(admin);
    for (const url of [`/admin/users/${evil.id}`, `/admin/users?q=${encodeURIComponent(evil.email)}`]) {
      const res = await agent.get(url);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('<script>alert(1)</script>');
      expect(res.body).not.toContain('<img src=x');
      expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });
});

describe('bookings, listings, reviews, privacy', () => {
  it('cancels for the host with a full refund shown before confirming, then refunds part of another booking', async () => {
    const admin = await createUser(t, 'admin');
    const host = await createUser(t, 'host');
    const guest = await createUser(t, 'guest');
    const listing = await createListing(t, host);
    const booking = await insertBooking(t, {
      propertyId: listing.id,
      guestId: guest.id,
      checkIn: day(50),
      checkOut: day(53),
      status: 'confirmed',
    });
    const agent = await signedIn(admin);
    const detail = await agent.get(`/admin/bookings/${booking.id}`);
    expect(detail.body).toContain('id="booking-status">confirmed');
    const preview = await agent.get(`/admin/bookings/${booking.id}/cancel?onBehalfOf=host&refund=full`);
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain(`data-amount="${booking.total}"`);
    // Previewing changes nothing.
    const still = await t.ctx.db
      .selectFrom('bookings')
      .select('status')
      .where('id', '=', booking.id)
      .executeTakeFirstOrThrow();
    expect(still.status).toBe('confirmed');
    const res = await agent.post(`/admin/bookings/${booking.id}/cancel`, {
      onBehalfOf: 'host',
      refund: 'full',
      reason: 'Host called: flooded',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/bookings/${booking.id}`);
    const after = await agent.get(`/admin/bookings/${booking.id}`);
    expect(after.body).toContain('id="booking-status">cancelled_by_host');
    const cancelRows = await auditRows(admin.id, 'booking.cancel');
    expect(cancelRows).toHaveLength(1);
    expect(cancelRows[0]).toMatchObject({ object_id: booking.id, reason: 'Host called: flooded' });
    // Cancelling again is refused on the page.
    const again = await agent.post(`/admin/bookings/${booking.id}/cancel`, {
      onBehalfOf: 'host',
      refund: 'full',
      reason: 'twice',
    });
    expect(again.statusCode).toBeGreaterThanOrEqual(400);
    expect(again.body).toMatch(/id="flash" class="error"/);

    const other = await insertBooking(t, {
      propertyId: listing.id,
      guestId: guest.id,
      checkIn: day(60),
      checkOut: day(62),
      status: 'confirmed',
    });
    await agent.get(`/admin/bookings/${other.id}`);
    // Without the confirmation box: refused, nothing refunded.
    expect(
      (await agent.post(`/admin/bookings/${other.id}/refund`, { amount: '500', reason: 'late check-in' }))
        .statusCode,
    ).toBe(400);
    const refund = await agent.post(`/admin/bookings/${other.id}/refund`, {
      amount: '500',
      reason: 'late check-in',
      confirm: 'yes',
    });
    expect(refund.statusCode).toBe(303);
    const refunds = await t.ctx.db
      .selectFrom('refunds')
      .select(['amount'])
      .where('booking_id', '=', other.id)
      .execute();
    expect(refunds.map((r) => Number(r.amount))).toEqual([500]);
    expect(await auditRows(admin.id, 'booking.refund')).toHaveLength(1);
  });

  it('unlists and relists a listing with a reason', async () => {
    const admin = await createUser(t, 'admin');
    const host = await createUser(t, 'host');
    const listing = await createListing(t, host);
    const agent = await signedIn(admin);
    const page = await agent.get(`/admin/listings/${listing.id}`);
    expect(page.body).toContain('data-action="unlist"');
    expect(
      (await agent.post(`/admin/listings/${listing.id}/unlist`, { reason: 'fake photos' })).statusCode,
    ).toBe(303);
    let row = await t.ctx.db
      .selectFrom('properties')
      .select(['status', 'unlisted_reason'])
      .where('id', '=', listing.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'unlisted', unlisted_reason: 'fake photos' });
    const list = await agent.get('/admin/listings?status=unlisted');
    expect(list.body).toContain(`data-listing-id="${listing.id}"`);
    await agent.get(`/admin/listings/${listing.id}`);
    expect(
      (await agent.post(`/admin/listings/${listing.id}/relist`, { reason: 'photos fixed' })).statusCode,
    ).toBe(303);
    row = await t.ctx.db
      .selectFrom('properties')
      .select(['status', 'unlisted_reason'])
      .where('id', '=', listing.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('listed');
    expect(
      (await auditRows(admin.id)).filter((r) => r.object_id === listing.id && r.action !== 'view'),
    ).toHaveLength(2);
  });

  it('hides and unhides a review with a reason', async () => {
    const admin = await createUser(t, 'admin');
    const host = await createUser(t, 'host');
    const guest = await createUser(t, 'guest');
    const listing = await createListing(t, host);
    const past = await insertBooking(t, {
      propertyId: listing.id,
      guestId: guest.id,
      checkIn: day(-6),
      checkOut: day(-3),
      status: 'completed',
    });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: guest.auth,
      payload: {
        bookingId: past.id,
        rating: 2,
        cleanliness: 2,
        accuracy: 2,
        communication: 2,
        location: 2,
        checkIn: 2,
        value: 2,
        body: 'Pay me outside the platform <b>please</b>, it is cheaper.',
      },
    });
    expect(created.statusCode).toBe(201);
    const reviewId = created.json().id as string;
    const agent = await signedIn(admin);
    const list = await agent.get(`/admin/reviews?propertyId=${listing.id}`);
    expect(list.body).toContain(`data-review-id="${reviewId}"`);
    expect(list.body).toContain('&lt;b&gt;please&lt;/b&gt;');
    expect(
      (await agent.post(`/admin/reviews/${reviewId}/hide`, { reason: 'off-platform payment' })).statusCode,
    ).toBe(303);
    const hidden = await t.ctx.db
      .selectFrom('reviews')
      .select(['hidden_at', 'hidden_reason'])
      .where('id', '=', reviewId)
      .executeTakeFirstOrThrow();
    expect(hidden.hidden_at).not.toBeNull();
    expect(hidden.hidden_reason).toBe('off-platform payment');
    const hiddenList = await agent.get('/admin/reviews?hidden=yes');
    expect(hiddenList.body).toContain(`data-review-id="${reviewId}"`);
    expect(
      (await agent.post(`/admin/reviews/${reviewId}/unhide`, { reason: 'appeal accepted' })).statusCode,
    ).toBe(303);
    const shown = await t.ctx.db
      .selectFrom('reviews')
      .select('hidden_at')
      .where('id', '=', reviewId)
      .executeTakeFirstOrThrow();
    expect(shown.hidden_at).toBeNull();
  });

  it('exports a user as a JSON download and erases them after a typed confirmation', async () => {
    const admin = await createUser(t, 'admin');
    const guest = await createUser(t, 'guest');
    const agent = await signedIn(admin);
    const page = await agent.get(`/admin/users/${guest.id}`);
    expect(page.body).toContain('id="export-link"');
    const exported = await agent.get(`/admin/users/${guest.id}/export`);
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-disposition']).toContain('attachment');
    expect(exported.body).toContain(guest.email);
    expect(await auditRows(admin.id, 'user.export')).toHaveLength(1);
    // The confirmation must be typed.
    expect(
      (await agent.post(`/admin/users/${guest.id}/erase`, { reason: 'GDPR request 7', confirm: 'yes' }))
        .statusCode,
    ).toBe(400);
    const erase = await agent.post(`/admin/users/${guest.id}/erase`, {
      reason: 'GDPR request 7',
      confirm: 'erase',
    });
    expect(erase.statusCode).toBe(303);
    const row = await t.ctx.db
      .selectFrom('users')
      .select(['deleted_at', 'email'])
      .where('id', '=', guest.id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect(row.email).not.toBe(guest.email);
  });

  it('filters the audit log', async () => {
    const admin = await createUser(t, 'admin');
    const victim = await createUser(t, 'guest');
    const agent = await signedIn(admin);
    await agent.get(`/admin/users/${victim.id}`);
    await agent.post(`/admin/users/${victim.id}/suspend`, { reason: 'audit filter test' });
    const all = await agent.get(`/admin/audit?actorId=${admin.id}`);
    expect(all.body).toContain('data-action="view"');
    const changes = await agent.get(`/admin/audit?actorId=${admin.id}&changesOnly=1`);
    expect(changes.body).not.toContain('data-action="view"');
    expect(changes.body).toContain('data-action="user.suspend"');
    expect(changes.body).toContain('audit filter test');
    const byObject = await agent.get(
      `/admin/audit?objectType=user&objectId=${victim.id}&action=user.suspend`,
    );
    expect(byObject.body.match(/data-audit-id=/g)).toHaveLength(1);
  });
});

describe('jobs', () => {
  it('lists failed jobs with their payload and retries one (audited)', async () => {
    const queue = createInlineQueue({
      doomed: defineJob({
        name: 'doomed',
        schema: Type.Object({ n: Type.Integer() }),
        attempts: 1,
        backoffMs: 10,
        handler: async ({ n }) => {
          throw new Error(`doomed <${n}>`);
        },
      }),
    });
    const jt = await createTestApp({ queue, database: t.database });
    try {
      await queue.enqueue('doomed', { n: 7 }, { jobId: 'doomed-7' });
      await queue.idle();
      const admin = await createUser(jt, 'admin');
      const agent = new Agent();
      const app = t;
      t = jt;
      try {
        expect((await agent.login(admin)).statusCode).toBe(303);
        const list = await agent.get('/admin/jobs');
        expect(list.statusCode).toBe(200);
        expect(list.body).toContain('data-job-id="doomed-7"');
        expect(list.body).toContain('doomed &lt;7&gt;');
        const one = await agent.get('/admin/jobs/doomed-7');
        expect(one.body).toContain('&quot;n&quot;: 7');
        const retry = await agent.post('/admin/jobs/doomed-7/retry', {});
        expect(retry.statusCode).toBe(303);
        await queue.idle();
        const rows = await auditRows(admin.id, 'job.retry');
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ object_id: 'doomed-7', object_type: 'job' });
        const unknown = await agent.post('/admin/jobs/nope/retry', {});
        expect(unknown.statusCode).toBe(404);
        expect(await auditRows(admin.id, 'job.retry')).toHaveLength(1);
      } finally {
        t = app;
      }
    } finally {
      await jt.close();
      await queue.close();
    }
  });

  it('says so when no queue is configured', async () => {
    const admin = await createUser(t, 'admin');
    const agent = await signedIn(admin);
    const res = await agent.get('/admin/jobs');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('id="queue-not-configured"');
  });
});

describe('payouts', () => {
  /** A host with an enabled sandbox payout account, and a listing. */
  async function payoutHost() {
    const host = await createUser(t, 'host');
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/v1/host/payout-account',
      headers: host.auth,
      payload: { country: 'PT', currency: 'EUR' },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const listing = await createListing(t, host, { nightlyPrice: 10_000 });
    return { host, listing };
  }
  let stayNo = 0;
  /** A past stay of the host's, released now through the flow, its transfer paid or failed for good. */
  async function payoutOf(host: TestUser, listingId: string, outcome: 'paid' | 'failed') {
    const guest = await createUser(t, 'guest');
    const from = -40 + stayNo++ * 3;
    const b = await insertBooking(t, {
      guestId: guest.id,
      propertyId: listingId,
      checkIn: day(from),
      checkOut: day(from + 2),
      status: 'completed',
    });
    const sandbox = t.ctx.payments['sandbox'] as SandboxProvider;
    const attempts = t.ctx.config.PAYOUT_MAX_ATTEMPTS;
    if (outcome === 'failed') sandbox.queueTransferOutcome('failed', attempts);
    const released = await releaseStay(t.ctx, { id: b.id, host_id: host.id });
    expect(released).toMatchObject({ status: 'scheduled' });
    let p = await attemptTransfer(t.ctx, released!.id);
    for (let i = 1; i < attempts && p.status === 'scheduled'; i++) p = await attemptTransfer(t.ctx, p.id);
    expect(p.status).toBe(outcome);
    return { booking: b, payout: p };
  }
  const statusOf = async (id: string) =>
    (await t.ctx.db.selectFrom('payouts').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  it('lists payouts with their booking, host, amount, status, attempts and error; filters; admins only', async () => {
    const admin = await createUser(t, 'admin');
    const { host, listing } = await payoutHost();
    const failed = await payoutOf(host, listing.id, 'failed');
    const paid = await payoutOf(host, listing.id, 'paid');
    const other = await payoutHost();
    const elsewhere = await payoutOf(other.host, other.listing.id, 'paid');
    const agent = await signedIn(admin);

    const all = await agent.get('/admin/payouts');
    expect(all.statusCode, all.body.slice(0, 2000)).toBe(200);
    expect(all.headers['content-security-policy']).toBe(CSP);
    expect(all.body).not.toMatch(/<script/i);
    const row = (html: string, id: string) =>
      new RegExp(`<tr data-payout-id="${id}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
    const failedRow = row(all.body, failed.payout.id);
    expect(failedRow).toContain('data-status="failed"');
    expect(failedRow).toContain(`href="/admin/bookings/${failed.booking.id}"`);
    expect(failedRow).toContain(`href="/admin/users/${host.id}"`);
    expect(failedRow).toContain(`${(failed.payout.amount / 100).toFixed(2)} EUR`);
    expect(failedRow).toContain(`<td class="num">${t.ctx.config.PAYOUT_MAX_ATTEMPTS}</td>`);
    expect(failedRow).toContain('account_closed');
    expect(failedRow).toContain(`action="/admin/payouts/${failed.payout.id}/retry"`);
    expect(failedRow).toMatch(/name="_csrf" value="[^"]+"/);
    const paidRow = row(all.body, paid.payout.id);
    expect(paidRow).toContain('data-status="paid"');
    expect(paidRow).not.toContain('data-action="retry-payout"');
    expect(all.body).toContain(`data-payout-id="${elsewhere.payout.id}"`);

    // Filters: by status, by host, both; each keeps only what matches.
    const ids = (html: string) => [...html.matchAll(/data-payout-id="([^"]+)"/g)].map((m) => m[1]);
    const failedOnly = await agent.get('/admin/payouts?status=failed');
    expect(ids(failedOnly.body)).toContain(failed.payout.id);
    expect(ids(failedOnly.body)).not.toContain(paid.payout.id);
    expect(failedOnly.body).toContain('<option value="failed" selected>');
    const byHost = await agent.get(`/admin/payouts?hostId=${host.id}`);
    expect(ids(byHost.body).sort()).toEqual([failed.payout.id, paid.payout.id].sort());
    const paidOfHost = await agent.get(`/admin/payouts?status=paid&hostId=${host.id}`);
    expect(ids(paidOfHost.body)).toEqual([paid.payout.id]);
    const none = await agent.get(`/admin/payouts?status=failed&hostId=${other.host.id}`);
    expect(ids(none.body)).toEqual([]);
    expect(none.body).toContain('No payouts match.');
    for (const url of ['/admin/payouts?status=bogus', '/admin/payouts?hostId=nope', '/admin/payouts?x=1']) {
      const res = await agent.get(url);
      expect(res.statusCode, url).toBe(400);
    }

    // In the nav, on the Money page, and on the dashboard (the failed count links to the filtered list).
    expect(all.body).toMatch(/<a href="\/admin\/payouts" data-testid="nav-payouts" class="active"/);
    expect((await agent.get('/admin/money')).body).toContain('id="payouts-list-link" href="/admin/payouts"');
    const dash = await agent.get('/admin');
    const counts = await t.ctx.db
      .selectFrom('payouts')
      .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
      .groupBy('status')
      .execute();
    const count = (s: string) => Number(counts.find((c) => c.status === s)?.n ?? 0);
    expect(count('failed')).toBeGreaterThanOrEqual(1);
    expect(dash.body).toMatch(
      new RegExp(
        `id="card-payouts-failed">.*?<a href="/admin/payouts\\?status=failed">${count('failed')}</a>`,
      ),
    );
    expect(dash.body).toMatch(
      new RegExp(
        `id="card-payouts-pending">.*?<a href="/admin/payouts\\?status=pending">${count('pending')}</a>`,
      ),
    );
    const paidRows = await t.ctx.db
      .selectFrom('payouts')
      .select(['amount', 'paid_at'])
      .where('status', '=', 'paid')
      .where('currency', '=', 'EUR')
      .execute();
    const today = new Date().toISOString().slice(0, 10);
    const paidToday = paidRows
      .filter((r) => new Date(r.paid_at!).toISOString().slice(0, 10) === today)
      .reduce((s, r) => s + Number(r.amount), 0);
    expect(paidToday).toBe(paid.payout.amount + elsewhere.payout.amount);
    expect(dash.body).toContain(`<span class="paid-today">${(paidToday / 100).toFixed(2)} EUR</span>`);

    // Nobody else: no cookie, a bearer token, a session whose admin was demoted.
    const anon = await new Agent().get('/admin/payouts');
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toBe('/admin/login');
    const bearer = await t.app.inject({ method: 'GET', url: '/admin/payouts', headers: host.auth });
    expect(bearer.statusCode).toBe(303);
    const demoted = await createUser(t, 'admin');
    const demotedAgent = await signedIn(demoted);
    const demote = await agent.post(`/admin/users/${demoted.id}/role`, { role: 'guest', reason: 'left' });
    expect(demote.statusCode).toBe(303);
    const refused = await demotedAgent.get('/admin/payouts');
    expect(refused.statusCode).toBe(403);
    expect(refused.body).not.toContain(failed.payout.id);
    const refusedRetry = await demotedAgent.post(`/admin/payouts/${failed.payout.id}/retry`, {});
    expect(refusedRetry.statusCode).toBe(403);
    expect(await statusOf(failed.payout.id)).toBe('failed');
  });

  it('pages through a long list with keyset cursors, keeping the filters', async () => {
    const admin = await createUser(t, 'admin');
    const { host, listing } = await payoutHost();
    const ids: string[] = [];
    for (let i = 0; i < 27; i++) {
      const b = await insertBooking(t, {
        guestId: (await createUser(t, 'guest')).id,
        propertyId: listing.id,
        checkIn: day(100 + i * 2),
        checkOut: day(101 + i * 2),
      });
      const id = randomUUID();
      ids.push(id);
      await t.ctx.db
        .insertInto('payouts')
        .values({
          id,
          booking_id: b.id,
          host_id: host.id,
          amount: 100 + i,
          currency: 'EUR',
          status: i === 0 ? 'failed' : 'paid',
          provider: 'sandbox',
          provider_ref: null,
          transfer_key: id,
          ledger_ref: id,
          attempts: 1,
          last_error: null,
          release_at: new Date(),
          paid_at: new Date(),
        })
        .execute();
    }
    const agent = await signedIn(admin);
    const shown = (html: string) => [...html.matchAll(/data-payout-id="([^"]+)"/g)].map((m) => m[1]!);
    const first = await agent.get(`/admin/payouts?status=paid&hostId=${host.id}`);
    expect(shown(first.body)).toHaveLength(25);
    const next = /id="next-page" rel="next" href="([^"]+)"/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toMatch(/^\/admin\/payouts\?status=paid&hostId=[0-9a-f-]+&cursor=/);
    const second = await agent.get(next!);
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('id="last-page"');
    const all = [...shown(first.body), ...shown(second.body)];
    // Every paid one once, newest first; the failed one filtered out.
    expect(all).toEqual(ids.slice(1).sort().reverse());
    const bad = await agent.get(`/admin/payouts?hostId=${host.id}&cursor=not-a-cursor`);
    expect(bad.statusCode).toBe(400);
  });

  it('retries a failed payout from its form: CSRF required, through retryPayout, audited exactly once', async () => {
    const admin = await createUser(t, 'admin');
    const { host, listing } = await payoutHost();
    const { booking, payout } = await payoutOf(host, listing.id, 'failed');
    const sandbox = t.ctx.payments['sandbox'] as SandboxProvider;
    const moved = () => sandbox.executedTransfers().filter((x) => x.metadata.bookingId === booking.id);
    expect(moved()).toHaveLength(0);
    const agent = await signedIn(admin);
    await agent.get('/admin/payouts?status=failed');
    const url = `/admin/payouts/${payout.id}/retry`;

    for (const csrf of [null, 'forged-token', '']) {
      const res = await agent.post(url, { reason: 'csrf attempt' }, csrf);
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('did not come from this console');
    }
    expect(await statusOf(payout.id)).toBe('failed');
    expect(await auditRows(admin.id, 'payout.retry')).toHaveLength(0);
    expect(moved()).toHaveLength(0);

    const requestId = `console-payout-retry-${randomUUID()}`;
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: {
        cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'content-type': 'application/x-www-form-urlencoded',
        'x-request-id': requestId,
      },
      payload: new URLSearchParams({ _csrf: agent.csrf, reason: 'Host fixed their IBAN' }).toString(),
    });
    agent.remember(res);
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe(`/admin/payouts?hostId=${host.id}`);
    const after = await t.ctx.db
      .selectFrom('payouts')
      .selectAll()
      .where('id', '=', payout.id)
      .executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'paid', attempts: 1, last_error: null });
    expect(Number(after.amount)).toBe(payout.amount);
    expect(moved()).toMatchObject([{ amount: payout.amount, idempotencyKey: after.transfer_key }]);
    const rows = await t.ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('request_id', '=', requestId)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_id: admin.id,
      action: 'payout.retry',
      object_type: 'payout',
      object_id: payout.id,
      reason: 'Host fixed their IBAN',
    });
    const shown = await agent.get(res.headers.location as string);
    expect(shown.body).toMatch(/id="flash" class="ok"/);
    expect(shown.body).toContain(`Payout ${payout.id} released again: paid.`);

    // Not failed any more: refused on the page (409), nothing audited or transferred again.
    const again = await agent.post(url, {});
    expect(again.statusCode).toBe(409);
    expect(again.body).toMatch(/id="flash" class="error"/);
    expect(again.body).toContain('Only a failed payout can be retried');
    const missing = await agent.post('/admin/payouts/00000000-0000-4000-8000-000000000000/retry', {});
    expect(missing.statusCode).toBe(404);
    const tooLong = await agent.post(url, { reason: 'x'.repeat(501) });
    expect(tooLong.statusCode).toBe(400);
    expect(await auditRows(admin.id, 'payout.retry')).toHaveLength(1);
    expect(moved()).toHaveLength(1);
  });
});

describe('sign-in limits', () => {
  it('ends a console session after ADMIN_SESSION_HOURS', async () => {
    let now = Date.now();
    const ct = await createTestApp({
      database: t.database,
      now: () => new Date(now),
      env: { ADMIN_SESSION_HOURS: '2' },
    });
    const app = t;
    t = ct;
    try {
      const admin = await createUser(ct, 'admin');
      const agent = new Agent();
      const res = await agent.login(admin);
      expect(res.statusCode).toBe(303);
      const cookie = (res.cookies as { name: string; maxAge?: number }[]).find(
        (c) => c.name === 'roost_admin',
      );
      expect(cookie?.maxAge).toBe(2 * 3600);
      now += 1.5 * 3_600_000;
      expect((await agent.get('/admin/users')).statusCode).toBe(200);
      now += 1 * 3_600_000;
      const late = await agent.get('/admin/users');
      expect(late.statusCode).toBe(303);
      expect(late.headers.location).toBe('/admin/login');
    } finally {
      t = app;
      await ct.close();
    }
  });

  it('rate-limits sign-in attempts like the API does', async () => {
    const rt = await createTestApp({ database: t.database, env: { RATE_LIMIT_AUTH_MAX: '2' } });
    const app = t;
    t = rt;
    try {
      const agent = new Agent();
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          (await agent.login({ email: 'nobody@example.com', password: 'wrong-password-1' })).statusCode,
        );
      }
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      t = app;
      await rt.close();
    }
  });
});
