import { Type } from 'typebox';
import { assertRole, bearerSecurity, requireActor } from '../auth.js';
import { AppError, notFound } from '../errors.js';
import { problemResponses, type RoostApp } from '../http.js';
import { TIMED_OUT, within } from '../timeout.js';
import type { JobQueue } from './registry.js';

const FailedJob = Type.Object({
  id: Type.String(),
  name: Type.String(),
  data: Type.Unknown(),
  attempts: Type.Integer(),
  error: Type.String(),
  failedAt: Type.Union([Type.String(), Type.Null()]),
});

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
        summary: 'Jobs that failed after all their attempts',
        querystring: Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(FailedJob),
            counts: Type.Record(Type.String(), Type.Integer()),
          }),
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
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Run a failed job again',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          202: Type.Object({ status: Type.Literal('queued') }),
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
