/**
 * Input hygiene, tested where users meet it: every operation's inputs are bounded in its schema, and
 * hostile values (NUL, unpaired surrogates, non-finite and out-of-range numbers, impossible or far-away
 * dates, malformed ids) are a 400 problem with the field's path on every engine — never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../test/support/test-app.js';
import { findUnsafeValue } from './input.js';

let t: TestApp;
let host: TestUser;
let guest: TestUser;
let admin: TestUser;
let listing: { id: string };

beforeAll(async () => {
  t = await createTestApp();
  host = await createUser(t, 'host');
  guest = await createUser(t);
  admin = await createUser(t, 'admin');
  listing = await createListing(t, host);
});
afterAll(() => t.close());

type Schema = Record<string, unknown>;

/** Why an input schema is unbounded, or null. `$ref`s are resolved against the document. */
function unbounded(schema: Schema, resolve: (ref: string) => Schema, path: string, out: string[]) {
  if (typeof schema['$ref'] === 'string') return unbounded(resolve(schema['$ref']), resolve, path, out);
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[k] as Schema[] | undefined;
    if (list) for (const s of list) unbounded(s, resolve, path, out);
  }
  if ('enum' in schema || 'const' in schema) return;
  const type = schema['type'];
  if (type === 'string') {
    const format = schema['format'];
    if (typeof schema['maxLength'] !== 'number' && !['uuid', 'date', 'date-time'].includes(String(format)))
      out.push(`${path}: string without maxLength`);
  } else if (type === 'integer' || type === 'number') {
    const hasMin =
      typeof schema['minimum'] === 'number' ||
      typeof schema['exclusiveMinimum'] === 'number' ||
      (schema['exclusiveMinimum'] === true && typeof schema['minimum'] === 'number');
    if (!hasMin) out.push(`${path}: number without a minimum`);
    if (typeof schema['maximum'] !== 'number' && typeof schema['exclusiveMaximum'] !== 'number')
      out.push(`${path}: number without a maximum`);
  } else if (type === 'array') {
    if (typeof schema['maxItems'] !== 'number') out.push(`${path}: array without maxItems`);
    if (schema['items']) unbounded(schema['items'] as Schema, resolve, `${path}[]`, out);
  } else if (type === 'object') {
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const [name, s] of Object.entries(props)) unbounded(s, resolve, `${path}.${name}`, out);
    if (schema['additionalProperties'] !== false && Object.keys(props).length > 0)
      out.push(`${path}: object accepts additional properties`);
  }
}

describe('schemas', () => {
  it('bound every input of every operation (strings, numbers, arrays)', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const resolve = (ref: string) => {
      const name = ref.replace(/^#\/components\/schemas\//, '');
      return doc.components.schemas[name] as Schema;
    };
    const problems: string[] = [];
    let operations = 0;
    for (const [route, item] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
      for (const [method, op] of Object.entries(item)) {
        operations++;
        const where = `${method.toUpperCase()} ${route}`;
        for (const p of (op['parameters'] ?? []) as Schema[]) {
          unbounded(p['schema'] as Schema, resolve, `${where} ${p['in']}.${p['name']}`, problems);
        }
        const body = (op['requestBody'] as Schema | undefined)?.['content'] as
          | Record<string, Schema>
          | undefined;
        for (const [type, media] of Object.entries(body ?? {})) {
          if (media['schema'])
            unbounded(media['schema'] as Schema, resolve, `${where} body(${type})`, problems);
        }
      }
    }
    expect(operations).toBeGreaterThan(40);
    expect(problems).toEqual([]);
  });
});

describe('hostile input', () => {
  const get = (url: string, u?: TestUser) => t.app.inject({ method: 'GET', url, headers: u?.auth ?? {} });

  it('NUL and unpaired surrogates are 400 with the field, in query, body and params', async () => {
    // A query string cannot carry an unpaired surrogate (it is percent-encoded UTF-8); NUL it can.
    const q = expectProblem(await get('/api/v1/properties?city=Lis%00bon'), 400, 'validation_error');
    expect(q.errors).toEqual([expect.objectContaining({ field: 'city', in: 'querystring' })]);
    for (const value of ['Lis\u0000bon', 'Lis\uD800bon']) {
      const reg = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: {
          email: `n${Date.now()}@example.com`,
          password: 'long-enough-pass-1',
          firstName: value,
          lastName: 'X',
        },
      });
      expect(expectProblem(reg, 400, 'validation_error').errors?.[0]?.field).toBe('firstName');
      const profile = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: guest.auth,
        payload: { lastName: value },
      });
      expect(expectProblem(profile, 400, 'validation_error').errors?.[0]?.field).toBe('lastName');
      const title = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/properties/${listing.id}`,
        headers: host.auth,
        payload: { title: `Nice ${value}`, amenities: [value] },
      });
      expectProblem(title, 400, 'validation_error');
      if (value.includes('\u0000'))
        expectProblem(await get('/api/v1/users?email=a%00b', admin), 400, 'validation_error');
    }
    // The listing was not changed by the refused updates.
    const after = (await get(`/api/v1/properties/${listing.id}`)).json();
    expect(after.title).not.toContain('Nice');
  });

  it('non-finite and out-of-range numbers are 400, never a value in SQL', async () => {
    for (const q of [
      'limit=1e309',
      'limit=Infinity',
      'guests=Infinity',
      'guests=-Infinity',
      'guests=NaN',
      'minPrice=999999999999999999999',
      'maxPrice=1e309',
      'lat=1e309&lng=0',
      'lat=0&lng=0&radiusKm=1e309',
      'limit=1.5',
    ]) {
      const res = await get(`/api/v1/properties?${q}`);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(400);
      expectProblem(res, 400, 'validation_error');
    }
  });

  it('impossible, ancient and far-future dates are 400 and are answered at once', async () => {
    const cases: [string, unknown][] = [
      [
        '/api/v1/bookings/quote',
        { propertyId: listing.id, checkIn: '2030-02-30', checkOut: '2030-03-02', guests: 1 },
      ],
      [
        '/api/v1/bookings/quote',
        { propertyId: listing.id, checkIn: '0000-01-01', checkOut: '0000-01-03', guests: 1 },
      ],
      [
        '/api/v1/bookings/quote',
        { propertyId: listing.id, checkIn: '2030-01-01', checkOut: '9999-12-31', guests: 1 },
      ],
    ];
    for (const [url, payload] of cases) {
      const started = performance.now();
      const res = await t.app.inject({ method: 'POST', url, payload: payload as object });
      expect(res.statusCode, res.body).toBe(400);
      expect(performance.now() - started).toBeLessThan(1000);
    }
    for (const url of [
      `/api/v1/properties/${listing.id}/calendar?from=2000-01-01&to=9999-12-31`,
      `/api/v1/properties/${listing.id}/calendar?from=2030-01-01&to=2029-01-01`,
      `/api/v1/properties/${listing.id}/calendar?from=2030-02-30&to=2030-03-02`,
      '/api/v1/properties?checkIn=2030-01-01&checkOut=9999-12-31',
    ]) {
      expectProblem(await get(url), 400, 'validation_error');
    }
    const block = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/properties/${listing.id}/calendar`,
      headers: host.auth,
      payload: { from: '9999-12-31', to: '9999-12-31', blocked: true },
    });
    expectProblem(block, 400, 'validation_error');
  });

  it('malformed ids are 400 (params) or 404, never a database error', async () => {
    for (const id of ['not-a-uuid', '1%00', "1' or '1'='1", '%F0%9F%98%80']) {
      const res = await get(`/api/v1/properties/${id}`);
      expect(res.statusCode, res.body).toBe(400);
    }
  });
});

describe('what the fuzz test found (each a root cause, pinned here)', () => {
  it('refuses urn:uuid ids, which the uuid format allowed and the databases do not', async () => {
    const urn = `urn:uuid:${listing.id}`;
    expectProblem(
      await t.app.inject({ method: 'GET', url: `/api/v1/properties/${encodeURIComponent(urn)}` }),
      400,
    );
    const quote = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings/quote',
      payload: { propertyId: urn, checkIn: '2031-01-01', checkOut: '2031-01-03', guests: 1 },
    });
    expectProblem(quote, 400, 'validation_error');
  });

  it('refuses subnormal numbers (PostgreSQL cannot read them)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/properties?lat=3.5e-323&lng=-7.8e-7' });
    expect(expectProblem(res, 400, 'validation_error').errors?.[0]?.field).toBe('lat');
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/properties?lat=0&lng=-7.8e-7' })).statusCode,
    ).toBe(200);
  });

  it('refuses cursors whose values do not fit their sort order, or carry NUL or lone surrogates', async () => {
    const cursor = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    for (const [sort, c] of [
      ['newest', { v: 1e308, id: listing.id }],
      ['newest', { v: '\uD800', id: listing.id }],
      ['highest', { v: '2031-01-01T00:00:00.000Z', id: listing.id }],
      ['highest', { s: 'price_asc', v: '\u0000', id: listing.id }],
    ] as const) {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/properties/${listing.id}/reviews?sort=${sort}&cursor=${cursor(c)}`,
      });
      expectProblem(res, 400, 'invalid_cursor');
    }
  });

  it('answers an unreadable multipart body and a NUL in its caption with 400', async () => {
    const noBoundary = await t.app.inject({
      method: 'POST',
      url: `/api/v1/properties/${listing.id}/photos`,
      headers: { ...host.auth, 'content-type': 'multipart/form-data' },
      payload: '--x\r\n',
    });
    expectProblem(noBoundary, 400, 'malformed_multipart');
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const body = Buffer.concat([
      Buffer.from('--b\r\nContent-Disposition: form-data; name="caption"\r\n\r\na\u0000b\r\n'),
      Buffer.from(
        '--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n',
      ),
      png,
      Buffer.from('\r\n--b--\r\n'),
    ]);
    const nul = await t.app.inject({
      method: 'POST',
      url: `/api/v1/properties/${listing.id}/photos`,
      headers: { ...host.auth, 'content-type': 'multipart/form-data; boundary=b' },
      payload: body,
    });
    expect(expectProblem(nul, 400, 'validation_error').errors?.[0]?.field).toBe('caption');
  });

  it('answers an undecodable URL with a problem', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/properties/%ED%A0%80' });
    expect(res.statusCode).toBe(400);
    expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  });
});

describe('findUnsafeValue', () => {
  it('finds the path of the first unsafe value, iteratively, and refuses absurd nesting', () => {
    expect(findUnsafeValue({ a: [1, { b: 'x\u0000' }] })).toEqual({
      field: 'a.1.b',
      message: 'must not contain NUL characters',
    });
    expect(findUnsafeValue({ n: Number.POSITIVE_INFINITY })?.field).toBe('n');
    expect(findUnsafeValue({ ['k\uDC00']: 1 })?.message).toMatch(/name/);
    expect(findUnsafeValue({ ok: ['fine', 1, null, true, { deep: '😀' }] })).toBeNull();
    let deep: unknown = 'x';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(findUnsafeValue(deep)?.message).toBe('is nested too deeply');
  });
});
