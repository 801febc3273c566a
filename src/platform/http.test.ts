import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, type TestApp } from '../../test/support/test-app.js';
import { problem, registerErrorHandling } from './errors.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { BODY_LIMIT_BYTES: '2048', CORS_ORIGINS: 'https://app.roost.dev' } });
});
afterAll(() => t.close());

describe('HTTP platform', () => {
  it('answers unknown routes with a 404 problem', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here?x=1' });
    const body = expectProblem(res, 404, 'route_not_found');
    expect(body).toMatchObject({ title: 'Not Found', status: 404, instance: '/api/v1/nothing-here' });
  });

  it('answers malformed JSON with 400 and oversized bodies with 413', async () => {
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"email": ',
      }),
      400,
      'malformed_json',
    );
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(4096) }),
      }),
      413,
      'payload_too_large',
    );
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'text/csv' },
        payload: 'a,b',
      }),
      415,
      'unsupported_media_type',
    );
  });

  it('takes a bodiless JSON POST as no body: validation_error where a body is needed', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
    });
    const body = expectProblem(res, 400, 'validation_error');
    expect(body.errors?.[0]).toMatchObject({ in: 'body' });
    // Whitespace is not "no body": it is malformed JSON.
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: ' ',
      }),
      400,
      'malformed_json',
    );
    // Prototype poisoning is still refused by Fastify's own parser.
    const poisoned = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":"a@b.co","password":"x","__proto__":{"admin":true}}',
    });
    expect(poisoned.statusCode).toBe(400);
  });

  it('answers GET / with links to the docs, GraphQL and health', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.json().links).toMatchObject({
      docs: '/docs',
      openapi: '/openapi.json',
      graphiql: '/graphiql',
      health: '/health/ready',
    });
    for (const link of Object.values(res.json().links as Record<string, string>)) {
      if (link === '/graphql' || link === '/api/v1') continue;
      const target = await t.app.inject({ method: 'GET', url: link });
      expect([200, 302], link).toContain(target.statusCode);
    }
  });

  it('titles every problem with its status text (402 is "Payment Required")', () => {
    expect(problem(402, 'payment_declined', 'x').title).toBe('Payment Required');
    expect(problem(413, 'payload_too_large', 'x').title).toBe('Content Too Large');
    expect(problem(418, 'teapot', 'x').title).toBe("I'm a Teapot");
    expect(problem(599, 'odd', 'x').title).toBe('Server Error');
  });

  it('lists every invalid field with its path', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'not-an-email', password: 12, firstName: 'A' },
    });
    const body = expectProblem(res, 400, 'validation_error');
    const fields = body.errors?.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['email', 'lastName']));
    expect(body.errors?.every((e) => e.message.length > 0)).toBe(true);
  });

  it('never leaks stack traces on server errors', async () => {
    const bare = Fastify({ logger: false });
    registerErrorHandling(bare);
    bare.get('/boom', async () => {
      throw new Error('secret internal detail at /src/file.ts:12');
    });
    const res = await bare.inject({ method: 'GET', url: '/boom' });
    const body = expectProblem(res, 500, 'internal_error');
    expect(res.body).not.toContain('secret internal detail');
    expect(res.body).not.toContain('.ts:');
    expect(body.detail).toBe('An unexpected error occurred');
    await bare.close();
  });

  it('tags every response with a request id (echoing a safe incoming one)', async () => {
    const own = await t.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(own.headers['x-request-id']).toBe('abc-123');
    const generated = await t.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'bad id\n' },
    });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers and honours the CORS allow-list', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { origin: 'https://app.roost.dev' },
    });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBe('https://app.roost.dev');
    const other = await t.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves health, the OpenAPI document and Swagger UI', async () => {
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.database.status).toBe('ok');

    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        '/api/v1/users/me',
        '/health/ready',
      ]),
    );
    expect(
      doc.paths['/api/v1/auth/register'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(expect.arrayContaining(['email', 'password', 'firstName', 'lastName']));
    expect(doc.components.securitySchemes.bearerAuth.scheme).toBe('bearer');

    const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });
});

describe('readiness', () => {
  it('reports 503 when the database is gone', async () => {
    const broken = await createTestApp();
    await broken.database.close();
    const res = await broken.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.database.status).toBe('fail');
    await broken.app.close().catch(() => undefined);
  });
});
