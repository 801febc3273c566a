/**
 * The Postman collection (postman/, generated from openapi.json by `npm run postman`):
 *  - the files checked in are exactly what the generator gives for the checked-in openapi.json;
 *  - every operation of the document is in it, with bearer auth where the document asks for a token,
 *    optional parameters disabled, example values instead of placeholders, a file field for uploads;
 *  - newman (its Node API) runs the "User story" folder end to end against the real API process
 *    (src/server.ts on the engine under test, the shared Redis) with every assertion passing, twice in a
 *    row (each run makes its own accounts), and reports failures when the server is not there.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoostClient, unwrap } from '../packages/client/src/index.js';
import {
  COLLECTION_PATH,
  ENVIRONMENT_PATH,
  type PostmanCollection,
  type PostmanEnvironment,
  postmanFiles,
  readOpenApi,
  STORY_FOLDER,
} from '../scripts/postman.js';
import { type ApiProcess, startApiProcess } from './support/api-process.js';
import { freePort } from './support/processes.js';

/** The part of newman's Node API used here (newman ships no types). */
interface NewmanSummary {
  run: {
    stats: Record<'requests' | 'assertions' | 'testScripts', { total: number; failed: number }>;
    failures: { error: { name: string; message: string; test?: string }; source?: { name?: string } }[];
    executions: {
      item: { name: string };
      response?: { code: number };
      assertions?: { assertion: string; error?: { message: string } }[];
    }[];
  };
  environment: { toObject(): Record<string, string> };
}
interface Newman {
  run(
    options: {
      collection: unknown;
      environment: unknown;
      envVar: { key: string; value: string }[];
      folder: string;
      reporters: string[];
      timeoutRequest: number;
    },
    callback: (err: Error | null, summary: NewmanSummary) => void,
  ): unknown;
}
const newman = createRequire(import.meta.url)('newman') as Newman;

const collection = JSON.parse(readFileSync(COLLECTION_PATH, 'utf8')) as PostmanCollection;
const environment = JSON.parse(readFileSync(ENVIRONMENT_PATH, 'utf8')) as PostmanEnvironment;

function runStory(baseUrl: string): Promise<NewmanSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection,
        environment,
        envVar: [{ key: 'baseUrl', value: baseUrl }],
        folder: STORY_FOLDER,
        reporters: [],
        timeoutRequest: 20_000,
      },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    );
  });
}

const failureMessages = (s: NewmanSummary) =>
  s.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.test ?? f.error.name}: ${f.error.message}`);

describe('the generated Postman files', () => {
  it('are exactly what `npm run postman` generates from openapi.json', () => {
    const files = postmanFiles(readOpenApi());
    expect(readFileSync(COLLECTION_PATH, 'utf8') === files.collection, 'run `npm run postman`').toBe(true);
    expect(readFileSync(ENVIRONMENT_PATH, 'utf8') === files.environment, 'run `npm run postman`').toBe(true);
  });

  it('hold every operation, bearer auth where a token is needed, disabled optional parameters, real examples', () => {
    const doc = readOpenApi();
    const reference = collection.item.filter((f) => f.name !== STORY_FOLDER).flatMap((f) => f.item);
    const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
    const inCollection = new Map(
      reference.map((i) => [
        key(i.request.method, `/${i.request.url.path.join('/')}`.replace(/:(\w+)/g, '{$1}')),
        i,
      ]),
    );
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operations++;
        const request = inCollection.get(key(method, path));
        expect(request, key(method, path)).toBeDefined();
        const needsToken = (op.security ?? []).some((r) => Object.keys(r).length > 0);
        // Protected requests inherit the collection's bearer auth; public ones send none.
        expect(request!.request.auth, key(method, path)).toEqual(needsToken ? undefined : { type: 'noauth' });
        for (const p of op.parameters ?? []) {
          if (p.in !== 'query') continue;
          const q = request!.request.url.query?.find((x) => x.key === p.name);
          expect(q, `${key(method, path)} ?${p.name}`).toBeDefined();
          expect(q!.disabled === true, `${key(method, path)} ?${p.name} disabled`).toBe(!p.required);
          expect(q!.value, `${key(method, path)} ?${p.name}`).not.toMatch(/^(<.*>|null|)$/);
        }
      }
    }
    expect(reference).toHaveLength(operations);
    expect(collection.auth).toEqual({
      type: 'bearer',
      bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }],
    });
    expect(JSON.stringify(collection)).not.toMatch(/<string>|<number>|<uuid>/);

    const search = reference.find((i) => i.request.description?.includes('`searchProperties`'))!;
    expect(search.request.url.query?.find((q) => q.key === 'city')).toMatchObject({
      value: expect.stringMatching(/^[A-Z][a-z]+/),
      disabled: true,
    });
    const upload = reference.find((i) => i.request.description?.includes('`uploadPropertyPhoto`'))!;
    expect(upload.request.body).toMatchObject({
      mode: 'formdata',
      formdata: expect.arrayContaining([
        { key: 'file', type: 'file', src: [], description: expect.any(String) },
      ]),
    });
    expect(upload.request.url.variable).toEqual([
      expect.objectContaining({ key: 'id', value: '{{propertyId}}' }),
    ]);
    const login = reference.find((i) => i.request.description?.includes('`login`'))!;
    const script = login.event!.find((e) => e.listen === 'test')!.script.exec.join('\n');
    expect(script).toContain("pm.environment.set('accessToken', session.accessToken)");
    expect(script).toContain("pm.environment.set('refreshToken', session.refreshToken)");

    expect(environment.values.find((v) => v.key === 'baseUrl')).toMatchObject({
      value: 'http://localhost:3000',
    });
    expect(collection.variable).toEqual([{ key: 'baseUrl', value: 'http://localhost:3000', type: 'string' }]);
  });
});

describe('newman runs the user story against the real server', () => {
  let server: ApiProcess;
  beforeAll(async () => {
    server = await startApiProcess({
      name: 'postman',
      redisDb: 11,
      // Each run signs up and signs in several accounts from 127.0.0.1 within seconds.
      env: { RATE_LIMIT_AUTH_MAX: '50' },
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  it('passes every assertion, twice in a row (each run signs up new accounts)', async () => {
    const steps = collection.item.find((f) => f.name === STORY_FOLDER)!.item.map((i) => i.name);
    for (let run = 0; run < 2; run++) {
      const summary = await runStory(server.baseUrl);
      expect(failureMessages(summary)).toEqual([]);
      expect(summary.run.executions.map((e) => e.item.name)).toEqual(steps);
      for (const e of summary.run.executions) expect(e.response?.code, e.item.name).toBeLessThan(300);
      expect(summary.run.stats.assertions.failed).toBe(0);
      expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(2 * steps.length);

      // The variables the run chained lead to the real booking: read it through the typed client.
      const vars = summary.environment.toObject();
      expect(vars['bookingId']).toMatch(/^[0-9a-f-]{36}$/);
      const guest = createRoostClient({ baseUrl: server.baseUrl, token: vars['accessToken']! });
      const booking = unwrap(
        await guest.GET('/api/v1/bookings/{id}', { params: { path: { id: vars['bookingId']! } } }),
      );
      expect(booking).toMatchObject({ status: 'confirmed', propertyId: vars['propertyId'], total: 44_279 });
    }
  }, 120_000);

  it('reports failures when the server does not answer', async () => {
    const closed = await freePort();
    const summary = await runStory(`http://127.0.0.1:${closed}`);
    expect(summary.run.failures.length).toBeGreaterThan(0);
    expect(failureMessages(summary).join('\n')).toMatch(/ECONNREFUSED/);
  }, 60_000);
});
