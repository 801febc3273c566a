/**
 * Tracing, in one process with an in-memory exporter: the app and the job runner (BullMQ on the real
 * Redis, a PostgreSQL/PGlite/MySQL test database) share the exporter, and one trace crosses
 * HTTP → SQL / Redis → outbox → relay (producer) → queue → send-email (consumer) → SQL.
 *
 * Tracing is started in beforeAll and shut down in afterAll (the global tracer is the no-op one again),
 * so the files that share this worker's modules are not traced.
 */

import { request } from 'node:http';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import Fastify from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix, redisUrl, uniquePrefix, waitFor } from '../../test/support/redis.js';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { describeStatement } from '../db/tracing.js';
import { connectRedis, type Jobs, startJobs } from '../runtime.js';
import type { OutgoingEmail } from './mailer.js';
import { createBullQueue, startBullWorker } from './queue/bullmq.js';
import { createInlineQueue } from './queue/inline.js';
import { defineJob, type JobEvent, registryOf } from './queue/registry.js';
import { requestLogger } from './request-log.js';
import {
  registerHttpTracing,
  startTracing,
  TRACE_FIELD,
  type Tracing,
  tracer,
  tracingWanted,
} from './tracing.js';

const SERVER = 1;
const CLIENT = 2;
const PRODUCER = 3;
const CONSUMER = 4;

const exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;
let t: TestApp;
let redis: Redis;
let jobs: Jobs;
const sent: OutgoingEmail[] = [];
const logLines: Record<string, unknown>[] = [];
const jobEvents: JobEvent[] = [];
const prefix = uniquePrefix('tracing');

const spans = () => exporter.getFinishedSpans();
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const idOf = (s: ReadableSpan) => s.spanContext().spanId;
const traceOf = (s: ReadableSpan) => s.spanContext().traceId;

beforeAll(async () => {
  tracing = await startTracing({ serviceName: 'roost-test', exporter });
  redis = connectRedis(redisUrl());
  t = await createTestApp({
    redis,
    logger: requestLogger('info', { write: (line: string) => void logLines.push(JSON.parse(line)) }),
    env: { REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix },
  });
  jobs = await startJobs(t.ctx, t.ctx.config, {
    consume: true,
    mailer: { send: async (email) => void sent.push(email) },
    onJob: (e) => jobEvents.push(e),
  });
});

afterAll(async () => {
  await jobs?.close();
  await t?.close();
  await dropPrefix(redis, prefix).catch(() => {});
  redis?.disconnect();
  await tracing?.shutdown();
});

describe('tracing on (in-memory exporter)', () => {
  it('follows a registration across HTTP, SQL, Redis, the outbox, the BullMQ queue and the send job in one trace, and logs its trace id', async () => {
    const email = `traced.${Date.now()}@example.com`;
    // The caller's own trace: the server span continues it.
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    // Over a real socket: the body arrives in events after the hooks ran (app.inject hands it over at once).
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${callerTrace}-${callerSpan}-01`,
        'x-request-id': 'trace-test-1',
      },
      body: JSON.stringify({ email, password: 'correct-horse-42', firstName: 'Tracy', lastName: 'Span' }),
    });
    expect(res.status).toBe(201);

    // The server span: route pattern, status, request id; the caller's span is its parent.
    const server = spans().find(
      (s) => s.kind === SERVER && s.attributes['roost.request_id'] === 'trace-test-1',
    );
    expect(server).toBeDefined();
    expect(server!.name).toBe('POST /api/v1/auth/register');
    expect(traceOf(server!)).toBe(callerTrace);
    expect(parentOf(server!)).toBe(callerSpan);
    expect(server!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/v1/auth/register',
      'url.path': '/api/v1/auth/register',
      'http.response.status_code': 201,
    });
    expect(server!.status.code).not.toBe(2);

    // SQL spans under it (the handler ran after the body was parsed: the context survived), statement
    // text without values.
    const inTrace = () => spans().filter((s) => traceOf(s) === callerTrace);
    const sql = inTrace().filter((s) => s.kind === CLIENT && s.attributes['db.query.text'] !== undefined);
    const insertUser = sql.find((s) => s.name === 'INSERT users');
    const insertEmail = sql.find((s) => s.name === 'INSERT email_outbox');
    expect(insertUser).toBeDefined();
    expect(insertEmail).toBeDefined();
    expect(['postgresql', 'mysql', 'mariadb']).toContain(insertUser!.attributes['db.system.name']);
    for (const s of sql) {
      expect(String(s.attributes['db.query.text'])).not.toContain(email);
      expect(String(s.attributes['db.query.text'])).not.toContain('Tracy');
    }
    // Every SQL span of the request descends from the server span (directly, or through none other
    // than spans of this trace).
    const byId = new Map(inTrace().map((s) => [idOf(s), s]));
    const descendsFrom = (s: ReadableSpan, ancestor: ReadableSpan) => {
      for (let p = parentOf(s); p; p = byId.get(p) ? parentOf(byId.get(p)!) : undefined) {
        if (p === idOf(ancestor)) return true;
      }
      return false;
    };
    expect(descendsFrom(insertEmail!, server!)).toBe(true);
    expect(parentOf(insertUser!)).toBe(idOf(server!));

    // Redis spans: the rate-limit scripts, command names only (no keys: they hold the email).
    const redisSpans = inTrace().filter((s) => s.attributes['db.system.name'] === 'redis');
    expect(redisSpans.length).toBeGreaterThan(0);
    expect(redisSpans.every((s) => parentOf(s) === idOf(server!))).toBe(true);
    expect(redisSpans.map((s) => s.name)).toContain('redis RATELIMIT');
    expect(JSON.stringify(redisSpans.map((s) => s.attributes))).not.toContain(email);

    // The relay hands the email to the queue in the request's trace; the send job is the child.
    await jobs.queue.enqueue('relay-outbox', {});
    await waitFor(async () => sent.some((m) => m.to === email), 20_000, 'the verification email');
    await waitFor(
      async () => inTrace().some((s) => s.kind === CONSUMER && s.name === 'process send-email'),
      5_000,
      'the consumer span',
    );
    const consumer = inTrace().find((s) => s.kind === CONSUMER && s.name === 'process send-email')!;
    const producer = byIdNow(inTrace(), parentOf(consumer));
    expect(producer?.kind).toBe(PRODUCER);
    expect(producer?.name).toBe('send send-email');
    expect(producer?.attributes['messaging.system']).toBe('bullmq');
    // The producer's parent is the span the outbox row was written in, inside the request.
    const writer = byIdNow(inTrace(), parentOf(producer!));
    expect(writer).toBeDefined();
    expect(writer === server || descendsFrom(writer!, server!)).toBe(true);
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'roost.job.name': 'send-email',
      'roost.job.attempt': 1,
    });
    // The send job's own SQL (claiming and marking the row) is in the trace, under the consumer.
    const jobSql = inTrace().filter(
      (s) =>
        s.kind === CLIENT &&
        s.attributes['db.collection.name'] === 'email_outbox' &&
        descendsFrom(s, consumer),
    );
    expect(jobSql.length).toBeGreaterThanOrEqual(2);

    // The request's log line carries the trace and its server span.
    const line = logLines.find((l) => l['reqId'] === 'trace-test-1' && l['msg'] === 'request');
    expect(line).toMatchObject({ traceId: callerTrace, spanId: idOf(server!), status: 201 });
  });

  it('marks a 5xx server span and a failed statement as errors, and starts a new trace without (or with a malformed) traceparent', async () => {
    const app = Fastify();
    registerHttpTracing(app);
    app.get('/boom/:id', async () => {
      await sql`select * from no_such_table`.execute(t.ctx.db).catch(() => {});
      throw new Error('kaboom');
    });
    app.get('/ok', async () => ({ ok: true }));
    app.post('/slow-body', async (req) => {
      await sql`select 1`.execute(t.ctx.db);
      return req.body;
    });
    try {
      exporter.reset();
      expect((await app.inject({ url: '/boom/7' })).statusCode).toBe(500);
      const bad = await app.inject({ url: '/ok', headers: { traceparent: '00-zz-yy-01' } });
      expect(bad.statusCode).toBe(200);
      // A body that arrives after the hooks ran (its events come from the socket): the handler still
      // runs in the request's span.
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const slow = await new Promise<number>((resolve, reject) => {
        const req = request(`${base}/slow-body`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': '11' },
        });
        req.on('response', (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.on('error', reject);
        req.flushHeaders();
        setTimeout(() => req.write('{"a":'), 50);
        setTimeout(() => req.end('12345}'), 100);
      });
      expect(slow).toBe(200);
      const post = spans().find((s) => s.name === 'POST /slow-body')!;
      const select = spans().find((s) => s.name === 'SELECT' && parentOf(s) === idOf(post));
      expect(select).toBeDefined();
      const boom = spans().find((s) => s.name === 'GET /boom/:id')!;
      expect(boom.status.code).toBe(2);
      expect(boom.attributes['http.response.status_code']).toBe(500);
      expect(boom.attributes['url.path']).toBe('/boom/7');
      expect(boom.events.some((e) => e.name === 'exception')).toBe(true);
      expect(parentOf(boom)).toBeUndefined();
      const failedSql = spans().find((s) => s.name === 'SELECT no_such_table')!;
      expect(failedSql.status.code).toBe(2);
      expect(parentOf(failedSql)).toBe(idOf(boom));
      const ok = spans().find((s) => s.name === 'GET /ok')!;
      expect(ok.status.code).toBe(0);
      expect(parentOf(ok)).toBeUndefined();
      expect(traceOf(ok)).not.toBe(traceOf(boom));
    } finally {
      await app.close();
    }
  });

  it('records nothing for a caller whose trace is not sampled, but still logs its trace id', async () => {
    exporter.reset();
    const traceId = 'a'.repeat(32);
    const res = await t.app.inject({
      url: '/api/v1/properties',
      headers: { traceparent: `00-${traceId}-${'b'.repeat(16)}-00`, 'x-request-id': 'unsampled' },
    });
    expect(res.statusCode).toBe(200);
    expect(spans()).toEqual([]);
    expect(logLines.find((l) => l['reqId'] === 'unsampled')).toMatchObject({ traceId, status: 200 });
  });

  it('makes no SQL or Redis spans outside a trace', async () => {
    exporter.reset();
    await sql`select 1`.execute(t.ctx.db);
    await redis.ping();
    expect(spans()).toHaveLength(0);
    await tracer().startActiveSpan('parent', async (span) => {
      await sql`select 1`.execute(t.ctx.db);
      await redis.ping();
      span.end();
    });
    expect(
      spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['SELECT', 'parent', 'redis PING']);
  });
});

function byIdNow(all: ReadableSpan[], id: string | undefined) {
  return id ? all.find((s) => idOf(s) === id) : undefined;
}

describe('job trace context', () => {
  const registry = (seen: unknown[]) =>
    registryOf([
      defineJob({
        name: 'strict',
        // additionalProperties: false — the trace field must be gone before validation.
        schema: Type.Object({ n: Type.Integer() }, { additionalProperties: false }),
        attempts: 1,
        handler: async (data) => void seen.push(data),
      }),
    ] as const);

  it('BullMQ: the consumer span is the child of the producer span; the handler sees the payload alone; a job without trace context still runs, in a new trace', async () => {
    const seen: unknown[] = [];
    const p = `${prefix}:bull`;
    const queue = createBullQueue(registry(seen), { url: redisUrl(), prefix: p });
    const worker = await startBullWorker(registry(seen), [], { url: redisUrl(), prefix: p });
    try {
      exporter.reset();
      await tracer().startActiveSpan('caller', async (span) => {
        await queue.enqueue('strict', { n: 1 });
        span.end();
      });
      // Enqueued outside any trace (schedules, older API processes): no producer span, no trace field.
      await queue.enqueue('strict', { n: 2 });
      const raw = await queue.queue.getJobs(['waiting', 'active', 'completed', 'delayed']);
      await waitFor(async () => seen.length === 2, 10_000, 'both jobs');
      expect(seen).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }]));
      await waitFor(async () => spans().filter((s) => s.kind === CONSUMER).length === 2, 5_000, 'consumers');
      const caller = spans().find((s) => s.name === 'caller')!;
      const producers = spans().filter((s) => s.kind === PRODUCER);
      expect(producers).toHaveLength(1);
      expect(parentOf(producers[0]!)).toBe(idOf(caller));
      const consumers = spans().filter((s) => s.kind === CONSUMER);
      const child = consumers.find((s) => parentOf(s) === idOf(producers[0]!));
      expect(child).toBeDefined();
      expect(traceOf(child!)).toBe(traceOf(caller));
      const orphan = consumers.find((s) => s !== child)!;
      expect(parentOf(orphan)).toBeUndefined();
      expect(traceOf(orphan)).not.toBe(traceOf(caller));
      // What Redis holds: the trace field in the traced job only.
      const data = raw.map((j) => j.data as Record<string, unknown>);
      expect(data.filter((d) => TRACE_FIELD in d)).toHaveLength(1);
      expect(
        String((data.find((d) => TRACE_FIELD in d)![TRACE_FIELD] as { traceparent: string }).traceparent),
      ).toMatch(new RegExp(`^00-${traceOf(caller)}-${idOf(producers[0]!)}-01$`));
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('BullMQ: a job whose trace field is garbage still runs (new trace), and the failed-job view hides the field', async () => {
    const seen: unknown[] = [];
    const p = `${prefix}:garbage`;
    const queue = createBullQueue(registry(seen), { url: redisUrl(), prefix: p });
    const worker = await startBullWorker(registry(seen), [], { url: redisUrl(), prefix: p });
    try {
      exporter.reset();
      await queue.queue.add('strict', { n: 3, [TRACE_FIELD]: { traceparent: 'not-a-traceparent' } });
      await queue.queue.add('strict', { n: 'x', [TRACE_FIELD]: { traceparent: 42 } }, { attempts: 1 });
      await waitFor(async () => seen.length === 1 && (await queue.failed()).length === 1, 10_000, 'jobs');
      expect(seen).toEqual([{ n: 3 }]);
      const [failed] = await queue.failed();
      expect(failed!.data).toEqual({ n: 'x' });
      const consumers = spans().filter((s) => s.kind === CONSUMER);
      expect(consumers).toHaveLength(2);
      expect(consumers.every((s) => parentOf(s) === undefined)).toBe(true);
      expect(consumers.find((s) => s.status.code === 2)?.events.some((e) => e.name === 'exception')).toBe(
        true,
      );
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('the in-process runner propagates the same way', async () => {
    const seen: unknown[] = [];
    const inline = createInlineQueue(registry(seen));
    try {
      exporter.reset();
      await tracer().startActiveSpan('caller', async (span) => {
        await inline.enqueue('strict', { n: 4 });
        span.end();
      });
      await inline.idle();
      expect(seen).toEqual([{ n: 4 }]);
      const caller = spans().find((s) => s.name === 'caller')!;
      const producer = spans().find((s) => s.kind === PRODUCER)!;
      const consumer = spans().find((s) => s.kind === CONSUMER)!;
      expect(producer.attributes['messaging.system']).toBe('inline');
      expect(parentOf(producer)).toBe(idOf(caller));
      expect(parentOf(consumer)).toBe(idOf(producer));
      expect(traceOf(consumer)).toBe(traceOf(caller));
    } finally {
      await inline.close();
    }
  });
});

describe('configuration', () => {
  it('is wanted only with an OTLP endpoint, and not when the SDK is disabled', () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_HEADERS: 'a=b' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' })).toBe(true);
    expect(
      tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_SDK_DISABLED: 'TRUE' }),
    ).toBe(false);
  });

  it('names SQL spans by operation and table', () => {
    expect(describeStatement('select "id" from "listings" where "id" = $1')).toEqual({
      operation: 'SELECT',
      table: 'listings',
    });
    expect(describeStatement('insert into `email_outbox` (`id`) values (?)')).toEqual({
      operation: 'INSERT',
      table: 'email_outbox',
    });
    expect(describeStatement('begin')).toEqual({ operation: 'BEGIN', table: undefined });
    expect(describeStatement('/* c */ update "users" set "name" = $1').operation).toBe('UPDATE');
  });
});
