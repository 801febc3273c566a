/**
 * `npm run build` then `npm run start:prod` (the Docker image's command, `node dist/server.js`), for real:
 * the compiled server starts in production mode on a real database, answers the API, and serves the
 * operator console — its templates and stylesheet are not TypeScript, so the build must copy them next
 * to the compiled code (scripts/copy-console-views.mjs), or the console fails only in production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  killLeftovers,
  type RoostProcess,
  runToExit,
  startRoost,
  waitUntilServing,
} from './support/processes.js';
import { createTestApp, createUser, TEST_JWT_SECRET, type TestApp } from './support/test-app.js';
import { testDbKind } from './support/test-db.js';

let t: TestApp | undefined;
let server: RoostProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'roost-prod-build-'));

afterAll(async () => {
  await server?.stop().catch(() => {});
  killLeftovers();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the production build', () => {
  it('compiles a server that serves the API and the operator console from dist/', async () => {
    const build = await runToExit('npm', ['run', '-s', 'build'], {}, 240_000);
    expect(build.code, build.all).toBe(0);

    // The compiled server opens the database from its own process: PGlite's suite uses PostgreSQL.
    t = await createTestApp({ engine: testDbKind() === 'mysql' ? 'mysql' : 'postgres' });
    const admin = await createUser(t, 'admin');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = startRoost(
      'dist/server.js',
      {
        NODE_ENV: 'production',
        DATABASE_URL: t.database.url!,
        JWT_SECRET: TEST_JWT_SECRET,
        SANDBOX_WEBHOOK_SECRET: 'prod-build-test-sandbox-webhook-secret',
        PORT: String(port),
        DATA_DIR: join(dir, 'data'),
        UPLOADS_DIR: join(dir, 'uploads'),
        MAIL_DIR: join(dir, 'mail'),
        LOG_LEVEL: 'warn',
      },
      'api (dist)',
    );
    await waitUntilServing(server, `${base}/health/ready`);

    const me = await fetch(`${base}/api/v1/users/me`, { headers: admin.auth });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(admin.email);

    const login = await fetch(`${base}/admin/login`);
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await login.text();
    expect(page).toContain('name="_csrf"');
    expect(page).toContain('id="password"');
    const css = await fetch(`${base}/admin/assets/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    // Production cookies are Secure.
    expect(login.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    // Not signed in: a page sends the browser to the login form.
    const users = await fetch(`${base}/admin/users`, { redirect: 'manual' });
    expect(users.status).toBe(303);
    expect(users.headers.get('location')).toBe('/admin/login');
  }, 300_000);
});
