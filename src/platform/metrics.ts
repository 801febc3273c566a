/**
 * Prometheus metrics (prom-client). Counters and histograms are process-wide; gauges read their
 * sources (DB pools, job queues) when scraped. Services call the small helpers below.
 */

import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
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

const pools = new Set<pg.Pool>();
/** What the queue gauge reads of a job queue (the queue's own type lives above this file). */
interface CountedQueue {
  counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }>;
}

const queues = new Set<CountedQueue>();

new client.Gauge({
  name: 'roost_db_pool_connections',
  help: 'PostgreSQL pool connections by state',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    let total = 0;
    let idle = 0;
    let waiting = 0;
    for (const p of pools) {
      total += p.totalCount;
      idle += p.idleCount;
      waiting += p.waitingCount;
    }
    this.set({ state: 'total' }, total);
    this.set({ state: 'idle' }, idle);
    this.set({ state: 'waiting' }, waiting);
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
export const bumpJobCounter = (job: string, outcome: string) => jobs.inc({ job, outcome });
const emails = new client.Counter({
  name: 'roost_emails_total',
  help: 'Outbox emails by result (sent, or skipped: already sent)',
  labelNames: ['result'] as const,
  registers: [registry],
});
export const countEmailDelivery = (result: 'sent' | 'skipped') => emails.inc({ result });

/** Times every request by its route pattern and serves GET /metrics. */
export function registerMetrics(
  app: FastifyInstance,
  sources: { pool?: pg.Pool | undefined; queue?: CountedQueue | undefined },
) {
  if (sources.pool) pools.add(sources.pool);
  if (sources.queue) queues.add(sources.queue);
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
    if (sources.pool) pools.delete(sources.pool);
    if (sources.queue) queues.delete(sources.queue);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
}
