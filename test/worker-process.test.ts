/**
 * The assembled background side, as deployed: the real worker entry (src/worker.ts, what
 * `npm run worker` runs) as child processes on the shared Redis (a DB index and key prefix of this
 * test's own) and a PostgreSQL database of this test's own, beside the real API process.
 *
 * - Every scheduled job runs once when the workers start (BullMQ job schedulers with `every` put their
 *   first job due at once), and two workers starting together do not run any of them twice.
 * - A user registered through the API gets the verification email: the API writes it to the outbox,
 *   the worker's relay hands it to `send-email`, the file transport writes it into MAIL_DIR.
 * - Each job attempt is one JSON log line; SIGTERM stops a worker with exit code 0.
 * - Each worker serves Prometheus metrics on WORKER_METRICS_PORT: job counts and durations that match its
 *   log lines (an unknown job counted as failed), queue depth, its database pool, process metrics; a
 *   worker whose metrics port is taken exits 1 at once, naming the variable.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SCHEDULES } from '../src/jobs.js';
import { QUEUE_NAME } from '../src/platform/queue/bullmq.js';
import { freePort, killLeftovers, type LogLine, startRoost, waitUntilServing } from './support/processes.js';
import { dropPrefix, redisUrl, uniquePrefix, waitFor } from './support/redis.js';
import { TEST_JWT_SECRET } from './support/test-app.js';
import { createTestDatabase, type TestDatabase, testDbKind } from './support/test-db.js';

/** A Redis DB index of this file's own on the shared server (keys are prefixed too, and removed). */
const REDIS_DB = 12;
const queueRedisUrl = () => {
  const url = new URL(redisUrl());
  url.pathname = `/${REDIS_DB}`;
  return url.toString();
};

let database: TestDatabase;
let redis: Redis;
const prefix = uniquePrefix('worker-process');
const dir = mkdtempSync(join(tmpdir(), 'roost-worker-'));
const mailDir = join(dir, 'mail');

beforeAll(async () => {
  // Always PostgreSQL: the processes need a server database (PGlite lives inside one process).
  database = await createTestDatabase(
    testDbKind() === 'postgres' ? inject('templateDatabase') : undefined,
    'postgres',
  );
  redis = new Redis(queueRedisUrl(), { maxRetriesPerRequest: 3 });
});

afterAll(async () => {
  killLeftovers();
  await dropPrefix(redis, prefix).catch(() => {});
  // The API's shared rate-limit counters (not under the queue prefix) in this file's DB index.
  await dropPrefix(redis, 'roost:rl:').catch(() => {});
  redis?.disconnect();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`, across scrapes; undefined if none. */
function sumOf(scrapes: Sample[][], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = scrapes
    .flat()
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.length === 0 ? undefined : found.reduce((n, s) => n + s.value, 0);
}

async function scrape(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseMetrics(await res.text());
}

const isJob = (l: LogLine, outcome?: string) =>
  typeof l['job'] === 'string' && (!outcome || l['outcome'] === outcome) && l.msg === `job ${l['outcome']}`;

describe('npm run worker, against real Redis and PostgreSQL', () => {
  it('runs every scheduled job once at start (not twice with two workers), delivers the verification email of a user registered through the API, serves its metrics, and exits 0 on SIGTERM', async () => {
    const env = {
      DATABASE_URL: database.url!,
      REDIS_URL: queueRedisUrl(),
      QUEUE_PREFIX: prefix,
      MAIL_DIR: mailDir,
      UPLOADS_DIR: join(dir, 'uploads'),
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
    };
    const port = await freePort();
    const metricsPorts = [await freePort(), await freePort()];
    const started = performance.now();
    // Two workers start together (a deployment with replicas), beside the API.
    const workers = [
      startRoost('src/worker.ts', { ...env, WORKER_METRICS_PORT: String(metricsPorts[0]) }, 'worker A'),
      startRoost('src/worker.ts', { ...env, WORKER_METRICS_PORT: String(metricsPorts[1]) }, 'worker B'),
    ];
    const api = startRoost('src/server.ts', { ...env, PORT: String(port) }, 'api');
    const base = `http://127.0.0.1:${port}`;

    await Promise.all(
      workers.map((w) =>
        w.waitForLine((l) => l.msg === 'roost worker is consuming jobs', 60_000, 'start-up'),
      ),
    );
    const scheduled = SCHEDULES.map((s) => s.job);
    const ran = () => workers.flatMap((w) => w.lines.filter((l) => isJob(l)));
    await waitFor(
      async () =>
        scheduled.every((job) => ran().some((l) => l['job'] === job && l['outcome'] === 'completed')),
      30_000,
      'every scheduled job to run',
    );
    const firstRuns = performance.now();

    // The user registers through the real API; the workers deliver the verification email.
    await waitUntilServing(api, `${base}/health/ready`);
    const email = `worker.${Date.now()}@example.com`;
    const reg = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct-horse-42', firstName: 'Wendy', lastName: 'Worker' }),
    });
    expect(reg.status).toBe(201);
    const registered = performance.now();
    const row = await database.db
      .selectFrom('email_outbox')
      .select(['id', 'template'])
      .where('recipient', '=', email)
      .executeTakeFirstOrThrow();
    expect(row.template).toBe('verify_email');
    const file = join(mailDir, `${row.id}.json`);
    await waitFor(
      async () => {
        try {
          return readdirSync(mailDir).includes(`${row.id}.json`);
        } catch {
          return false;
        }
      },
      20_000,
      'the verification email file',
    );
    const mailed = performance.now();
    const written = JSON.parse(readFileSync(file, 'utf8')) as { to: string; subject: string; text: string };
    expect(written.to).toBe(email);
    expect(written.subject).toBe('Confirm your email');
    expect(written.text).toMatch(/https?:\/\/\S*token=\S+/);
    await waitFor(
      async () =>
        (
          await database.db
            .selectFrom('email_outbox')
            .select('status')
            .where('id', '=', row.id)
            .executeTakeFirst()
        )?.status === 'sent',
      10_000,
      'the outbox row marked sent',
    );
    // The job logs its outcome just after the row is committed as sent: wait for that line too.
    const sends = () => ran().filter((l) => l['job'] === 'send-email' && l['id'] === `email-${row.id}`);
    await waitFor(async () => sends().length > 0, 10_000, 'the send-email log line');
    expect(sends()).toEqual([expect.objectContaining({ outcome: 'completed', attempt: 1 })]);

    // Each scheduled job ran exactly once across both workers; the relay (every 5 s) at most once a slot.
    const elapsedMs = performance.now() - started;
    for (const job of scheduled) {
      const runs = ran().filter((l) => l['job'] === job);
      if (job === 'relay-outbox') expect(runs.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 5_000) + 1);
      else expect(runs, job).toHaveLength(1);
      // Each attempt is one line: name, id, attempt, outcome, duration.
      for (const r of runs) {
        expect(r).toMatchObject({ level: 'info', job, outcome: 'completed', attempt: 1 });
        expect(String(r['id'])).toMatch(new RegExp(`^repeat:schedule-${job}:\\d+$`));
        expect(typeof r['durationMs']).toBe('number');
      }
    }
    expect(ran().filter((l) => l['outcome'] !== 'completed')).toEqual([]);

    // Metrics: each worker on its own port (named in its start-up line).
    for (const [i, w] of workers.entries()) {
      expect(w.lines.find((l) => l.msg === 'roost worker is consuming jobs')).toMatchObject({
        metrics: `http://127.0.0.1:${metricsPorts[i]}/metrics`,
      });
    }
    // An unknown job (enqueued past the typed queue) fails at once, on whichever worker takes it.
    const raw = new Queue(QUEUE_NAME, { connection: { url: queueRedisUrl() }, prefix });
    try {
      await raw.add('no-such-job', {}, { attempts: 3, jobId: 'unknown-job-1' });
      // Logged when the attempt fails; in the failed set a moment later.
      await waitFor(
        async () =>
          ran().some((l) => l['job'] === 'no-such-job' && l['outcome'] === 'failed') &&
          (await raw.getJobState('unknown-job-1')) === 'failed',
        20_000,
        'the unknown job to fail',
      );
    } finally {
      await raw.close();
    }
    // Each attempt is counted before it is logged: the counts lie between the lines read before and after.
    const attempts = (job: string, outcome: string) =>
      ran().filter((l) => l['job'] === job && l['outcome'] === outcome).length;
    const jobs = [...scheduled, 'send-email'];
    const before = jobs.map((job) => attempts(job, 'completed'));
    const scrapes = await Promise.all(metricsPorts.map(scrape));
    await new Promise((r) => setTimeout(r, 500));
    for (const [i, job] of jobs.entries()) {
      const counted = sumOf(scrapes, 'roost_jobs_processed_total', { job, outcome: 'completed' }) ?? 0;
      expect(counted, job).toBeGreaterThanOrEqual(Math.max(1, before[i]!));
      expect(counted, job).toBeLessThanOrEqual(attempts(job, 'completed'));
      expect(sumOf(scrapes, 'roost_job_duration_seconds_count', { job, outcome: 'completed' }), job).toBe(
        counted,
      );
      // Durations are whole milliseconds: a job that did nothing may take 0.
      expect(
        sumOf(scrapes, 'roost_job_duration_seconds_sum', { job, outcome: 'completed' }),
      ).toBeGreaterThanOrEqual(0);
    }
    expect(sumOf(scrapes, 'roost_jobs_processed_total', { job: 'send-email', outcome: 'completed' })).toBe(1);
    expect(sumOf(scrapes, 'roost_jobs_processed_total', { job: 'no-such-job', outcome: 'failed' })).toBe(1);
    expect(sumOf(scrapes, 'roost_jobs_processed_total', { job: 'no-such-job', outcome: 'retried' })).toBe(
      undefined,
    );
    // A duration histogram with its buckets: the +Inf bucket holds every attempt.
    expect(
      sumOf(scrapes, 'roost_job_duration_seconds_bucket', {
        job: 'send-email',
        outcome: 'completed',
        le: '+Inf',
      }),
    ).toBe(1);
    for (const [i, one] of scrapes.entries()) {
      const name = workers[i]!.name;
      // The queue is shared: each worker reports its depth (the unknown job is in the failed set).
      for (const state of ['waiting', 'active', 'delayed']) {
        expect(sumOf([one], 'roost_queue_jobs', { state }), `${name} ${state}`).toBeGreaterThanOrEqual(0);
      }
      expect(sumOf([one], 'roost_queue_jobs', { state: 'failed' }), name).toBeGreaterThanOrEqual(1);
      // Every job's counters exist from the start, at 0 until it happens (a first failure is an increase).
      for (const job of jobs) {
        expect(sumOf([one], 'roost_jobs_processed_total', { job, outcome: 'failed' }), `${name} ${job}`).toBe(
          0,
        );
      }
      // Its own database pool (DATABASE_POOL_MAX defaults to 10).
      expect(sumOf([one], 'roost_db_pool_max_connections'), name).toBe(10);
      const total = sumOf([one], 'roost_db_pool_connections', { state: 'total' })!;
      const idle = sumOf([one], 'roost_db_pool_connections', { state: 'idle' })!;
      const inUse = sumOf([one], 'roost_db_pool_connections', { state: 'in_use' })!;
      // (0 is possible: pg closes a connection idle for 10 s, and a worker may have run nothing since.)
      expect(total, name).toBeGreaterThanOrEqual(0);
      expect(total, name).toBeLessThanOrEqual(10);
      expect(idle + inUse, name).toBe(total);
      expect(sumOf([one], 'roost_db_pool_connections', { state: 'waiting' }), name).toBe(0);
      // Node's process metrics.
      expect(sumOf([one], 'process_resident_memory_bytes'), name).toBeGreaterThan(0);
      expect(sumOf([one], 'nodejs_eventloop_lag_seconds'), name).toBeGreaterThanOrEqual(0);
    }
    const notFound = await fetch(`http://127.0.0.1:${metricsPorts[0]}/`);
    expect(notFound.status).toBe(404);
    await notFound.arrayBuffer();

    // A third worker whose metrics port is taken (worker A's) stops at once, saying which setting to change.
    const clash = startRoost(
      'src/worker.ts',
      { ...env, WORKER_METRICS_PORT: String(metricsPorts[0]) },
      'clash',
    );
    const clashExit = await clash.exited;
    expect(clashExit.code, clash.text()).toBe(1);
    expect(clash.text()).toMatch(/WORKER_METRICS_PORT/);
    expect(clash.text()).toMatch(/EADDRINUSE/);

    // SIGTERM: both workers and the API exit 0, promptly.
    const exits = await Promise.all([...workers, api].map((p) => p.stop('SIGTERM')));
    for (const [i, p] of [...workers, api].entries()) {
      expect(exits[i], `${p.name}:\n${p.text()}`).toMatchObject({ code: 0 });
      expect(exits[i]!.ms).toBeLessThan(5_000);
    }
    for (const w of workers) expect(w.lines.some((l) => l.msg === 'worker stopped')).toBe(true);
    // Their metrics endpoints are gone with them.
    for (const p of metricsPorts) await expect(fetch(`http://127.0.0.1:${p}/metrics`)).rejects.toThrow();
    console.info(
      `workers up and every scheduled job run ${Math.round(firstRuns - started)} ms after spawning; ` +
        `email file ${Math.round(mailed - registered)} ms after registering; ` +
        `SIGTERM → exit 0 in ${exits.map((e, i) => `${[...workers, api][i]!.name} ${e.ms} ms`).join(', ')}`,
    );
  }, 150_000);
});
