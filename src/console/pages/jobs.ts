/** Jobs: the failed set (the queue's dead letters), a job's payload, retry. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { RoostApp } from '../../platform/http.js';
import { adminRoute, type ConsoleDeps, type Flash, form, redirectWith, sendPage } from '../http.js';

const JobParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9:_.-]+$' }) },
  { additionalProperties: false },
);

const FAILED_SHOWN = 100;

export function jobPages(app: RoostApp, { queue, secure }: ConsoleDeps) {
  async function showJobs(req: FastifyRequest, reply: FastifyReply, flash?: Flash, status?: number) {
    let failed: Awaited<ReturnType<NonNullable<typeof queue>['failed']>> = [];
    let counts: Awaited<ReturnType<NonNullable<typeof queue>['counts']>> | null = null;
    if (queue) {
      try {
        [failed, counts] = await Promise.all([queue.failed(FAILED_SHOWN), queue.counts()]);
      } catch (err) {
        req.log.warn({ err }, 'the job queue did not answer');
        flash ??= { kind: 'error', text: 'The job queue did not answer (is Redis up?).' };
        status ??= 503;
      }
    }
    return sendPage(
      req,
      reply,
      'jobs',
      { configured: Boolean(queue), failed, counts },
      {
        title: 'Jobs',
        section: 'Jobs',
        flash: flash ?? null,
        ...(status ? { status } : {}),
      },
    );
  }

  app.get('/jobs', adminRoute({}), (req, reply) => showJobs(req, reply));

  app.get('/jobs/:id', adminRoute({ params: JobParams }), async (req, reply) => {
    const job = queue ? (await queue.failed(FAILED_SHOWN)).find((j) => j.id === req.params.id) : undefined;
    if (!job) return showJobs(req, reply, { kind: 'error', text: 'No such failed job.' }, 404);
    return sendPage(req, reply, 'job', { job }, { title: `Job ${job.id}`, section: 'Jobs' });
  });

  app.post(
    '/jobs/:id/retry',
    adminRoute({ params: JobParams, body: form({}) }, { action: 'job.retry', objectType: 'job' }),
    async (req, reply) => {
      if (!queue)
        return showJobs(req, reply, { kind: 'error', text: 'The job queue is not configured.' }, 409);
      if (!(await queue.retry(req.params.id))) {
        return showJobs(req, reply, { kind: 'error', text: 'No such failed job (already retried?).' }, 404);
      }
      return redirectWith(
        reply,
        '/admin/jobs',
        { kind: 'ok', text: `Job ${req.params.id} queued again.` },
        secure,
      );
    },
  );
}
