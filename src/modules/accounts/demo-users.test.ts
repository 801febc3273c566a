import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.js';
import { DEMO_PASSWORD, seedDemoUsers } from './demo-users.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('demo seed', () => {
  it('creates the three demo users once, and they can sign in with their roles', async () => {
    const first = await seedDemoUsers(t.ctx.db);
    const second = await seedDemoUsers(t.ctx.db);
    expect(first.map((u) => u.created)).toEqual([true, true, true]);
    expect(second.map((u) => u.created)).toEqual([false, false, false]);
    expect(second.map((u) => u.id)).toEqual(first.map((u) => u.id));
    const rows = await t.ctx.db
      .selectFrom('users')
      .select(['email', 'role'])
      .where('email', 'like', '%@roost.dev')
      .orderBy('email')
      .execute();
    expect(rows).toEqual([
      { email: 'admin@roost.dev', role: 'admin' },
      { email: 'guest@roost.dev', role: 'guest' },
      { email: 'host@roost.dev', role: 'host' },
    ]);
    for (const u of first) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: u.email, password: DEMO_PASSWORD },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().user.role).toBe(u.role);
    }
  });
});
