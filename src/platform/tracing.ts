/**
 * Tracing with OpenTelemetry, off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Off, nothing of the SDK is loaded: `@opentelemetry/api`
 * answers with its no-op tracer, and every seam below checks one boolean (`tracingEnabled()`) and
 * otherwise costs nothing — the HTTP hooks, the SQL and Redis wrappers are not even installed.
 *
 * On (`startTracing`, called first thing by src/server.ts and src/worker.ts), spans go over OTLP/HTTP
 * (JSON) to the collector, batched, configured by the standard variables: OTEL_SERVICE_NAME (default
 * `roost-api` / `roost-worker`), OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT /
 * _COMPRESSION, OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*. Incoming `traceparent` headers are honoured.
 *
 * The seams (manual instrumentation; no require hooks, which are fragile under ESM + tsx):
 *  - HTTP: one SERVER span per request (`registerHttpTracing`, Fastify hooks);
 *  - SQL: one CLIENT span per statement (`tracedDialect` in src/db/tracing.ts);
 *  - Redis: one CLIENT span per command of the app's client (`traceRedis`);
 *  - jobs: a PRODUCER span per enqueue, which writes the trace context into the job's data
 *    (`$trace: { traceparent }`), and a CONSUMER span per attempt, its child (`traceEnqueue`,
 *    `traceJob`); emails carry it from the request that wrote them through the outbox row.
 * SQL, Redis and producer spans are made only inside a trace (a request, a job), never as roots.
 */
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';

let enabled = false;
let current: Tracer = trace.getTracer('roost');

/** The tracer every seam uses: the started provider's (the API's no-op tracer when off). */
export const tracer = (): Tracer => current;

/** Whether spans are being recorded and exported in this process. */
export const tracingEnabled = () => enabled;

export interface Tracing {
  /** Export what is pending now. */
  flush(): Promise<void>;
  /** Export what is pending and stop (the global tracer is the no-op one again). */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** service.name unless OTEL_SERVICE_NAME says otherwise. */
  serviceName: string;
  env?: Record<string, string | undefined>;
  /** Tests: hand every span to this exporter as it ends, instead of OTLP. */
  exporter?: SpanExporter;
}

/** Whether the environment asks for tracing (an OTLP endpoint is set, the SDK is not disabled). */
export function tracingWanted(env: Record<string, string | undefined> = process.env): boolean {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false;
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
}

/**
 * Start tracing when the environment asks for it (or an exporter is given); undefined otherwise, and then
 * nothing is loaded. Call before the database, Redis and the app are created: they are instrumented when
 * they are built.
 */
export async function startTracing(opts: TracingOptions): Promise<Tracing | undefined> {
  const env = opts.env ?? process.env;
  if (!opts.exporter && !tracingWanted(env)) return undefined;
  if (enabled) throw new Error('tracing is already started in this process');
  const [sdk, resources] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
  ]);
  const exporter =
    opts.exporter ?? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  const processor = opts.exporter
    ? new sdk.SimpleSpanProcessor(exporter)
    : new sdk.BatchSpanProcessor(exporter);
  // service.name: ours, unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES name one.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': opts.serviceName }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new sdk.NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Registers the provider, the AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  current = provider.getTracer('roost');
  enabled = true;
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      enabled = false;
      current = trace.getTracer('roost');
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** The active span's ids (for log lines), or undefined outside any span. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  if (!enabled) return undefined;
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}

/**
 * pino `mixin`: the active span's trace and span ids on every line logged inside one. (A new object each
 * time: pino merges the line's fields into it.)
 */
export function traceLogMixin(): object {
  return activeTraceIds() ?? {};
}

function failed(span: Span, err: unknown) {
  if (err instanceof Error) span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** Run `fn` in `span` (made active), ending it when `fn` settles; a throw marks it failed. */
async function within<T>(span: Span, parent: Context, fn: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    failed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

// --- HTTP ------------------------------------------------------------------------------------------

const SPAN = Symbol('roost.span');
type Traced = FastifyRequest & { [SPAN]?: Span };

/** The server span of a request (tracing on), for its log line. */
export const requestSpan = (request: FastifyRequest): Span | undefined => (request as Traced)[SPAN];

/**
 * One SERVER span per request: `METHOD /route/pattern`, with the method, route, path, status and
 * request id; the caller's `traceparent` is its parent. 5xx and thrown errors mark it failed. The rest of
 * the request (hooks, body, handler) runs with it active. Nothing is registered when tracing is off.
 */
export function registerHttpTracing(app: FastifyInstance) {
  if (!enabled) return;
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url;
    const attributes: Attributes = {
      'http.request.method': request.method,
      'url.path': pathOf(request.url),
      'url.scheme': request.protocol,
      'roost.request_id': request.id,
    };
    if (route !== undefined) attributes['http.route'] = route;
    const agent = request.headers['user-agent'];
    if (agent) attributes['user_agent.original'] = agent;
    const span = current.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes },
      parent,
    );
    (request as Traced)[SPAN] = span;
    // The rest of the request runs in the span (Fastify carries the context across body parsing:
    // its content-type parser runs in an AsyncResource of the request).
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onError', (request, _reply, error, done) => {
    const span = (request as Traced)[SPAN];
    if (span) span.recordException(error);
    done();
  });
  const end = (request: FastifyRequest, status: number | undefined) => {
    const span = (request as Traced)[SPAN];
    if (!span) return;
    if (status === undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted the request' });
    } else {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request, undefined);
    done();
  });
}

const pathOf = (url: string) => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

// --- Redis -----------------------------------------------------------------------------------------

/** Commands that do not answer with a promise of their reply. */
const NOT_TRACED = new Set(['multi', 'pipeline', 'monitor']);

/**
 * One CLIENT span per command sent through `redis` inside a trace (`redis GET`, with the command name;
 * never keys or values: keys hold emails). Covers the cache, the session check, the rate-limit scripts
 * (defined later with `defineCommand`) and readiness. Does nothing when tracing is off.
 */
export function traceRedis(redis: Redis): Redis {
  if (!enabled) return redis;
  const client = redis as unknown as Record<string, unknown>;
  const wrap = (name: string) => {
    const original = client[name];
    if (typeof original !== 'function' || NOT_TRACED.has(name)) return;
    const operation = name.toUpperCase();
    client[name] = function (this: unknown, ...args: unknown[]) {
      const parent = context.active();
      if (!trace.getSpan(parent)?.isRecording()) return original.apply(this, args);
      const span = current.startSpan(
        `redis ${operation}`,
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis', 'db.operation.name': operation } },
        parent,
      );
      let result: unknown;
      try {
        result = original.apply(this, args);
      } catch (err) {
        failed(span, err);
        span.end();
        throw err;
      }
      if (result instanceof Promise) {
        result.then(
          () => span.end(),
          (err: unknown) => {
            failed(span, err);
            span.end();
          },
        );
      } else span.end();
      return result;
    };
  };
  for (const name of redis.getBuiltinCommands()) wrap(name);
  wrap('call');
  const define = redis.defineCommand.bind(redis);
  redis.defineCommand = (name, definition) => {
    define(name, definition);
    wrap(name);
  };
  return redis;
}

// --- Jobs ------------------------------------------------------------------------------------------

/** The field of a job's data (and of an outbox row's payload) holding the trace context it was made in. */
export const TRACE_FIELD = '$trace';

export type TraceCarrier = Record<string, string>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The active trace context as a W3C carrier (`{ traceparent, tracestate? }`), or undefined. */
export function traceCarrier(ctx: Context = context.active()): TraceCarrier | undefined {
  if (!enabled || !trace.getSpan(ctx)) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(ctx, carrier);
  return carrier['traceparent'] ? carrier : undefined;
}

/**
 * A job's data without its trace context, and that context. Jobs enqueued without one (before tracing,
 * or with it off) come back as they are. Done whether this process traces or not: the payload schemas
 * do not know the field.
 */
export function splitTraceContext(data: unknown): { payload: unknown; carrier: TraceCarrier | undefined } {
  if (!isRecord(data) || !Object.hasOwn(data, TRACE_FIELD)) return { payload: data, carrier: undefined };
  const { [TRACE_FIELD]: carrier, ...payload } = data;
  const valid =
    isRecord(carrier) &&
    typeof carrier['traceparent'] === 'string' &&
    Object.values(carrier).every((v) => typeof v === 'string');
  return { payload, carrier: valid ? (carrier as TraceCarrier) : undefined };
}

/**
 * Enqueue inside a PRODUCER span (`send <job>`), the span's context written into the data (object
 * payloads only) for the consumer. Outside a trace (schedules) or with tracing off: `send(data)`.
 */
export async function traceEnqueue<T>(
  system: 'bullmq' | 'inline',
  queue: string,
  job: string,
  data: unknown,
  send: (data: unknown) => Promise<T>,
): Promise<T> {
  if (!enabled) return send(data);
  const parent = context.active();
  if (!trace.getSpan(parent) || !isRecord(data)) return send(data);
  const span = current.startSpan(
    `send ${job}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': system,
        'messaging.operation.type': 'send',
        'messaging.destination.name': queue,
        'roost.job.name': job,
      },
    },
    parent,
  );
  const carrier: TraceCarrier = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  return within(span, parent, () => send({ ...data, [TRACE_FIELD]: carrier }));
}

/**
 * Run one attempt of a job inside a CONSUMER span (`process <job>`), the child of the producer span
 * whose context the job carries (a new trace for a job without one: schedules, old jobs).
 */
export function traceJob<T>(
  system: 'bullmq' | 'inline',
  queue: string,
  job: { name: string; id: string; attempt: number },
  carrier: TraceCarrier | undefined,
  run: () => Promise<T>,
): Promise<T> {
  if (!enabled) return run();
  const parent = carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
  const span = current.startSpan(
    `process ${job.name}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': system,
        'messaging.operation.type': 'process',
        'messaging.destination.name': queue,
        'messaging.message.id': job.id,
        'roost.job.name': job.name,
        'roost.job.attempt': job.attempt,
      },
    },
    parent,
  );
  return within(span, parent, run);
}

/** Run `fn` as part of the trace `carrier` came from (an outbox row relayed by a job); else just `fn()`. */
export function continueTrace<T>(carrier: TraceCarrier | undefined, fn: () => Promise<T>): Promise<T> {
  if (!enabled || !carrier) return fn();
  return context.with(propagation.extract(ROOT_CONTEXT, carrier), fn);
}
