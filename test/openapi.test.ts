/**
 * The OpenAPI document as a product: valid OpenAPI 3.1, every operation described (id, summary,
 * description, security, examples), errors as problem details, no internal routes, and openapi.json in
 * the repository equal to what the routes generate. The runtime half checks that the server does what
 * the document says (the multipart upload as Swagger UI sends it, querystring errors located).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_PATH, generateOpenApi } from '../scripts/openapi.js';
import { createListing } from './support/fixtures.js';
import { createTestApp, createUser, type TestApp, type TestUser } from './support/test-app.js';

type Json = Record<string, unknown>;
interface Media {
  schema?: Json;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Json;
  example?: unknown;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, Response>;
}
interface Document {
  openapi: string;
  info: Json;
  servers?: { url: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Response> };
}
interface Response {
  $ref?: string;
  description: string;
  content?: Record<string, Media>;
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options']);

let generated: string;
let doc: Document;
let operations: { method: string; path: string; op: Operation }[];

beforeAll(async () => {
  generated = await generateOpenApi();
  doc = JSON.parse(generated) as Document;
  operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => ({ method, path, op })),
  );
}, 60_000);

const where = (o: { method: string; path: string }) => `${o.method.toUpperCase()} ${o.path}`;

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 (swagger-parser) with servers and described tags', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(JSON.parse(generated))).resolves.toBeTruthy();
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(operations.length).toBeGreaterThan(50);
    for (const tag of doc.tags) expect(tag.description, tag.name).toBeTruthy();
  });

  it('is what openapi.json in the repository holds (run `npm run openapi` after changing a route)', () => {
    const onDisk = readFileSync(DOCUMENT_PATH, 'utf8');
    expect(onDisk.endsWith('}\n')).toBe(true);
    expect(onDisk === generated, 'openapi.json is stale: run `npm run openapi`').toBe(true);
  });

  it('is the same on every generation (deterministic)', async () => {
    expect(await generateOpenApi()).toBe(generated);
  }, 60_000);

  it('gives every operation a unique camelCase operationId, a summary, a description, a tag, and security', () => {
    const ids = new Set<string>();
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const o of operations) {
      const { operationId, summary, description, security } = o.op;
      expect(operationId, where(o)).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      expect(ids.has(operationId!), `${operationId} is used twice`).toBe(false);
      ids.add(operationId!);
      expect(summary, where(o)).toBeTruthy();
      expect(summary!.length, `${where(o)}: keep the summary short`).toBeLessThanOrEqual(60);
      expect(description, where(o)).toBeTruthy();
      expect(description, where(o)).not.toBe(summary);
      expect(Array.isArray(security), `${where(o)} must say its security ([] when public)`).toBe(true);
      for (const requirement of security!) {
        expect(
          Object.keys(requirement).every((k) => k === 'bearerAuth'),
          where(o),
        ).toBe(true);
      }
      expect(o.op.tags?.length, where(o)).toBeGreaterThan(0);
      for (const tag of o.op.tags!) expect(tags.has(tag), `${where(o)}: tag ${tag} not declared`).toBe(true);
    }
  });

  it('marks operations that need a token with bearer, and public ones with an empty security', () => {
    const security = (method: string, path: string) =>
      operations.find((o) => o.method === method && o.path === path)?.op.security;
    expect(security('get', '/api/v1/users/me')).toEqual([{ bearerAuth: [] }]);
    expect(security('post', '/api/v1/bookings')).toEqual([{ bearerAuth: [] }]);
    expect(security('post', '/api/v1/auth/login')).toEqual([]);
    expect(security('get', '/api/v1/properties')).toEqual([]);
    expect(security('get', '/health/ready')).toEqual([]);
    // Shows more to the host of a draft: a token is optional.
    expect(security('get', '/api/v1/properties/{id}')).toEqual([{}, { bearerAuth: [] }]);
  });

  it('describes every error as application/problem+json with the Problem schema', () => {
    let problems = 0;
    const shared = (r: Response) =>
      r.$ref ? doc.components.responses[r.$ref.replace('#/components/responses/', '')]! : r;
    for (const o of operations) {
      for (const [status, ref] of Object.entries(o.op.responses)) {
        if (Number(status) < 400) continue;
        const response = shared(ref);
        expect(response, `${where(o)} ${status}: ${ref.$ref}`).toBeDefined();
        // Readiness answers its own report with 503, not a problem.
        if (o.op.operationId === 'getReadiness' && status === '503') continue;
        expect(Object.keys(response.content ?? {}), `${where(o)} ${status}`).toEqual([
          'application/problem+json',
        ]);
        expect(response.content!['application/problem+json']!.schema).toEqual({
          $ref: '#/components/schemas/Problem',
        });
        expect(response.description, `${where(o)} ${status}`).not.toBe('Default Response');
        problems++;
      }
    }
    expect(problems).toBeGreaterThan(100);
    expect(doc.components.schemas['Problem']).toBeDefined();
  });

  it('documents the 4xx of every operation that takes input or a token', () => {
    for (const o of operations) {
      const takesInput =
        (o.op.parameters?.length ?? 0) > 0 ||
        o.op.requestBody !== undefined ||
        (o.op.security ?? []).some((r) => 'bearerAuth' in r && Object.keys(r).length === 1);
      if (!takesInput) continue;
      expect(
        Object.keys(o.op.responses).some((s) => s.startsWith('4')),
        `${where(o)} takes input but documents no 4xx`,
      ).toBe(true);
    }
  });

  /** The operations whose success is not JSON, and what they answer instead. */
  const NOT_JSON: Record<string, string[]> = {
    getMedia: ['image/jpeg', 'image/png', 'image/webp'],
    getMetrics: ['text/plain'],
    streamEvents: ['text/event-stream'],
    getBookingReceiptPdf: ['application/pdf'],
    getPayoutStatementPdf: ['application/pdf'],
    exportHostPayouts: ['text/csv'],
  };

  it('describes success responses (JSON, but images, metrics, the event stream, PDFs and CSV) with a description and an example', () => {
    for (const o of operations) {
      for (const [status, response] of Object.entries(o.op.responses)) {
        if (Number(status) >= 400 || !response.content) continue;
        expect(response.description, `${where(o)} ${status}`).not.toBe('Default Response');
        const types = Object.keys(response.content);
        const other = NOT_JSON[o.op.operationId ?? ''];
        if (other) expect(types, where(o)).toEqual(other);
        else {
          // JSON, and for links opened from an email also a page for a browser.
          expect(types[0], `${where(o)} ${status}`).toBe('application/json');
          expect(
            types.slice(1).every((t) => t === 'text/html'),
            `${where(o)} ${status}`,
          ).toBe(true);
        }
        if (o.op.operationId === 'getMedia') continue;
        for (const [type, media] of Object.entries(response.content)) {
          expect(
            media.example ?? media.examples,
            `${where(o)} ${status} ${type}: give the response schema an example`,
          ).toBeDefined();
        }
      }
    }
  });

  it('gives every JSON request body an example', () => {
    let bodies = 0;
    for (const o of operations) {
      const json = o.op.requestBody?.content['application/json'];
      if (!json) continue;
      bodies++;
      expect(json.example ?? json.examples, `${where(o)}: give the body schema an example`).toBeDefined();
    }
    expect(bodies).toBeGreaterThan(20);
  });

  it('has examples that are valid against their own schemas', async () => {
    const resolved = (await SwaggerParser.dereference(JSON.parse(generated))) as unknown as Document;
    // CommonJS modules: their default export is the module object, the class/plugin its `default`.
    const ajv = new Ajv2020Module.default({ strict: false, allErrors: true });
    addFormatsModule.default(ajv);
    ajv.addFormat('binary', true);
    let checked = 0;
    const check = (schema: Json | undefined, value: unknown, at: string) => {
      if (!schema) return;
      const validate = ajv.compile(schema);
      expect(validate(value), `${at}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      checked++;
    };
    const checkMedia = (media: Media, at: string) => {
      if (media.example !== undefined) check(media.schema, media.example, at);
      for (const [name, e] of Object.entries(media.examples ?? {}))
        check(media.schema, e.value, `${at} ${name}`);
    };
    for (const [path, item] of Object.entries(resolved.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.has(method)) continue;
        const at = `${method.toUpperCase()} ${path}`;
        for (const p of op.parameters ?? []) {
          if (p.example !== undefined) check(p.schema, p.example, `${at} ${p.in} ${p.name}`);
        }
        for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
          checkMedia(media, `${at} request ${type}`);
        }
        for (const [status, response] of Object.entries(op.responses)) {
          for (const [type, media] of Object.entries(response.content ?? {})) {
            checkMedia(media, `${at} ${status} ${type}`);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(150);
  });

  it('leaves internal routes out, has no trailing-slash paths, and describes /media/{key} and /metrics', () => {
    for (const path of Object.keys(doc.paths)) {
      expect(path).not.toMatch(/^\/(graphql|graphiql|docs|openapi\.json)/);
      if (path !== '/') expect(path.endsWith('/'), path).toBe(false);
    }
    expect(doc.paths['/api/v1/bookings']?.['get']?.operationId).toBe('listBookings');
    expect(doc.paths['/api/v1/properties']?.['get']?.operationId).toBe('searchProperties');
    expect(doc.paths['/media/{key}']?.['get']?.operationId).toBe('getMedia');
    expect(doc.paths['/metrics']?.['get']?.responses['200']?.content?.['text/plain']).toBeDefined();
    expect(doc.paths['/health/live']?.['get']?.operationId).toBe('getLiveness');
    expect(doc.paths['/health/ready']?.['get']?.operationId).toBe('getReadiness');
  });

  it('does not mark query parameters with a default as required', () => {
    let defaults = 0;
    for (const o of operations) {
      for (const p of o.op.parameters ?? []) {
        if (p.in !== 'query' || p.schema['default'] === undefined) continue;
        defaults++;
        expect(p.required, `${where(o)} ?${p.name} has a default`).toBe(false);
      }
    }
    expect(defaults).toBeGreaterThanOrEqual(8);
    const search = doc.paths['/api/v1/properties']!['get']!.parameters!;
    expect(search.find((p) => p.name === 'sort')).toMatchObject({
      required: false,
      schema: { default: 'newest' },
    });
    expect(search.find((p) => p.name === 'limit')).toMatchObject({
      required: false,
      schema: { default: 20 },
    });
  });

  it('describes the photo upload as multipart/form-data with a binary file field', () => {
    const op = doc.paths['/api/v1/properties/{id}/photos']!['post']!;
    expect(Object.keys(op.requestBody!.content)).toEqual(['multipart/form-data']);
    const form = op.requestBody!.content['multipart/form-data']!.schema as {
      properties: Record<string, Json>;
      required: string[];
    };
    expect(form.properties['file']).toMatchObject({ type: 'string', format: 'binary' });
    expect(form.required).toEqual(['file']);
    expect(form.properties['caption']).toMatchObject({ type: 'string' });
  });
});

describe('the server does what the document says', () => {
  const uploads = mkdtempSync(join(tmpdir(), 'roost-openapi-uploads-'));
  let t: TestApp;
  let host: TestUser;
  let listing: string;
  beforeAll(async () => {
    t = await createTestApp({ env: { UPLOADS_DIR: uploads } });
    host = await createUser(t, 'host');
    listing = (await createListing(t, host)).id;
  });
  afterAll(async () => {
    await t.close();
    rmSync(uploads, { recursive: true, force: true });
  });

  it('serves the document at GET /openapi.json, with the development-only routes outside production', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const served = res.json() as Document;
    // The test app has no job queue (the admin jobs routes are mounted with one) and is not production.
    const withoutJobs = Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/admin/jobs'));
    const dev = Object.keys(served.paths).filter((p) => p.startsWith('/api/v1/dev/'));
    expect(dev.length).toBeGreaterThan(0);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/dev/'))).toBe(false);
    expect(
      Object.keys(served.paths)
        .filter((p) => !dev.includes(p))
        .sort(),
    ).toEqual(withoutJobs.sort());
    expect(served.tags.map((t) => t.name)).toEqual([...doc.tags.map((t) => t.name), 'development']);
    expect(served.info).toEqual(doc.info);
  });

  it('accepts the upload as Swagger UI sends it (fetch + FormData, fields in any order)', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(64).fill(1)]);
    const send = (form: FormData) =>
      fetch(`${address}/api/v1/properties/${listing}/photos`, {
        method: 'POST',
        headers: { authorization: host.auth.authorization },
        body: form,
      });
    // The document's order: file, then caption.
    const first = new FormData();
    first.append('file', new Blob([png], { type: 'image/png' }), 'terrace.png');
    first.append('caption', 'The terrace at sunset');
    const res = await send(first);
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toMatchObject({ contentType: 'image/png', caption: 'The terrace at sunset' });
    // The other order works too.
    const second = new FormData();
    second.append('caption', 'Living room');
    second.append('file', new Blob([png.map((b, i) => (i > 8 ? 2 : b))], { type: 'image/png' }), 'room.png');
    const again = await send(second);
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ caption: 'Living room' });
    // Without the file field: a problem, as documented.
    const none = new FormData();
    none.append('caption', 'no file');
    const missing = await send(none);
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await missing.json()).toMatchObject({ code: 'file_required' });
  });

  it('sends problems as application/problem+json, as documented', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/users/me' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized', instance: '/api/v1/users/me' });
  });

  it('locates a querystring error `in: querystring`, whether the schema or the service finds it', async () => {
    const bySchema = await t.app.inject({ method: 'GET', url: '/api/v1/properties?limit=0' });
    expect(bySchema.statusCode).toBe(400);
    expect(bySchema.json().errors).toEqual([expect.objectContaining({ field: 'limit', in: 'querystring' })]);

    const byService = await t.app.inject({
      method: 'GET',
      url: '/api/v1/properties?checkIn=2030-01-05&checkOut=2030-01-02',
    });
    expect(byService.statusCode).toBe(400);
    expect(byService.json()).toMatchObject({ code: 'validation_error' });
    expect(byService.json().errors).toEqual([
      { field: 'checkOut', message: 'must be after checkIn', in: 'querystring' },
    ]);

    const cursor = await t.app.inject({ method: 'GET', url: '/api/v1/properties?sort=relevance' });
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().errors).toEqual([expect.objectContaining({ field: 'sort', in: 'querystring' })]);
  });

  it('still locates a body field `in: body`', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings/quote',
      payload: { propertyId: listing, checkIn: '2030-01-05', checkOut: '2030-01-02', guests: 1 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'checkOut', in: 'body' })]);
  });
});
