/** The admin API over users: search, detail, role, suspension and sign-out-everywhere, with their audit rows. */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBooking, insertUser } from '../../../test/support/factories.js';
import { createListing } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';

let t: TestApp;
let admin: TestUser;
beforeAll(async () => {
  t = await createTestApp();
  admin = await createUser(t, 'admin');
});
afterAll(() => t.close());

const MISSING = '0193a5b2-0000-7000-8000-000000000000';

function auditRows(objectId: string) {
  return t.ctx.db
    .selectFrom('audit_log')
    .selectAll()
    .where('object_id', '=', objectId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

const get = (url: string, user?: TestUser) =>
  t.app.inject({ method: 'GET', url, ...(user ? { headers: user.auth } : {}) });
const post = (url: string, user: TestUser | undefined, payload?: object) =>
  t.app.inject({
    method: 'POST',
    url,
    ...(user ? { headers: user.auth } : {}),
    ...(payload ? { payload } : {}),
  });

function expectAdminOnly(res: {
  guest: LightMyRequestResponse;
  host: LightMyRequestResponse;
  anon: LightMyRequestResponse;
}) {
  expectProblem(res.guest, 403);
  expectProblem(res.host, 403);
  expectProblem(res.anon, 401);
}

describe('GET /api/v1/admin/users', () => {
  it('is for admins only', async () => {
    const guest = await createUser(t);
    const host = await createUser(t, 'host');
    for (const url of ['/api/v1/admin/users', `/api/v1/admin/users/${guest.id}`]) {
      expectAdminOnly({ guest: await get(url, guest), host: await get(url, host), anon: await get(url) });
    }
    expectAdminOnly({
      guest: await post(`/api/v1/admin/users/${host.id}/sign-out-everywhere`, guest),
      host: await post(`/api/v1/admin/users/${guest.id}/sign-out-everywhere`, host),
      anon: await post(`/api/v1/admin/users/${guest.id}/sign-out-everywhere`, undefined),
    });
  });

  it('searches by part of the email or name, literally, by role and status, in keyset pages', async () => {
    const tag = `zq${Date.now().toString(36)}`;
    const a = await insertUser(t, { email: `${tag}.ana@example.com`, firstName: 'Ana', lastName: 'Solé' });
    const b = await insertUser(t, {
      email: `b.${Date.now()}@example.com`,
      firstName: `Bea${tag}`,
      lastName: 'Ruiz',
      role: 'host',
    });
    const c = await insertUser(t, {
      email: `c.${Date.now()}@example.com`,
      firstName: 'Cai',
      lastName: `X${tag.toUpperCase()}`,
    });
    const pct = await insertUser(t, { email: `${tag}_100%@example.com`, firstName: 'P', lastName: 'Q' });
    await t.ctx.db.updateTable('users').set({ suspended_at: new Date() }).where('id', '=', c.id).execute();

    const all = await get(`/api/v1/admin/users?q=${tag}`, admin);
    expect(all.statusCode).toBe(200);
    // Newest first, matching email, first name or last name (case-insensitive).
    expect(all.json().items.map((u: { id: string }) => u.id)).toEqual([pct.id, c.id, b.id, a.id]);
    expect(all.json().items[1]).toEqual({
      id: c.id,
      email: c.email,
      firstName: 'Cai',
      lastName: `X${tag.toUpperCase()}`,
      role: 'guest',
      suspended: true,
      deleted: false,
      createdAt: expect.any(String),
    });

    // LIKE wildcards match literally: `%` and `_` are not patterns.
    const literal = await get(`/api/v1/admin/users?q=${encodeURIComponent(`${tag}_100%`)}`, admin);
    expect(literal.json().items.map((u: { id: string }) => u.id)).toEqual([pct.id]);
    const wild = await get(`/api/v1/admin/users?q=${encodeURIComponent(`${tag}%ana`)}`, admin);
    expect(wild.json().items).toEqual([]);

    const hosts = await get(`/api/v1/admin/users?q=${tag}&role=host`, admin);
    expect(hosts.json().items.map((u: { id: string }) => u.id)).toEqual([b.id]);
    const suspended = await get(`/api/v1/admin/users?q=${tag}&status=suspended`, admin);
    expect(suspended.json().items.map((u: { id: string }) => u.id)).toEqual([c.id]);
    const active = await get(`/api/v1/admin/users?q=${tag}&status=active`, admin);
    expect(active.json().items.map((u: { id: string }) => u.id)).toEqual([pct.id, b.id, a.id]);
    await t.ctx.db.updateTable('users').set({ deleted_at: new Date() }).where('id', '=', a.id).execute();
    const deleted = await get(`/api/v1/admin/users?q=${tag}&status=deleted`, admin);
    expect(deleted.json().items).toEqual([expect.objectContaining({ id: a.id, deleted: true })]);

    // Keyset pages of two.
    const p1 = await get(`/api/v1/admin/users?q=${tag}&limit=2`, admin);
    expect(p1.json().items.map((u: { id: string }) => u.id)).toEqual([pct.id, c.id]);
    const cursor = p1.json().nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    const p2 = await get(`/api/v1/admin/users?q=${tag}&limit=2&cursor=${cursor}`, admin);
    expect(p2.json().items.map((u: { id: string }) => u.id)).toEqual([b.id, a.id]);
    expect(p2.json().nextCursor).toBeNull();

    // Bounded input.
    expectProblem(await get(`/api/v1/admin/users?q=${'x'.repeat(255)}`, admin), 400, 'validation_error');
    expectProblem(await get('/api/v1/admin/users?status=gone', admin), 400, 'validation_error');
    expectProblem(await get('/api/v1/admin/users?limit=101', admin), 400, 'validation_error');
    expectProblem(await get('/api/v1/admin/users?cursor=garbage', admin), 400, 'invalid_cursor');

    // Each read is one `view` row.
    const views = await t.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'object_type', 'after', 'request_id'])
      .where('request_id', '=', String(all.headers['x-request-id']))
      .execute();
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ action: 'view', object_type: 'route' });
    expect(json(views[0]?.after)).toEqual({ route: 'GET /api/v1/admin/users' });
  });
});

describe('GET /api/v1/admin/users/:id', () => {
  it('shows the account, its open sessions, its bookings and its listings; 404 for an unknown id', async () => {
    const guest = await createUser(t);
    const host = await createUser(t, 'host');
    const listing = await createListing(t, host, { title: 'Admin detail loft' });
    const booking = await insertBooking(t, {
      guestId: guest.id,
      propertyId: listing.id,
      checkIn: '2031-03-01',
      checkOut: '2031-03-04',
    });
    const res = await get(`/api/v1/admin/users/${guest.id}`, admin);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user).toMatchObject({
      id: guest.id,
      email: guest.email,
      role: 'guest',
      suspended: false,
      deleted: false,
      emailVerified: false,
      totpEnabled: false,
    });
    expect(body.sessions).toEqual([
      {
        id: expect.any(String),
        kind: 'api',
        createdAt: expect.any(String),
        lastUsedAt: null,
        ip: expect.anything(),
        userAgent: expect.anything(),
      },
    ]);
    expect(JSON.stringify(body.sessions)).not.toContain(guest.refreshToken);
    expect(body.bookings).toEqual([
      {
        id: booking.id,
        propertyId: listing.id,
        checkIn: '2031-03-01',
        checkOut: '2031-03-04',
        status: 'confirmed',
        total: booking.total,
        currency: 'EUR',
      },
    ]);
    expect(body.listings).toEqual([]);

    const hostView = (await get(`/api/v1/admin/users/${host.id}`, admin)).json();
    expect(hostView.listings).toEqual([
      expect.objectContaining({
        id: listing.id,
        title: 'Admin detail loft',
        status: 'listed',
        hostId: host.id,
      }),
    ]);
    expect(hostView.bookings).toEqual([]);

    expectProblem(await get(`/api/v1/admin/users/${MISSING}`, admin), 404, 'not_found');
    expectProblem(await get('/api/v1/admin/users/not-a-uuid', admin), 400, 'validation_error');
  });
});

describe('suspension and role, audited', () => {
  it('suspending cuts the guest off at once and writes one user.suspend row for the request', async () => {
    const guest = await createUser(t);
    expect((await get('/api/v1/users/me', guest)).statusCode).toBe(200);
    const res = await post(`/api/v1/users/${guest.id}/suspend`, admin, { reason: 'Chargeback fraud' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: guest.id, suspended: true });
    // The guest's existing access token stops working on the very next request.
    expectProblem(await get('/api/v1/users/me', guest), 401);

    const rows = await auditRows(guest.id);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row).toMatchObject({
      actor_id: admin.id,
      action: 'user.suspend',
      object_type: 'user',
      object_id: guest.id,
      reason: 'Chargeback fraud',
      request_id: res.headers['x-request-id'],
    });
    expect(json(row?.before)).toEqual({ suspended: false });
    expect(json(row?.after)).toEqual({ suspended: true });
    expect(row?.ip).toEqual(expect.any(String));

    // Reinstating: bodiless POST works too; one more row, without a reason.
    const back = await post(`/api/v1/users/${guest.id}/unsuspend`, admin);
    expect(back.statusCode).toBe(200);
    const after = await auditRows(guest.id);
    expect(after.map((r) => r.action)).toEqual(['user.suspend', 'user.unsuspend']);
    expect(after[1]).toMatchObject({ reason: null, request_id: back.headers['x-request-id'] });

    // Refused requests write nothing.
    expectProblem(await post(`/api/v1/users/${guest.id}/suspend`, guest), 401);
    expectProblem(await post(`/api/v1/users/${MISSING}/suspend`, admin, { reason: 'x' }), 404);
    expectProblem(await post(`/api/v1/users/${admin.id}/suspend`, admin), 409, 'cannot_suspend_self');
    expectProblem(
      await post(`/api/v1/users/${guest.id}/suspend`, admin, { reason: 'x'.repeat(1001) }),
      400,
      'validation_error',
    );
    expect(await auditRows(guest.id)).toHaveLength(2);
    expect(await auditRows(MISSING)).toHaveLength(0);
  });

  it('a role change writes one user.role row with the old and new role', async () => {
    const guest = await createUser(t);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${guest.id}/role`,
      headers: admin.auth,
      payload: { role: 'host', reason: 'Verified host application' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().role).toBe('host');
    const rows = await auditRows(guest.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'user.role',
      reason: 'Verified host application',
      request_id: res.headers['x-request-id'],
    });
    expect(json(rows[0]?.before)).toEqual({ role: 'guest' });
    expect(json(rows[0]?.after)).toEqual({ role: 'host' });
    // Without a reason, still audited.
    const again = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${guest.id}/role`,
      headers: admin.auth,
      payload: { role: 'guest' },
    });
    expect(again.statusCode).toBe(200);
    expect((await auditRows(guest.id)).map((r) => r.action)).toEqual(['user.role', 'user.role']);
    expectProblem(
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${MISSING}/role`,
        headers: admin.auth,
        payload: { role: 'host' },
      }),
      404,
    );
    expect(await auditRows(MISSING)).toHaveLength(0);
  });
});

describe('POST /api/v1/admin/users/:id/sign-out-everywhere', () => {
  it('revokes every session: access tokens fail at once, refresh tokens are refused; one row', async () => {
    const guest = await createUser(t);
    // A second session (another device).
    const login = await post('/api/v1/auth/login', undefined, {
      email: guest.email,
      password: guest.password,
    });
    expect(login.statusCode).toBe(200);
    const second = login.json() as { accessToken: string; refreshToken: string };

    const res = await post(`/api/v1/admin/users/${guest.id}/sign-out-everywhere`, admin, {
      reason: 'Account takeover reported',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ revoked: 2 });

    expectProblem(await get('/api/v1/users/me', guest), 401);
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${second.accessToken}` },
      }),
      401,
    );
    for (const refreshToken of [guest.refreshToken, second.refreshToken]) {
      expectProblem(await post('/api/v1/auth/refresh', undefined, { refreshToken }), 401, 'session_revoked');
    }

    const rows = await auditRows(guest.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_id: admin.id,
      action: 'user.sign_out_everywhere',
      object_type: 'user',
      reason: 'Account takeover reported',
      request_id: res.headers['x-request-id'],
    });
    expect(json(rows[0]?.after)).toEqual({ revoked: 2 });

    // The account is not suspended: signing in again works; the detail shows just that session.
    const relogin = await post('/api/v1/auth/login', undefined, {
      email: guest.email,
      password: guest.password,
    });
    expect(relogin.statusCode).toBe(200);
    const detail = (await get(`/api/v1/admin/users/${guest.id}`, admin)).json();
    expect(detail.sessions).toHaveLength(1);

    // Bodiless works; unknown user 404 and no row.
    const bare = await post(`/api/v1/admin/users/${guest.id}/sign-out-everywhere`, admin);
    expect(bare.json()).toEqual({ revoked: 1 });
    expectProblem(await post(`/api/v1/admin/users/${MISSING}/sign-out-everywhere`, admin), 404);
    expect(await auditRows(MISSING)).toHaveLength(0);
  });
});
