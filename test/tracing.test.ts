/**
 * Tracing as deployed: the real API and worker processes (src/server.ts, src/worker.ts) on PostgreSQL
 * and Redis, exporting over OTLP/HTTP to a small receiver this test runs.
 *
 * - With OTEL_EXPORTER_OTLP_ENDPOINT set, a registration is one trace across both processes: the API's
 *   server span (service `roost-api`), its SQL and Redis spans, then in the worker (`roost-worker`) the
 *   relay's producer span (continuing the request's trace from the outbox row) and the send job's
 *   consumer span, its child through the job's data on the real BullMQ queue. Both processes' log lines
 *   carry the trace id.
 * - Without it, the OpenTelemetry SDK is never loaded (a module-resolution hook in the child reports
 *   every @opentelemetry module resolved), nothing is sent, and no log line has a trace id.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  freePort,
  killLeftovers,
  type LogLine,
  type RoostProcess,
  startRoost,
  waitUntilServing,
} from './support/processes.js';
import { dropPrefix, redisUrl, uniquePrefix, waitFor } from './support/redis.js';
import { TEST_JWT_SECRET } from './support/test-app.js';
import { createTestDatabase, type TestDatabase, testDbKind } from './support/test-db.js';

/** A Redis DB index of this file's own on the shared server (keys are prefixed too, and removed). */
const REDIS_DB = 14;
const dbRedisUrl = () => {
  const url = new URL(redisUrl());
  url.pathname = `/${REDIS_DB}`;
  return url.toString();
};

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: number;
}

/** OTLP/JSON ids are hex; accept base64 too. */
const hex = (id: unknown) => {
  const s = String(id ?? '');
  return /^[0-9a-f]*$/i.test(s) ? s.toLowerCase() : Buffer.from(s, 'base64').toString('hex');
};

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
const plain = (v: AnyValue) =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const attributesOf = (list: { key: string; value: AnyValue }[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, plain(a.value)]));

/** A tiny OTLP/HTTP (JSON) trace receiver. */
function receiver() {
  const spans: ExportedSpan[] = [];
  let requests = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      requests++;
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const doc = JSON.parse(body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: AnyValue }[] };
          scopeSpans: { spans: Record<string, unknown>[] }[];
        }[];
      };
      for (const rs of doc.resourceSpans) {
        const service = String(attributesOf(rs.resource.attributes)['service.name']);
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            spans.push({
              service,
              traceId: hex(s['traceId']),
              spanId: hex(s['spanId']),
              parentSpanId: hex(s['parentSpanId']),
              name: String(s['name']),
              kind: Number(s['kind']),
              attributes: attributesOf(s['attributes'] as { key: string; value: AnyValue }[]),
              status: Number((s['status'] as { code?: number } | undefined)?.code ?? 0),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return {
    spans,
    requests: () => requests,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
        }),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let database: TestDatabase;
let redis: Redis;
const prefix = uniquePrefix('tracing-processes');
const dir = mkdtempSync(join(tmpdir(), 'roost-tracing-'));
/** Loaded into the children: reports every @opentelemetry module resolved, as a JSON line on stderr. */
const hook = join(dir, 'otel-modules.mjs');
writeFileSync(
  join(dir, 'otel-modules-hooks.mjs'),
  `import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.includes('/@opentelemetry/')) writeSync(2, JSON.stringify({ msg: 'module resolved', url: r.url }) + '\\n');
  return r;
}
`,
);
writeFileSync(
  hook,
  `import { register } from 'node:module';
register(${JSON.stringify(`file://${join(dir, 'otel-modules-hooks.mjs')}`)});
`,
);

const sdkModules = (p: RoostProcess) =>
  p.lines
    .filter(
      (l) =>
        l.msg === 'module resolved' &&
        /@opentelemetry\/(sdk-|exporter-|resources|context-)/.test(String(l['url'])),
    )
    .map((l) => String(l['url']));

beforeAll(async () => {
  // Always PostgreSQL: the processes need a server database.
  database = await createTestDatabase(
    testDbKind() === 'postgres' ? inject('templateDatabase') : undefined,
    'postgres',
  );
  redis = new Redis(dbRedisUrl(), { maxRetriesPerRequest: 3 });
});

afterAll(async () => {
  killLeftovers();
  await dropPrefix(redis, prefix).catch(() => {});
  await dropPrefix(redis, 'roost:').catch(() => {});
  redis?.disconnect();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = (queuePrefix: string) => ({
  DATABASE_URL: database.url!,
  REDIS_URL: dbRedisUrl(),
  QUEUE_PREFIX: queuePrefix,
  MAIL_DIR: join(dir, 'mail'),
  UPLOADS_DIR: join(dir, 'uploads'),
  JWT_SECRET: TEST_JWT_SECRET,
  LOG_LEVEL: 'info',
  NODE_OPTIONS: `--import ${hook}`,
});

async function register(base: string, email: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password: 'correct-horse-42', firstName: 'Otto', lastName: 'Trace' }),
  });
  expect(res.status).toBe(201);
}

const isSendDone = (l: LogLine) => l.msg === 'job completed' && l['job'] === 'send-email';

describe('tracing across the API and worker processes (OTLP/HTTP)', () => {
  it('exports one trace from the API request to the worker’s send job, with the trace id in both processes’ log lines', async () => {
    const otlp = receiver();
    const endpoint = await otlp.listen();
    const traced = {
      ...env(`${prefix}:on`),
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-test=roost',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    const port = await freePort();
    const worker = startRoost('src/worker.ts', traced, 'worker');
    const api = startRoost('src/server.ts', { ...traced, PORT: String(port) }, 'api');
    try {
      const base = `http://127.0.0.1:${port}`;
      await worker.waitForLine((l) => l.msg === 'roost worker is consuming jobs', 60_000, 'start-up');
      await waitUntilServing(api, `${base}/health/live`);
      const email = `otlp.${Date.now()}@example.com`;
      await register(base, email, { 'x-request-id': 'otlp-register' });

      // The API's request line names the trace.
      const requestLine = await api.waitForLine(
        (l) => l['reqId'] === 'otlp-register' && l.msg === 'request',
        5_000,
        'the request line',
      );
      const traceId = String(requestLine['traceId']);
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);

      // The worker's relay (every 5 s) and send job follow; their spans reach the receiver.
      await worker.waitForLine((l) => isSendDone(l) && l['traceId'] === traceId, 20_000, 'the send job');
      const inTrace = () => otlp.spans.filter((s) => s.traceId === traceId);
      await waitFor(
        async () => inTrace().some((s) => s.name === 'process send-email'),
        10_000,
        'the consumer span to be exported',
      );
      const spans = inTrace();
      const server = spans.find((s) => s.kind === 2 && s.name === 'POST /api/v1/auth/register');
      expect(server).toMatchObject({ service: 'roost-api', parentSpanId: '' });
      expect(server!.attributes).toMatchObject({
        'http.route': '/api/v1/auth/register',
        'http.response.status_code': 201,
        'roost.request_id': 'otlp-register',
      });
      expect(server!.spanId).toBe(requestLine['spanId']);
      const api_ = spans.filter((s) => s.service === 'roost-api');
      expect(
        api_.some((s) => s.name === 'INSERT email_outbox' && s.attributes['db.system.name'] === 'postgresql'),
      ).toBe(true);
      expect(api_.some((s) => s.attributes['db.system.name'] === 'redis')).toBe(true);

      const consumer = spans.find((s) => s.name === 'process send-email')!;
      const producer = spans.find((s) => s.spanId === consumer.parentSpanId);
      expect(consumer.service).toBe('roost-worker');
      expect(consumer.kind).toBe(5);
      expect(producer).toMatchObject({ service: 'roost-worker', kind: 4, name: 'send send-email' });
      // The producer continues the request: its parent is a span of the API's, under the server span.
      const writer = spans.find((s) => s.spanId === producer!.parentSpanId);
      expect(writer?.service).toBe('roost-api');
      expect([writer!.spanId, writer!.parentSpanId]).toContain(server!.spanId);
      // The send job's statements, in the worker, under the consumer.
      expect(
        spans.some(
          (s) =>
            s.service === 'roost-worker' &&
            s.parentSpanId === consumer.spanId &&
            s.name.includes('email_outbox'),
        ),
      ).toBe(true);
      // The worker's log line of that attempt names the consumer span.
      const jobLine = worker.lines.find((l) => isSendDone(l) && l['traceId'] === traceId)!;
      expect(jobLine['spanId']).toBe(consumer.spanId);
      // The SDK was loaded in both processes.
      expect(sdkModules(api).length).toBeGreaterThan(0);
      expect(sdkModules(worker).length).toBeGreaterThan(0);
    } finally {
      await Promise.allSettled([api.stop(), worker.stop()]);
      await otlp.close();
    }
  });

  it('without OTEL_EXPORTER_OTLP_ENDPOINT loads no SDK, writes no trace context and logs no trace ids', async () => {
    // Other OTEL_* variables alone do not turn it on.
    const untraced = {
      ...env(`${prefix}:off`),
      OTEL_SERVICE_NAME: 'roost-untraced',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-test=roost',
    };
    const port = await freePort();
    const worker = startRoost('src/worker.ts', untraced, 'worker');
    const api = startRoost('src/server.ts', { ...untraced, PORT: String(port) }, 'api');
    try {
      const base = `http://127.0.0.1:${port}`;
      await worker.waitForLine((l) => l.msg === 'roost worker is consuming jobs', 60_000, 'start-up');
      await waitUntilServing(api, `${base}/health/live`);
      const email = `untraced.${Date.now()}@example.com`;
      await register(base, email, {
        'x-request-id': 'untraced',
        traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
      });
      const line = await api.waitForLine((l) => l['reqId'] === 'untraced', 5_000, 'the request line');
      expect(line['status']).toBe(201);
      await worker.waitForLine(isSendDone, 20_000, 'the send job');
      // The hook does report modules: @opentelemetry/api is resolved (the no-op tracer), the SDK never.
      expect(api.lines.some((l) => l.msg === 'module resolved')).toBe(true);
      expect(sdkModules(api)).toEqual([]);
      expect(sdkModules(worker)).toEqual([]);
      expect([...api.lines, ...worker.lines].filter((l) => 'traceId' in l)).toEqual([]);
      // Nothing in Redis carries a trace context: the jobs' data is as before.
      const keys = await redis.keys(`${prefix}:off:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        if ((await redis.type(key)) !== 'hash') continue;
        expect(String((await redis.hget(key, 'data')) ?? '')).not.toContain('$trace');
      }
      const row = await database.db
        .selectFrom('email_outbox')
        .select('payload')
        .where('recipient', '=', email)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(row.payload)).not.toContain('$trace');
    } finally {
      await Promise.allSettled([api.stop(), worker.stop()]);
    }
  });
});
