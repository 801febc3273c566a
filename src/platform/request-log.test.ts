/**
 * What the API writes to its log and the headers every response carries: one line per request, no
 * query strings, credentials redacted; the API's strict CSP and the pages' own.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import helmet from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, createUser, type TestApp } from '../../test/support/test-app.js';
import { RequestLog, requestLogger } from './request-log.js';
import { API_HEADERS, DOCS_HEADERS, helmetHeaders } from './security-headers.js';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
    cb();
  },
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ logger: requestLogger('info', sink) });
});
afterAll(() => t.close());

const requestLines = () => lines.filter((l) => l['msg'] === 'request' || l['msg'] === 'request failed');

describe('request log', () => {
  it('writes one line per request, with the caller and without the query string', async () => {
    const u = await createUser(t);
    lines.length = 0;
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/users/me?token=secret-in-a-link',
      headers: { authorization: `Bearer ${u.accessToken}`, 'x-request-id': 'log-test-1' },
    });
    expect(res.statusCode).toBe(200);
    const mine = requestLines();
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      reqId: 'log-test-1',
      method: 'GET',
      path: '/api/v1/users/me',
      route: '/api/v1/users/me',
      status: 200,
      user: u.id,
    });
    expect(typeof mine[0]!['ms']).toBe('number');
    // The same frame as every other pino line.
    expect(mine[0]).toMatchObject({ pid: process.pid, msg: 'request' });
    expect(Math.abs(Number(mine[0]!['time']) - Date.now())).toBeLessThan(60_000);
    expect(typeof mine[0]!['hostname']).toBe('string');
    expect(JSON.stringify(lines)).not.toContain('secret-in-a-link');
    expect(JSON.stringify(lines)).not.toContain(u.accessToken);
  });

  it('logs an unknown route at info and names no route', async () => {
    lines.length = 0;
    expect((await t.app.inject({ method: 'GET', url: '/nowhere?x=1' })).statusCode).toBe(404);
    expect(requestLines()).toEqual([expect.objectContaining({ level: 30, path: '/nowhere', status: 404 })]);
  });

  it('redacts credentials under the named paths', async () => {
    const out: string[] = [];
    const app = Fastify({
      logger: requestLogger(
        'info',
        new Writable({
          write(c, _e, cb) {
            out.push(String(c));
            cb();
          },
        }),
      ),
      logController: new RequestLog(),
    });
    app.log.info({
      password: 'hunter2',
      token: 't0k',
      refreshToken: 'r',
      headers: { authorization: 'Bearer x' },
    });
    app.log.error({ err: { message: 'boom', password: 'hunter3' } }, 'failed');
    await app.close();
    const text = out.join('');
    for (const secret of ['hunter2', 't0k', '"r"', 'Bearer x', 'hunter3']) expect(text).not.toContain(secret);
    expect(text).toContain('[Redacted]');
  });

  it('logs a server error at error level', async () => {
    const out: Record<string, unknown>[] = [];
    const app = Fastify({
      logger: requestLogger(
        'info',
        new Writable({
          write(c, _e, cb) {
            out.push(JSON.parse(String(c)));
            cb();
          },
        }),
      ),
      logController: new RequestLog(),
    });
    app.get('/fail', async (_req, reply) => reply.code(503).send({ down: true }));
    await app.inject({ method: 'GET', url: '/fail' });
    await app.close();
    expect(out.filter((l) => l['msg'] === 'request')).toEqual([
      expect.objectContaining({ level: 50, status: 503, route: '/fail' }),
    ]);
  });
});

describe('security headers', () => {
  it('are what helmet itself sets for the same policy', async () => {
    const res: Record<string, string> = {};
    helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } } })(
      {} as never,
      {
        setHeader: (n: string, v: string) => {
          res[n.toLowerCase()] = v;
        },
        removeHeader: (n: string) => void delete res[n.toLowerCase()],
      } as never,
      () => undefined,
    );
    expect(helmetHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } } })).toEqual(res);
  });

  it('gives API responses, errors included, a CSP that allows nothing, and pages their own', async () => {
    for (const url of ['/health/live', '/api/v1/users/me', '/nowhere']) {
      const res = await t.app.inject({ method: 'GET', url });
      for (const [name, value] of Object.entries(API_HEADERS)) expect(res.headers[name]).toBe(value);
    }
    expect(API_HEADERS['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(API_HEADERS['x-content-type-options']).toBe('nosniff');
    expect(API_HEADERS['strict-transport-security']).toMatch(/^max-age=\d+/);
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-security-policy']).toBe(DOCS_HEADERS['content-security-policy']);
    expect(DOCS_HEADERS['content-security-policy']).toContain("script-src 'self';");
    expect(DOCS_HEADERS['content-security-policy']).not.toContain('unsafe-inline');
    // Not a page: a URL that only starts like one.
    const near = await t.app.inject({ method: 'GET', url: '/docsx' });
    expect(near.headers['content-security-policy']).toBe(API_HEADERS['content-security-policy']);
    expect(docs.headers['x-powered-by']).toBeUndefined();
  });
});
