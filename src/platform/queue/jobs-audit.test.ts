/** Retrying a failed job through the admin API writes one `job.retry` audit row (the effect is in Redis). */
import { Type } from 'typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, redisUrl, testRedis, uniquePrefix, waitFor } from '../../../test/support/redis.js';
import { createTestApp, createUser, expectProblem } from '../../../test/support/test-app.js';
import { createBullQueue, startBullWorker } from './bullmq.js';
import { defineJob, type JobRegistry } from './registry.js';

const redis = testRedis();
const p = uniquePrefix('jobs-audit');
afterAll(async () => {
  await dropPrefix(redis, p);
  redis.disconnect();
});

const registry: JobRegistry = {
  doomed: defineJob({
    name: 'doomed',
    schema: Type.Object({ n: Type.Integer() }),
    attempts: 1,
    backoffMs: 10,
    handler: async ({ n }) => {
      throw new Error(`doomed ${n}`);
    },
  }),
};

describe('POST /api/v1/admin/jobs/failed/:id/retry', () => {
  it('writes one job.retry row for the request; refusals write none', async () => {
    const queue = createBullQueue(registry, { url: redisUrl(), prefix: p });
    const worker = await startBullWorker(registry, [], { url: redisUrl(), prefix: p });
    const t = await createTestApp({ queue });
    try {
      const jobId = `doomed-${Date.now()}`;
      await queue.enqueue('doomed', { n: 1 }, { jobId });
      await waitFor(async () => (await queue.counts()).failed === 1, 15_000, 'failed job');
      const admin = await createUser(t, 'admin');
      const host = await createUser(t, 'host');

      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/jobs/failed/${jobId}/retry`,
          headers: host.auth,
        }),
        403,
      );
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/jobs/failed/${jobId}/retry`,
        headers: admin.auth,
      });
      expect(res.statusCode).toBe(202);
      const rows = await t.ctx.db
        .selectFrom('audit_log')
        .selectAll()
        .where('object_id', '=', jobId)
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        actor_id: admin.id,
        action: 'job.retry',
        object_type: 'job',
        object_id: jobId,
        request_id: res.headers['x-request-id'],
      });

      // An unknown job: 404, nothing written.
      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/jobs/failed/nope-x/retry',
          headers: admin.auth,
        }),
        404,
      );
      const none = await t.ctx.db
        .selectFrom('audit_log')
        .selectAll()
        .where('object_id', '=', 'nope-x')
        .execute();
      expect(none).toEqual([]);
    } finally {
      await t.close();
      await worker.close();
      await queue.close();
    }
  });
});
