/**
 * No phone number, email address, password, TOTP code, token, cookie or arrival details in the logs:
 * the API's pino lines (successful requests, failed ones with their error, anything a handler logs)
 * and the worker's JSON lines. The raw log text is searched for each value.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { insertUser, startSession } from '../../test/support/factories.js';
import { TEST_JWT_SECRET, type TestApp } from '../../test/support/test-app.js';
import { createTestDatabase } from '../../test/support/test-db.js';
import { buildApp } from '../app.js';
import { jsonLogger } from '../runtime.js';
import { loadConfig } from './config.js';
import { maskContactDetails } from './log-redaction.js';
import { requestLogger } from './request-log.js';

const PHONE = '+15550199231';
const EMAIL = 'leaky.larkspur@example.com';
const PASSWORD = 'correct-horse-42';
const NEW_PASSWORD = 'Tr0ub4dor&3-never-logged';
const TOTP = '492817';
const COOKIE = 'roost_console=s3cr3t-cookie-value';
const DETAILS = 'Key box 4711 by the blue door';

let out = '';
const sink = new Writable({
  write(chunk, _enc, cb) {
    out += String(chunk);
    cb();
  },
});
let t: TestApp;

beforeAll(async () => {
  const database = await createTestDatabase(inject('templateDatabase'));
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    SANDBOX_WEBHOOK_SECRET: 'test-sandbox-webhook-secret',
    RATE_LIMIT_AUTH_MAX: '100000',
  });
  const { app, ctx } = await buildApp({ config, database, logger: requestLogger('debug', sink) });
  // Handlers that log what they were sent, and fail with the value in the error (as a database driver
  // does: "Key (phone)=(…) already exists", a `detail`, a refused value in the message).
  app.post('/test/echo-log', async (req) => {
    req.log.info({ body: req.body, headers: req.headers }, 'a handler logged its request');
    const b = req.body as Record<string, unknown>;
    req.log.info(
      { phone: b['phone'], email: b['email'], code: b['code'], totp: b['code'], checkinDetails: DETAILS },
      'and its fields',
    );
    return { ok: true };
  });
  app.post('/test/explode', async () => {
    const err = new Error(`duplicate key value: Key (phone, email)=(${PHONE}, ${EMAIL}) already exists`);
    Object.assign(err, {
      detail: `Key (phone)=(${PHONE})`,
      email: EMAIL,
      phone: PHONE,
      body: { password: PASSWORD },
    });
    throw err;
  });
  await app.ready();
  t = { app, ctx, database, close: () => app.close() };
});
afterAll(() => t?.close());

const SECRETS = [PHONE, '5550199231', EMAIL, PASSWORD, NEW_PASSWORD, TOTP, 's3cr3t-cookie-value', DETAILS];
const leaks = () => SECRETS.filter((s) => out.includes(s));

describe('log redaction', () => {
  it('keeps contact details and credentials out of the API log, on every path that logs', async () => {
    const { id } = await insertUser(t, { email: EMAIL, role: 'host', phone: PHONE, password: PASSWORD });
    const session = await startSession(t, id);
    const auth = `Bearer ${session.accessToken}`;
    out = '';
    // Signing in, wrong and right (the password, the email in the body).
    for (const password of [PASSWORD, 'wrong-password-1']) {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { cookie: COOKIE },
        payload: { email: EMAIL, password, code: TOTP },
      });
    }
    // Profile and password changes; a refused one (validation error).
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: '/api/v1/users/me',
          headers: { authorization: auth },
          payload: { phone: PHONE },
        })
      ).statusCode,
    ).toBe(200);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/users/me/password',
      headers: { authorization: auth, cookie: COOKIE },
      payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: { authorization: auth },
      payload: { phone: PHONE, email: EMAIL, password: PASSWORD },
    });
    // GraphQL, with variables.
    await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { cookie: COOKIE },
      payload: {
        query:
          'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
        variables: { email: EMAIL, password: PASSWORD },
      },
    });
    // A handler that logs the request, and one that fails with the values in its error.
    await t.app.inject({
      method: 'POST',
      url: '/test/echo-log',
      headers: { authorization: auth, cookie: COOKIE },
      payload: { phone: PHONE, email: EMAIL, password: PASSWORD, code: TOTP },
    });
    const failed = await t.app.inject({
      method: 'POST',
      url: '/test/explode',
      headers: { authorization: auth, cookie: COOKIE },
      payload: { phone: PHONE },
    });
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toContain(PHONE);

    // Each of those paths did write to the log…
    expect(out).toContain('a handler logged its request');
    expect(out).toContain('unhandled error');
    expect(out).toContain('duplicate key value');
    expect(out).toContain('/api/v1/users/me/password');
    expect(out).toContain('[Redacted]');
    expect(out).toContain('[phone]');
    // …and none of the values is in it.
    expect(leaks()).toEqual([]);
    expect(out).not.toContain(session.accessToken);
  });

  it('keeps them out of the worker’s lines (job errors are free text)', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      jsonLogger('info')('error', 'job failed', {
        job: 'send-email',
        error: `550 mailbox unavailable: <${EMAIL}> (SMS fallback ${PHONE})`,
      });
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain('job failed');
    expect(written.join('')).not.toContain(EMAIL);
    expect(written.join('')).not.toContain(PHONE);
  });

  it('masks emails and international phone numbers in free text, and nothing else', () => {
    expect(maskContactDetails(`write to ${EMAIL} or call +1 (555) 019-9231`)).toBe(
      'write to [email] or call [phone]',
    );
    const plain = '2031-04-12T12:00:00.000Z took 1234567 ms, booking 0193f2a4-1111-7000-8000-000000000001';
    expect(maskContactDetails(plain)).toBe(plain);
  });
});
