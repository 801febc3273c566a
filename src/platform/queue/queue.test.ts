/** The job queue against the real Redis (BullMQ) and in process. */
import { Type } from 'typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, redisUrl, testRedis, uniquePrefix, waitFor } from '../../../test/support/redis.js';
import { createTestApp, createUser, expectProblem } from '../../../test/support/test-app.js';
import { createJobRegistry, type JobName, SCHEDULES } from '../../jobs.js';
import { loadConfig } from '../config.js';
import type { ServiceContext } from '../context.js';
import type { Mailer, OutgoingEmail } from '../mailer.js';
import { registry as metrics } from '../metrics.js';
import { createBullQueue, startBullWorker } from './bullmq.js';
import { createInlineQueue } from './inline.js';
import { defineJob, type JobEvent, type JobQueue, type JobRegistry, type Schedule } from './registry.js';

const redis = testRedis();
const prefixes: string[] = [];
const prefix = (name: string) => {
  const p = uniquePrefix(name);
  prefixes.push(p);
  return p;
};
afterAll(async () => {
  for (const p of prefixes) await dropPrefix(redis, p);
  redis.disconnect();
});

function flakyRegistry(calls: string[]): JobRegistry {
  return {
    boom: defineJob({
      name: 'boom',
      schema: Type.Object({ n: Type.Integer() }),
      attempts: 3,
      backoffMs: 20,
      handler: async ({ n }, job) => {
        calls.push(`boom:${n}:${job.attempt}`);
        throw new Error(`boom ${n} failed`);
      },
    }),
    ok: defineJob({
      name: 'ok',
      schema: Type.Object({ n: Type.Integer() }),
      handler: async ({ n }, job) => {
        calls.push(`ok:${n}:${job.attempt}`);
      },
    }),
  };
}

describe('BullMQ queue', () => {
  it('retries a throwing job with back-off and parks it in the failed set, visible to admins', async () => {
    const calls: string[] = [];
    const registry = flakyRegistry(calls);
    const p = prefix('flaky');
    const queue = createBullQueue(registry, { url: redisUrl(), prefix: p });
    const worker = await startBullWorker(registry, [], { url: redisUrl(), prefix: p });
    const t = await createTestApp({ queue });
    try {
      await queue.enqueue('boom', { n: 1 }, { jobId: 'boom-1' });
      await queue.enqueue('ok', { n: 2 });
      await waitFor(async () => (await queue.counts()).failed === 1, 15_000, 'failed job');
      expect(calls.filter((c) => c.startsWith('boom'))).toEqual(['boom:1:1', 'boom:1:2', 'boom:1:3']);
      expect(calls).toContain('ok:2:1');
      await expect(queue.enqueue('ok', { n: 'x' })).rejects.toThrow(/n/);

      const admin = await createUser(t, 'admin');
      const guest = await createUser(t);
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/admin/jobs/failed',
        headers: admin.auth,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().items).toEqual([
        expect.objectContaining({
          id: 'boom-1',
          name: 'boom',
          attempts: 3,
          error: 'boom 1 failed',
          data: { n: 1 },
        }),
      ]);
      expectProblem(
        await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs/failed', headers: guest.auth }),
        403,
      );
      const retry = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/jobs/failed/boom-1/retry',
        headers: admin.auth,
      });
      expect(retry.statusCode).toBe(202);
      await waitFor(async () => calls.filter((c) => c.startsWith('boom')).length >= 4, 15_000, 'retried job');
      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/jobs/failed/nope/retry',
          headers: admin.auth,
        }),
        404,
      );
    } finally {
      await t.close();
      await worker.close();
      await queue.close();
    }
  });

  it('delivers every outbox email exactly once when a worker dies mid-send', async () => {
    const t = await createTestApp();
    const p = prefix('outbox');
    const delivered: string[] = [];
    let killWorkerA: (err: Error) => void = () => {};
    const dying = new Promise<never>((_, reject) => {
      killWorkerA = reject;
    });
    let hung = false;
    // Worker A: its first send never finishes (until the "process" dies); the rest go through.
    const mailerA: Mailer = {
      async send(email: OutgoingEmail) {
        if (!hung) {
          hung = true;
          await dying;
        }
        delivered.push(email.id);
      },
    };
    const mailerB: Mailer = { send: async (email) => void delivered.push(email.id) };
    let queueRef: JobQueue | undefined;
    const registryA = createJobRegistry(t.ctx, mailerA, () => queueRef!);
    const registryB = createJobRegistry(t.ctx, mailerB, () => queueRef!);
    const queue = createBullQueue(registryA, { url: redisUrl(), prefix: p });
    queueRef = queue;
    try {
      for (let i = 0; i < 6; i++) await createUser(t); // each registration writes a verification email
      const ids = (await t.ctx.db.selectFrom('email_outbox').select('id').execute()).map((r) => r.id);
      expect(ids).toHaveLength(6);

      const workerA = await startBullWorker(registryA, [], {
        url: redisUrl(),
        prefix: p,
        concurrency: 1,
        lockDurationMs: 1000,
        stalledIntervalMs: 500,
      });
      await queue.enqueue('relay-outbox', {});
      await waitFor(async () => hung, 10_000, 'worker A to start sending');
      // The process dies: its in-flight send aborts, its job lock is never renewed.
      await workerA.close(true);
      killWorkerA(new Error('worker killed'));

      // Relaying again (the schedule does this every few seconds) must not duplicate anything.
      await queue.enqueue('relay-outbox', {}, { jobId: 'relay-again' });
      const workerB = await startBullWorker(registryB, [], {
        url: redisUrl(),
        prefix: p,
        lockDurationMs: 1000,
        stalledIntervalMs: 500,
      });
      try {
        await waitFor(
          async () =>
            (await t.ctx.db.selectFrom('email_outbox').select('id').where('status', '=', 'sent').execute())
              .length === 6,
          20_000,
          'all emails sent',
        );
        await queue.enqueue('relay-outbox', {}, { jobId: 'relay-third' });
        // A send job for a row already sent (a duplicate message, a manual retry) sends nothing.
        await queue.enqueue('send-email', { outboxId: ids[0]! }, { jobId: 'send-again' });
        await waitFor(
          async () => (await queue.counts()).waiting + (await queue.counts()).active === 0,
          5_000,
          'queue drained',
        );
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        await workerB.close();
      }
      expect([...delivered].sort()).toEqual([...ids].sort());
      const rows = await t.ctx.db.selectFrom('email_outbox').select(['status', 'sent_at']).execute();
      expect(rows.every((r) => r.status === 'sent' && r.sent_at !== null)).toBe(true);
    } finally {
      await queue.close();
      await t.close();
    }
  });
});

describe('in-process runner', () => {
  it('runs the same registry with retries, a failed set, de-duplicated ids and interval schedules', async () => {
    const calls: string[] = [];
    const queue = createInlineQueue(flakyRegistry(calls), [{ job: 'ok', everyMs: 40, data: { n: 9 } }]);
    try {
      await queue.enqueue('boom', { n: 1 }, { jobId: 'b1' });
      await queue.enqueue('ok', { n: 2 }, { jobId: 'same' });
      await queue.enqueue('ok', { n: 3 }, { jobId: 'same' });
      await waitFor(async () => (await queue.counts()).failed === 1, 5_000, 'failed job');
      expect(calls.filter((c) => c.startsWith('boom'))).toEqual(['boom:1:1', 'boom:1:2', 'boom:1:3']);
      expect(calls.filter((c) => c === 'ok:2:1' || c === 'ok:3:1')).toEqual(['ok:2:1']);
      const [failed] = await queue.failed();
      expect(failed).toMatchObject({ id: 'b1', attempts: 3, error: 'boom 1 failed' });
      await waitFor(async () => calls.filter((c) => c === 'ok:9:1').length >= 2, 5_000, 'scheduled runs');
      expect(await queue.retry('b1')).toBe(true);
      await waitFor(async () => calls.filter((c) => c.startsWith('boom')).length === 6, 5_000, 'retry');
    } finally {
      await queue.close();
    }
  });
});

/** roost_jobs_processed_total{job,outcome} as a map "job/outcome" → count. */
async function jobCounts(): Promise<Record<string, number>> {
  const metric = metrics.getSingleMetric('roost_jobs_processed_total');
  const out: Record<string, number> = {};
  for (const v of (await metric!.get()).values) out[`${v.labels['job']}/${v.labels['outcome']}`] = v.value;
  return out;
}

async function countDeltas(since: Record<string, number>, jobs: string[]) {
  const now = await jobCounts();
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) {
    if (jobs.includes(k.split('/')[0]!) && v - (since[k] ?? 0) > 0) out[k] = v - (since[k] ?? 0);
  }
  return out;
}

/** A job that runs until its gate opens. */
function gatedRegistry(events: string[]) {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let started: () => void = () => {};
  const running = new Promise<void>((resolve) => {
    started = resolve;
  });
  const registry: JobRegistry = {
    gated: defineJob({
      name: 'gated',
      schema: Type.Object({}),
      attempts: 1,
      handler: async () => {
        events.push('gated:start');
        started();
        await gate;
        events.push('gated:end');
      },
    }),
    stuck: defineJob({
      name: 'stuck',
      schema: Type.Object({}),
      attempts: 1,
      handler: () => new Promise<void>(() => {}),
    }),
  };
  return { registry, open, running };
}

describe('job outcomes', () => {
  it('the in-process runner reports and counts every attempt like BullMQ: completed, retried, failed', async () => {
    const before = await jobCounts();
    const events: JobEvent[] = [];
    const queue = createInlineQueue(flakyRegistry([]), [], { onJob: (e) => events.push(e) });
    try {
      await queue.enqueue('boom', { n: 1 }, { jobId: 'b1' });
      await queue.enqueue('ok', { n: 2 }, { jobId: 'o1' });
      await queue.idle();
      expect(events.map((e) => `${e.job}:${e.id}:${e.attempt}:${e.outcome}`).sort()).toEqual([
        'boom:b1:1:retried',
        'boom:b1:2:retried',
        'boom:b1:3:failed',
        'ok:o1:1:completed',
      ]);
      expect(events.find((e) => e.outcome === 'failed')).toMatchObject({ error: 'boom 1 failed' });
      expect(events.every((e) => typeof e.durationMs === 'number' && e.durationMs >= 0)).toBe(true);
      expect(await countDeltas(before, ['boom', 'ok'])).toEqual({
        'boom/retried': 2,
        'boom/failed': 1,
        'ok/completed': 1,
      });
    } finally {
      await queue.close();
    }
  });

  it('the in-process runner runs schedules at start, and close() waits for running jobs, bounded', async () => {
    const events: string[] = [];
    const { registry, open, running } = gatedRegistry(events);
    const queue = createInlineQueue(registry, [{ job: 'gated', everyMs: 60_000 }]);
    await running; // the schedule's first run starts at once, not a minute later
    let closed = false;
    const closing = queue.close(10_000).then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    open();
    await closing;
    expect(events).toEqual(['gated:start', 'gated:end']);
    await queue.enqueue('gated', {}); // closed: ignored
    expect((await queue.counts()).active).toBe(0);

    const stuck = createInlineQueue(registry, [], { log: (m) => events.push(m) });
    await stuck.enqueue('stuck', {});
    await waitFor(async () => (await stuck.counts()).active === 1, 5_000, 'stuck job running');
    const t0 = performance.now();
    await stuck.close(150);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(events.at(-1)).toMatch(/still running after 150 ms/);
  });

  it('the BullMQ worker reports and counts attempts, fails an unknown job at once, and close() waits for the active job', async () => {
    const before = await jobCounts();
    const events: JobEvent[] = [];
    const calls: string[] = [];
    const gated = gatedRegistry(calls);
    const registry: JobRegistry = { ...flakyRegistry(calls), gated: gated.registry['gated']! };
    const p = prefix('outcomes');
    const queue = createBullQueue(registry, { url: redisUrl(), prefix: p });
    const worker = await startBullWorker(registry, [], {
      url: redisUrl(),
      prefix: p,
      onJob: (e) => events.push(e),
    });
    try {
      await queue.enqueue('boom', { n: 1 }, { jobId: 'b1' });
      await queue.enqueue('ok', { n: 2 }, { jobId: 'o1' });
      // A job no definition knows (a stale producer, a removed job): failed at once, no retries.
      await queue.queue.add('no-such-job', {}, { jobId: 'x1', attempts: 5 });
      await waitFor(async () => (await queue.counts()).failed === 2, 15_000, 'failed jobs');
      expect(events.map((e) => `${e.job}:${e.id}:${e.attempt}:${e.outcome}`).sort()).toEqual([
        'boom:b1:1:retried',
        'boom:b1:2:retried',
        'boom:b1:3:failed',
        'no-such-job:x1:1:failed',
        'ok:o1:1:completed',
      ]);
      expect(await countDeltas(before, ['boom', 'ok', 'no-such-job'])).toEqual({
        'boom/retried': 2,
        'boom/failed': 1,
        'no-such-job/failed': 1,
        'ok/completed': 1,
      });
      const failed = await queue.failed();
      expect(failed.find((f) => f.id === 'x1')).toMatchObject({
        attempts: 1,
        error: 'unknown job no-such-job',
      });

      await queue.enqueue('gated', {}, { jobId: 'g1' });
      await gated.running;
      let closed = false;
      const closing = worker.close().then(() => {
        closed = true;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(closed).toBe(false);
      gated.open();
      await closing;
      expect(calls.slice(-2)).toEqual(['gated:start', 'gated:end']);
      expect(events.at(-1)).toMatchObject({ job: 'gated', id: 'g1', outcome: 'completed' });
      expect((await queue.queue.getJobState('g1')) as string).toBe('completed');
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});

describe('job names', () => {
  it('every schedule names a defined job (and naming another does not compile)', () => {
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'test-secret-test-secret-test-secret-0123' });
    const defined = createJobRegistry({ config } as ServiceContext, { send: async () => {} }, () => {
      throw new Error('not used');
    });
    for (const s of SCHEDULES) expect(Object.keys(defined)).toContain(s.job);
    expect(SCHEDULES.map((s) => s.job)).toEqual(
      expect.arrayContaining(['review-reminders', 'reconcile-payments', 'relay-outbox']),
    );

    // Type checks only (`npm run typecheck` fails if any of these compiles):
    const typeOnly = (q: JobQueue<JobName>) => {
      // @ts-expect-error 'review-reminderz' is not a defined job
      const misspelt: Schedule<JobName> = { job: 'review-reminderz', everyMs: 1 };
      // @ts-expect-error nor is 'nope'
      void q.enqueue('nope', {});
      void q.enqueue('send-email', { outboxId: '00000000-0000-7000-8000-000000000000' });
      return misspelt;
    };
    expect(typeof typeOnly).toBe('function');
  });
});
