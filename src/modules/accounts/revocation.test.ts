/**
 * Revocation takes effect on the next request: an access token names its session, and every request
 * checks that session (through the cache, Redis here, like several API processes would share) and
 * reads the role from the user, not from the token.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  createUser,
  expectProblem,
  lastEmail,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';
import { RedisCache } from '../../platform/cache.js';

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/11';

for (const cacheKind of ['redis', 'memory'] as const) {
  describe(`revocation (session cache: ${cacheKind})`, () => {
    let t: TestApp;
    let redis: Redis | undefined;
    let second: TestApp | undefined;

    beforeAll(async () => {
      redis = cacheKind === 'redis' ? new Redis(REDIS_URL) : undefined;
      t = await createTestApp({ redis });
      // With Redis, a second API process on the same database and cache sees revocations at once too.
      if (redis) second = await createTestApp({ redis, database: t.database });
    });
    afterAll(async () => {
      await second?.close();
      await t.close();
      if (redis) {
        const keys = await redis.keys('roost:cache:session:*');
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
      }
    });

    const me = (app: TestApp, u: { accessToken: string }) =>
      app.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${u.accessToken}` },
      });
    const apps = () => [t, ...(second ? [second] : [])];

    /** The token works (so its session is cached) on every API process before the revocation. */
    async function warm(u: TestUser) {
      for (const app of apps()) expect((await me(app, u)).statusCode).toBe(200);
    }
    async function expectRevoked(u: { accessToken: string }, code = 'session_revoked') {
      for (const app of apps()) expectProblem(await me(app, u), 401, code);
    }

    it('logout ends the access token too', async () => {
      const u = await createUser(t);
      await warm(u);
      const out = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        payload: { refreshToken: u.refreshToken },
      });
      expect(out.statusCode).toBe(204);
      await expectRevoked(u);
    });

    it('refresh-token reuse revokes the access tokens of the whole family', async () => {
      const u = await createUser(t);
      await warm(u);
      const r1 = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: u.refreshToken },
      });
      expect(r1.statusCode).toBe(200);
      const rotated = r1.json() as { accessToken: string };
      for (const app of apps()) expect((await me(app, rotated)).statusCode).toBe(200);
      // The old refresh token again: reuse detected, the family is revoked.
      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: u.refreshToken },
        }),
        401,
        'refresh_token_reused',
      );
      await expectRevoked(u);
      await expectRevoked(rotated);
    });

    it('a password change ends every other session, and keeps the current one', async () => {
      const u = await createUser(t);
      const other = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: u.email, password: u.password },
      });
      const otherSession = other.json() as { accessToken: string };
      await warm(u);
      for (const app of apps()) expect((await me(app, otherSession)).statusCode).toBe(200);
      const changed = await t.app.inject({
        method: 'POST',
        url: '/api/v1/users/me/password',
        headers: u.auth,
        payload: { currentPassword: u.password, newPassword: 'another-horse-43' },
      });
      expect(changed.statusCode).toBe(204);
      await expectRevoked(otherSession);
      for (const app of apps()) expect((await me(app, u)).statusCode).toBe(200);
    });

    it('a password reset ends every session', async () => {
      const u = await createUser(t);
      await warm(u);
      const asked = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password-reset/request',
        payload: { email: u.email },
      });
      expect(asked.statusCode).toBe(202);
      const token = await waitFor(
        async () => (await lastEmail(t, u.email, 'password_reset').catch(() => null))?.token,
      );
      const confirmed = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password-reset/confirm',
        payload: { token, password: 'brand-new-pass-44' },
      });
      expect(confirmed.statusCode).toBe(204);
      await expectRevoked(u);
    });

    it('a demoted admin loses admin rights on the next request (403), a new host gains them', async () => {
      const root = await createUser(t, 'admin');
      const admin = await createUser(t, 'admin');
      for (const app of apps()) {
        const list = await app.app.inject({
          method: 'GET',
          url: '/api/v1/users?limit=1',
          headers: admin.auth,
        });
        expect(list.statusCode).toBe(200);
      }
      const demote = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${admin.id}/role`,
        headers: root.auth,
        payload: { role: 'guest' },
      });
      expect(demote.statusCode).toBe(200);
      for (const app of apps()) {
        expectProblem(
          await app.app.inject({ method: 'GET', url: '/api/v1/users?limit=1', headers: admin.auth }),
          403,
        );
      }

      // become-host: the same token can list a property straight away (no new login).
      const guest = await createUser(t);
      await warm(guest);
      const became = await t.app.inject({
        method: 'POST',
        url: '/api/v1/users/me/become-host',
        headers: guest.auth,
      });
      expect(became.statusCode).toBe(200);
      for (const app of apps()) {
        const mine = await app.app.inject({
          method: 'GET',
          url: '/api/v1/properties/mine',
          headers: guest.auth,
        });
        expect(mine.statusCode).toBe(200);
      }
    });

    it('suspension signs the user out everywhere and refuses sign-in until reinstated', async () => {
      const root = await createUser(t, 'admin');
      const u = await createUser(t, 'host');
      await warm(u);
      const post = (url: string, who: TestUser | null, payload?: object) =>
        t.app.inject({ method: 'POST', url, headers: who?.auth ?? {}, ...(payload ? { payload } : {}) });
      expectProblem(await post(`/api/v1/users/${u.id}/suspend`, u), 403);
      expectProblem(await post(`/api/v1/users/${root.id}/suspend`, root), 409, 'cannot_suspend_self');
      const suspended = await post(`/api/v1/users/${u.id}/suspend`, root);
      expect(suspended.statusCode).toBe(200);
      expect(suspended.json().suspended).toBe(true);
      for (const app of apps()) expectProblem(await me(app, u), 401, 'account_suspended');
      expectProblem(
        await post('/api/v1/auth/refresh', null, { refreshToken: u.refreshToken }),
        401,
        'session_revoked',
      );
      expectProblem(
        await post('/api/v1/auth/login', null, { email: u.email, password: u.password }),
        403,
        'account_suspended',
      );
      // A wrong password is answered as for anyone, without telling the account is suspended.
      expectProblem(
        await post('/api/v1/auth/login', null, { email: u.email, password: 'wrong-pass-99' }),
        401,
        'invalid_credentials',
      );

      expect((await post(`/api/v1/users/${u.id}/unsuspend`, root)).json().suspended).toBe(false);
      // Reinstating does not revive the old sessions; a new sign-in works.
      await expectRevoked(u);
      const again = await post('/api/v1/auth/login', null, { email: u.email, password: u.password });
      expect(again.statusCode).toBe(200);
      for (const app of apps()) expect((await me(app, again.json())).statusCode).toBe(200);
      expectProblem(await post(`/api/v1/users/00000000-0000-4000-8000-000000000000/suspend`, root), 404);
    });

    it('GET /users/me answers from the session entry, and every change to the user shows at once', async () => {
      const root = await createUser(t, 'admin');
      const u = await createUser(t);
      await warm(u);
      const queries = t.database.stats.queries;
      expect((await me(t, u)).json()).toMatchObject({ id: u.id, firstName: 'Test', emailVerified: false });
      expect(t.database.stats.queries).toBe(queries); // no query: the profile came with the session

      const renamed = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: u.auth,
        payload: { firstName: 'Renamed', phone: '+351 912 345 678' },
      });
      expect(renamed.statusCode).toBe(200);
      for (const app of apps()) {
        expect((await me(app, u)).json()).toMatchObject({ firstName: 'Renamed', phone: '+351 912 345 678' });
      }

      const resend = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/verify-email/resend',
        headers: u.auth,
      });
      expect(resend.statusCode).toBe(202);
      const mail = await lastEmail(t, u.email, 'verify_email');
      const verified = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/verify-email',
        payload: { token: mail.token },
      });
      expect(verified.statusCode).toBe(200);
      for (const app of apps()) expect((await me(app, u)).json().emailVerified).toBe(true);

      const promoted = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${u.id}/role`,
        headers: root.auth,
        payload: { role: 'host' },
      });
      expect(promoted.statusCode).toBe(200);
      for (const app of apps()) expect((await me(app, u)).json().role).toBe('host');
    });

    it('a token naming an unknown session or a deleted user is refused', async () => {
      const u = await createUser(t);
      const forged = await t.ctx.tokens.sign({ userId: u.id, sessionId: randomUUID() });
      await expectRevoked({ accessToken: forged.token });
      const ghost = await t.ctx.tokens.sign({ userId: randomUUID(), sessionId: randomUUID() });
      await expectRevoked({ accessToken: ghost.token });
    });
  });
}

describe('session check failures', () => {
  it('a database failure during the check is a server error, not a sign-out', async () => {
    const t = await createTestApp();
    try {
      const u = await createUser(t);
      const token = await t.ctx.tokens.sign({ userId: u.id, sessionId: randomUUID() });
      await sql`alter table refresh_tokens rename to refresh_tokens_gone`.execute(t.ctx.db);
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${token.token}` },
      });
      expectProblem(res, 500, 'internal_error');
      expect(res.body).not.toMatch(/refresh_tokens|relation|exist/);
      await sql`alter table refresh_tokens_gone rename to refresh_tokens`.execute(t.ctx.db);
    } finally {
      await t.close();
    }
  });
});

describe('session check cost', () => {
  it('answers from Redis after the first request (no database round trip)', async () => {
    const redis = new Redis(REDIS_URL);
    const t = await createTestApp({ redis });
    try {
      const u = await createUser(t);
      const claims = await t.ctx.tokens.verify(u.accessToken);
      await t.ctx.sessions.resolve(claims);
      const cache = new RedisCache(redis);
      expect(await cache.get(`session:${u.id}:${claims.sessionId}`)).toMatchObject({
        role: 'guest',
        active: true,
      });
    } finally {
      await t.close();
      redis.disconnect();
    }
  });
});

async function waitFor<T>(probe: () => Promise<T | null | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
