import { Type } from 'typebox';
import { assertRole, bearerSecurity, requireActor } from '../auth.js';
import { AppError, notFound } from '../errors.js';
import { described, problemResponses, type RoostApp } from '../http.js';
import { TIMED_OUT, within } from '../timeout.js';
import type { JobQueue } from './registry.js';

const FailedJob = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'The job kind' }),
  data: Type.Unknown({ description: "The job's payload" }),
  attempts: Type.Integer({ description: 'Attempts made' }),
  error: Type.String({ description: 'The error of the last attempt' }),
  failedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const FailedJobs = Type.Object(
  {
    items: Type.Array(FailedJob),
    counts: Type.Record(Type.String(), Type.Integer(), { description: 'Jobs in the queue by state' }),
  },
  {
    description: 'The failed jobs, most recent first, and the queue counts',
    examples: [
      {
        items: [
          {
            id: 'email-8d2e4f6a-0b1c-4d3e-9f5a-7b8c9d0e1f2a',
            name: 'send-email',
            data: { outboxId: '8d2e4f6a-0b1c-4d3e-9f5a-7b8c9d0e1f2a' },
            attempts: 5,
            error: 'connect ECONNREFUSED 10.0.0.12:587',
            failedAt: '2026-05-02T10:31:07.000Z',
          },
        ],
        counts: { waiting: 0, active: 1, delayed: 2, failed: 1, completed: 1873 },
      },
    ],
  },
);

/** The queue lives in Redis: while Redis is down, answer 503 in bounded time rather than wait for it. */
const QUEUE_WAIT_MS = 2_000;
async function fromQueue<T>(work: Promise<T>): Promise<T> {
  const unavailable = () =>
    new AppError(503, 'queue_unavailable', 'The job queue is not answering; try again shortly');
  const result = await within(work, QUEUE_WAIT_MS).catch(() => {
    throw unavailable();
  });
  if (result === TIMED_OUT) throw unavailable();
  return result;
}

/** The dead-letter view: jobs that used up their attempts, and a way to run one again (admin). */
export async function jobsRoutes(app: RoostApp, { queue }: { queue: JobQueue }) {
  const tags = ['admin'];
  app.get(
    '/failed',
    {
      schema: {
        tags,
        security: bearerSecurity,
        operationId: 'listFailedJobs',
        summary: 'List failed jobs',
        description:
          'Admin only: background jobs (emails, reminders, refunds…) that failed on every attempt and wait ' +
          'in the dead-letter set, with the queue counts. 503 `queue_unavailable` while Redis does not answer.',
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'How many, at most' }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: FailedJobs,
          ...problemResponses(401, 403, 503),
        },
      },
    },
    async (req) => {
      assertRole(requireActor(req), 'admin');
      const [items, counts] = await fromQueue(Promise.all([queue.failed(req.query.limit), queue.counts()]));
      return { items, counts };
    },
  );
  app.post(
    '/failed/:id/retry',
    {
      // The retry happens in Redis: the admin-audit hook writes this row (src/platform/audit.ts).
      config: { audit: { action: 'job.retry', objectType: 'job' } },
      schema: {
        tags,
        security: bearerSecurity,
        operationId: 'retryFailedJob',
        summary: 'Retry a failed job',
        description: 'Admin only: moves the failed job back to the queue, with fresh attempts.',
        params: Type.Object({
          id: Type.String({
            minLength: 1,
            maxLength: 200,
            description: 'The job id, as listed',
            examples: ['email-8d2e4f6a-0b1c-4d3e-9f5a-7b8c9d0e1f2a'],
          }),
        }),
        response: {
          202: described(
            Type.Object({ status: Type.Literal('queued') }, { examples: [{ status: 'queued' }] }),
            'Queued again',
          ),
          ...problemResponses(401, 403, 404, 503),
        },
      },
    },
    async (req, reply) => {
      assertRole(requireActor(req), 'admin');
      if (!(await fromQueue(queue.retry(req.params.id)))) throw notFound('Failed job');
      return reply.code(202).send({ status: 'queued' as const });
    },
  );
}
