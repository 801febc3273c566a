/**
 * Prometheus metrics (prom-client). Counters and histograms are process-wide; gauges read their
 * sources (DB pools, job queues) when scraped. Services call the small helpers below. The API serves
 * them at GET /metrics (`registerMetrics`); the worker on a port of its own (`serveMetrics`).
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import client from 'prom-client';
import { TIMED_OUT, within } from './timeout.js';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

const httpDuration = new client.Histogram({
  name: 'roost_http_request_duration_seconds',
  help: 'HTTP request latency by route pattern, method and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

const bookings = new client.Counter({
  name: 'roost_bookings_total',
  help: 'Booking status changes, by the status entered',
  labelNames: ['status'] as const,
  registers: [registry],
});

const payments = new client.Counter({
  name: 'roost_payments_total',
  help: 'Payment outcomes and refunds, by provider and result',
  labelNames: ['provider', 'result'] as const,
  registers: [registry],
});

const jobs = new client.Counter({
  name: 'roost_jobs_processed_total',
  help: 'Background jobs processed, by job and outcome',
  labelNames: ['job', 'outcome'] as const,
  registers: [registry],
});

const jobDuration = new client.Histogram({
  name: 'roost_job_duration_seconds',
  help: 'Background job attempt duration, by job and outcome',
  labelNames: ['job', 'outcome'] as const,
  buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

/** Connection counts of one pool (src/db/pool-stats.ts fills them in for each engine). */
export interface PoolStats {
  /** The most connections the pool opens. */
  max: number;
  /** Connections open now (idle + in use). */
  total: number;
  idle: number;
  inUse: number;
  /** Requests waiting for a connection. */
  waiting: number;
}

/** What the pool gauges read of a database (src/db/database.ts's `Database`). */
export interface PoolSource {
  poolStats(): { primary: PoolStats; replicas: { name: string; stats: PoolStats }[] };
}

const pools = new Set<PoolSource>();
/** What the queue gauge reads of a job queue (the queue's own type lives above this file). */
interface CountedQueue {
  counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }>;
}

const queues = new Set<CountedQueue>();

const POOL_STATES = { total: 'total', idle: 'idle', in_use: 'inUse', waiting: 'waiting' } as const;

new client.Gauge({
  name: 'roost_db_pool_connections',
  help: 'Database pool connections by state (total open, idle, in_use; waiting: requests waiting for one), every engine (PGlite: its one connection)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    const sums = { total: 0, idle: 0, inUse: 0, waiting: 0 };
    for (const source of pools) {
      const { primary } = source.poolStats();
      for (const k of Object.values(POOL_STATES)) sums[k] += primary[k];
    }
    for (const [state, k] of Object.entries(POOL_STATES)) this.set({ state }, sums[k]);
  },
});

new client.Gauge({
  name: 'roost_db_pool_max_connections',
  help: 'The most connections the database pool opens (DATABASE_POOL_MAX; 1 on PGlite)',
  registers: [registry],
  collect() {
    let max = 0;
    for (const source of pools) max += source.poolStats().primary.max;
    this.set(max);
  },
});

new client.Gauge({
  name: 'roost_db_replica_pool_connections',
  help: 'Read replica pool connections by replica and state (total, idle, in_use, waiting)',
  labelNames: ['replica', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    const sums = new Map<string, Record<'total' | 'idle' | 'inUse' | 'waiting', number>>();
    for (const source of pools) {
      for (const { name, stats } of source.poolStats().replicas) {
        const sum = sums.get(name) ?? { total: 0, idle: 0, inUse: 0, waiting: 0 };
        for (const k of Object.values(POOL_STATES)) sum[k] += stats[k];
        sums.set(name, sum);
      }
    }
    for (const [replica, sum] of sums) {
      for (const [state, k] of Object.entries(POOL_STATES)) this.set({ replica, state }, sum[k]);
    }
  },
});

new client.Gauge({
  name: 'roost_queue_jobs',
  help: 'Background jobs by state (waiting, active, delayed, failed)',
  labelNames: ['state'] as const,
  registers: [registry],
  async collect() {
    // Bounded: BullMQ's connections queue commands while Redis is away (they wait for a reconnect,
    // however long), and a scrape must answer whatever Redis does. If any queue does not answer within
    // the bound (300 ms), or fails, the gauge is left out of this scrape rather than showing partial or stale counts.
    const all = await within(Promise.all([...queues].map((q) => q.counts().catch(() => undefined))), 300);
    this.reset();
    if (all === TIMED_OUT || all.some((c) => c === undefined)) return;
    const sums = { waiting: 0, active: 0, delayed: 0, failed: 0 };
    for (const c of all) {
      if (!c) continue;
      sums.waiting += c.waiting;
      sums.active += c.active;
      sums.delayed += c.delayed;
      sums.failed += c.failed;
    }
    for (const [state, n] of Object.entries(sums)) this.set({ state }, n);
  },
});

export const countBooking = (status: string) => bookings.inc({ status });
export const countPayment = (provider: string, result: string) => payments.inc({ provider, result });
/** One job attempt: counted by outcome, and its duration observed. */
export function observeJob(job: string, outcome: string, durationMs: number) {
  jobs.inc({ job, outcome });
  jobDuration.observe({ job, outcome }, durationMs / 1000);
}

/**
 * Start the job counters of a process that runs jobs at 0 for every job and outcome: a job's first
 * failure is then an increase Prometheus sees (a series that appears at 1 shows none).
 */
export function initJobCounters(names: readonly string[]) {
  for (const job of names)
    for (const outcome of ['completed', 'retried', 'failed']) jobs.inc({ job, outcome }, 0);
}

/** Read `source`'s pools in the pool gauges until the returned function is called. */
export function trackPools(source: PoolSource): () => void {
  pools.add(source);
  return () => void pools.delete(source);
}

/** Read `queue`'s job counts in `roost_queue_jobs` until the returned function is called. */
export function trackQueue(queue: CountedQueue): () => void {
  queues.add(queue);
  return () => void queues.delete(queue);
}
const emails = new client.Counter({
  name: 'roost_emails_total',
  help: 'Outbox emails by result (sent, or skipped: already sent)',
  labelNames: ['result'] as const,
  registers: [registry],
});
export const countEmailDelivery = (result: 'sent' | 'skipped') => emails.inc({ result });

// Real-time delivery (src/platform/events.ts, the SSE stream and GraphQL subscriptions).
const realtimePublished = new client.Counter({
  name: 'roost_realtime_events_published_total',
  help:
    'Real-time events published, by type and path (redis: to every API process; local: to this ' +
    'process only, Redis being unavailable)',
  labelNames: ['type', 'via'] as const,
  registers: [registry],
});
const realtimeDelivered = new client.Counter({
  name: 'roost_realtime_events_delivered_total',
  help: 'Real-time events handed to an open connection on this process, by type',
  labelNames: ['type'] as const,
  registers: [registry],
});
const realtimeConnections = new client.Gauge({
  name: 'roost_realtime_connections',
  help: 'Open real-time connections on this process, by transport (sse, graphql-ws)',
  labelNames: ['transport'] as const,
  registers: [registry],
});
export const countRealtimePublished = (type: string, via: 'redis' | 'local') =>
  realtimePublished.inc({ type, via });
export const countRealtimeDelivered = (type: string, n: number) => {
  if (n > 0) realtimeDelivered.inc({ type }, n);
};
export const countRealtimeConnection = (transport: 'sse' | 'graphql-ws', delta: 1 | -1) =>
  realtimeConnections.inc({ transport }, delta);

/** GET /metrics in the OpenAPI document: Prometheus' text exposition format, not JSON. */
const METRICS_SCHEMA = {
  tags: ['metrics'],
  operationId: 'getMetrics',
  summary: 'Prometheus metrics',
  description:
    'The metrics in the Prometheus text exposition format (version 0.0.4), for scraping: request ' +
    'latency by route, bookings, payments, jobs, emails, database pool and queue gauges, and the ' +
    "process' own. Meant for the monitoring network: expose it only there.",
  security: [],
  response: {
    200: {
      description: 'The current metrics',
      content: {
        'text/plain': {
          schema: { type: 'string' },
          example:
            '# HELP roost_bookings_total Booking status changes, by the status entered\n' +
            '# TYPE roost_bookings_total counter\n' +
            'roost_bookings_total{status="confirmed"} 42\n',
        },
      },
    },
  },
};

/** Times every request by its route pattern and serves GET /metrics. */
export function registerMetrics(
  app: FastifyInstance,
  sources: { database?: PoolSource | undefined; queue?: CountedQueue | undefined },
) {
  const untrack = [
    ...(sources.database ? [trackPools(sources.database)] : []),
    ...(sources.queue ? [trackQueue(sources.queue)] : []),
  ];
  // One histogram child per (method, route, status), looked up once: labelling by object on every
  // request hashed the label set each time.
  const children = new Map<string, client.Histogram.Internal<'method' | 'route' | 'status'>>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const key = `${req.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = httpDuration.labels({ method: req.method, route, status: String(reply.statusCode) });
      children.set(key, child);
    }
    child.observe(reply.elapsedTime / 1000);
    done();
  });
  app.addHook('onClose', async () => {
    for (const stop of untrack) stop();
  });
  app.get('/metrics', { schema: METRICS_SCHEMA }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}

export interface MetricsServer {
  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * The registry over plain HTTP, for a process without an HTTP API (the worker): GET /metrics answers
 * the metrics, anything else 404. Listening fails (EADDRINUSE, EACCES) reject.
 */
export function serveMetrics(port: number, host: string): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics failed\n'),
    );
  });
  // A scraper keeps its connection open between scrapes; the server must not hold the process for it.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
