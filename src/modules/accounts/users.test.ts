import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, createUser, expectProblem, type TestApp } from '../../../test/support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('profile', () => {
  it('reads and updates the signed-in user, validating fields', async () => {
    const u = await createUser(t);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: u.auth,
      payload: { firstName: '  Grace ', phone: '+1 (555) 010-9999' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      firstName: 'Grace',
      phone: '+1 (555) 010-9999',
      lastName: 'guest',
    });
    const row = await t.ctx.db
      .selectFrom('users')
      .select(['first_name', 'phone'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ first_name: 'Grace', phone: '+1 (555) 010-9999' });

    const bad = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: u.auth,
      payload: { firstName: '', phone: 'call me', role: 'admin' },
    });
    const body = expectProblem(bad, 400, 'validation_error');
    expect(body.errors?.map((e) => e.field).sort()).toEqual(['firstName', 'phone', 'role']);
    // Nothing changed, and the role cannot be set through the profile.
    const after = await t.ctx.db
      .selectFrom('users')
      .select(['first_name', 'role'])
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ first_name: 'Grace', role: 'guest' });
  });

  it('turns a guest into a host once', async () => {
    const u = await createUser(t);
    // A bodiless POST that still says it is JSON, as many clients send it.
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users/me/become-host',
      headers: { ...u.auth, 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user).toMatchObject({ id: u.id, role: 'host' });
    expect(body.tokenType).toBe('Bearer');
    expect(body.expiresIn).toBeGreaterThan(0);
    expect(body.accessToken).toEqual(expect.any(String));
    // The fresh token is for the same session and works as a host straight away.
    const fresh = { authorization: `Bearer ${body.accessToken}` };
    const mine = await t.app.inject({ method: 'GET', url: '/api/v1/properties/mine', headers: fresh });
    expect(mine.statusCode).toBe(200);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/users/me', headers: fresh });
    expect(me.json().role).toBe('host');
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/api/v1/users/me/become-host', headers: u.auth }),
      409,
      'already_host',
    );
  });
});

describe('admin', () => {
  it('lets an admin list users with keyset paging and change roles', async () => {
    const admin = await createUser(t, 'admin');
    const created = [await createUser(t), await createUser(t), await createUser(t)];
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users',
        query: { limit: '2', ...(cursor ? { cursor } : {}) },
        headers: admin.auth,
      });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u: { id: string }) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    const total = await t.ctx.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(seen).toHaveLength(Number(total.n));
    expect(new Set(seen).size).toBe(seen.length);
    for (const u of created) expect(seen).toContain(u.id);

    const target = created[0]!;
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${target.id}/role`,
      headers: admin.auth,
      payload: { role: 'host' },
    });
    expect(res.statusCode).toBe(200);
    const row = await t.ctx.db
      .selectFrom('users')
      .select('role')
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    expect(row.role).toBe('host');

    expectProblem(
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${admin.id}/role`,
        headers: admin.auth,
        payload: { role: 'guest' },
      }),
      409,
      'cannot_demote_self',
    );
    expectProblem(
      await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/00000000-0000-7000-8000-000000000000/role',
        headers: admin.auth,
        payload: { role: 'host' },
      }),
      404,
    );
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: '/api/v1/users',
        query: { cursor: 'not-a-cursor' },
        headers: admin.auth,
      }),
      400,
      'invalid_cursor',
    );
  });

  it('refuses admin routes to guests and hosts (403) and to anonymous callers (401)', async () => {
    const guest = await createUser(t);
    const host = await createUser(t, 'host');
    for (const u of [guest, host]) {
      expectProblem(
        await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: u.auth }),
        403,
        'forbidden',
      );
      expectProblem(
        await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/users/${u.id}/role`,
          headers: u.auth,
          payload: { role: 'admin' },
        }),
        403,
        'forbidden',
      );
    }
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/users' }), 401, 'unauthorized');
    const row = await t.ctx.db
      .selectFrom('users')
      .select('role')
      .where('id', '=', guest.id)
      .executeTakeFirstOrThrow();
    expect(row.role).toBe('guest');
  });
});
