/**
 * GraphiQL served by the app (./graphiql.ts) and the depth limit that lets its schema load (./depth.ts).
 * The page in a real browser: test/browser.test.ts.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { getIntrospectionQuery, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import type { RoostApp } from '../platform/http.js';
import { API_HEADERS, GRAPHIQL_HEADERS } from '../platform/security-headers.js';
import { documentDepth } from './depth.js';
import { registerGraphiql } from './graphiql.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** The URLs the page loads, in order. */
async function pageAssets(): Promise<string[]> {
  const res = await t.app.inject({ method: 'GET', url: '/graphiql' });
  return [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
}

describe('GraphiQL at /graphiql', () => {
  it('is a page of local files only, with no inline script, under the pages CSP', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/graphiql' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(GRAPHIQL_HEADERS['content-security-policy']);
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self' data:;" +
        "connect-src 'self';base-uri 'none';form-action 'self';frame-ancestors 'none'",
    );
    // Every <script> has a src (no inline code), and nothing points at another host.
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/https?:\/\//);
    expect(await pageAssets()).toEqual([
      expect.stringMatching(/^\/graphiql\/assets\/[\w-]{12}\/react\.production\.min\.js$/),
      expect.stringMatching(/^\/graphiql\/assets\/[\w-]{12}\/react-dom\.production\.min\.js$/),
      expect.stringMatching(/^\/graphiql\/assets\/[\w-]{12}\/graphiql\.min\.js$/),
      expect.stringMatching(/^\/graphiql\/assets\/[\w-]{12}\/graphiql\.min\.css$/),
      '/graphiql/graphiql.css',
      '/graphiql/init.js',
    ]);
  });

  it('serves each file with its type and caching, gzipped on request, and nothing else under /graphiql', async () => {
    for (const url of await pageAssets()) {
      const plain = await t.app.inject({ method: 'GET', url });
      expect(plain.statusCode, url).toBe(200);
      expect(plain.headers['content-type']).toBe(
        url.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      );
      expect(plain.headers['x-content-type-options']).toBe('nosniff');
      const hashed = url.includes('/assets/');
      expect(plain.headers['cache-control']).toBe(
        hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      const zipped = await t.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, br' } });
      if (hashed) {
        expect(zipped.headers['content-encoding']).toBe('gzip');
        expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length * 0.7);
        expect(gunzipSync(zipped.rawPayload).equals(plain.rawPayload)).toBe(true);
      } else {
        expect(zipped.headers['content-encoding']).toBeUndefined();
      }
    }
    const init = await t.app.inject({ method: 'GET', url: '/graphiql/init.js' });
    expect(init.body).toContain("GraphiQL.createFetcher({ url: '/graphql' })");
    // A hash that is not the file's, an unknown file, a path outside: a 404 problem, under the pages CSP.
    for (const url of [
      '/graphiql/assets/AAAAAAAAAAAA/graphiql.min.js',
      '/graphiql/package.json',
      '/graphiql/assets/../../package.json',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('keeps the API policy on /graphql and everything else', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ __typename }' } });
    expect(res.json()).toEqual({ data: { __typename: 'Query' } });
    expect(res.headers['content-security-policy']).toBe(API_HEADERS['content-security-policy']);
    expect(API_HEADERS['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    // Swagger UI's policy is GraphiQL's plus one inline style block, by hash (its logo's).
    const docs = await t.app.inject({ method: 'GET', url: '/docs/static/index.html' });
    expect(docs.headers['content-security-policy']).toBe(
      String(GRAPHIQL_HEADERS['content-security-policy']).replace(
        "style-src 'self'",
        "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
      ),
    );
  });

  it('is left out, with a warning, when its packages are not installed', async () => {
    const lines: string[] = [];
    const bare = Fastify({
      logger: { level: 'warn', stream: { write: (l: string) => void lines.push(l) } },
    }) as unknown as RoostApp;
    try {
      const registered = await registerGraphiql(bare, (pkg) => join(tmpdir(), `roost-missing-${pkg}`));
      expect(registered).toBe(false);
      expect((await bare.inject({ method: 'GET', url: '/graphiql' })).statusCode).toBe(404);
      expect(lines.map((l) => JSON.parse(l).msg)).toEqual([
        expect.stringMatching(/^GraphiQL is off: .*npm ci$/),
      ]);
    } finally {
      await bare.close();
    }
  });

  it('is not served in production', async () => {
    const prod = await createTestApp({
      env: { NODE_ENV: 'production', APP_BASE_URL: 'https://roost.example' },
    });
    try {
      for (const url of ['/graphiql', '/graphiql/init.js']) {
        expect((await prod.app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
      }
    } finally {
      await prod.close();
    }
  });
});

describe('GraphQL depth limit', () => {
  const depth = (q: string) => documentDepth(parse(q));

  it('counts nested fields, not fragments, and not introspection ofType chains', () => {
    expect(depth('{ a }')).toBe(1);
    expect(depth('{ a { b { c } } d }')).toBe(3);
    expect(depth('fragment F on X { b { c } } { a { ...F ... on Y { d } } }')).toBe(3);
    expect(depth('query A { a } query B { a { b { c { d } } } }')).toBe(4);
    // ofType is free only inside introspection.
    expect(depth('{ __type(name: "X") { ofType { ofType { ofType { name } } } } }')).toBe(2);
    expect(depth('{ a { ofType { ofType { name } } } }')).toBe(4);
    // Other introspection fields count: fanning out through fields/type is bounded as usual.
    expect(depth('{ __schema { types { fields { type { fields { type { name } } } } } } }')).toBe(7);
    // The same fragment used inside and outside introspection is counted for each.
    expect(
      depth('fragment T on __Type { ofType { ofType { name } } } { __type(name: "X") { ...T } a { ...T } }'),
    ).toBe(4);
    // A fragment cycle (refused by validation later) does not loop.
    expect(depth('fragment A on X { a { ...B } } fragment B on X { b { ...A } } { x { ...A } }')).toBe(3);
    expect(depth(getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true }))).toBe(6);
  });

  it('lets the standard introspection query through, refuses deeper queries with query_too_deep', async () => {
    const gql = async (query: string) => {
      const res = await t.app.inject({ method: 'POST', url: '/graphql', payload: { query } });
      return { status: res.statusCode, body: res.json() };
    };
    const full = await gql(getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true }));
    expect(full.status).toBe(200);
    expect(full.body.data.__schema.queryType).toMatchObject({ name: 'Query' });
    expect(full.body.data.__schema.types.map((x: { name: string }) => x.name)).toContain(
      'PropertyConnection',
    );

    for (const query of [
      '{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }',
      '{ bookings { edges { node { property { reviews { edges { node { author { id } } } } } } } } }',
    ]) {
      const r = await gql(query);
      expect(r.status, query).toBe(400);
      expect(r.body.errors[0].extensions).toEqual({ code: 'query_too_deep', status: 400, maxDepth: 8 });
      expect(r.body.errors[0].message).toBe(
        'This query is nested 9 fields deep, more than the depth limit of 8',
      );
    }
  });
});
