/** The job queue against the real Redis (BullMQ) and in process. */
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix, redisUrl, testRedis, uniquePrefix, waitFor } from '../../../test/support/redis.js';
import { createTestApp, createUser, expectProblem, type TestApp } from '../../../test/support/test-app.js';
import { createJobRegistry } from '../../jobs.js';
import type { Mailer, OutgoingEmail } from '../mailer.js';
import { createBullQueue, startBullWorker } from './bullmq.js';
import { createInlineQueue } from './inline.js';
import { defineJob, type JobQueue, type JobRegistry } from './registry.js';

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
