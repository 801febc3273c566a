import { Type } from 'typebox';
import { assertRole, bearerSecurity, requireActor } from '../auth.js';
import { notFound } from '../errors.js';
import { problemResponses, type RoostApp } from '../http.js';
import type { JobQueue } from './registry.js';

const FailedJob = Type.Object({
  id: Type.String(),
  name: Type.String(),
  data: Type.Unknown(),
  attempts: Type.Integer(),
  error: Type.String(),
  failedAt: Type.Union([Type.String(), Type.Null()]),
});

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
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
        response: {
          200: Type.Object({
            items: Type.Array(FailedJob),
            counts: Type.Record(Type.String(), Type.Integer()),
          }),
          ...problemResponses(401, 403),
        },
      },
    },
    async (req) => {
      assertRole(requireActor(req), 'admin');
      return { items: await queue.failed(req.query.limit), counts: await queue.counts() };
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
          ...problemResponses(401, 403, 404),
        },
      },
    },
    async (req, reply) => {
      assertRole(requireActor(req), 'admin');
      if (!(await queue.retry(req.params.id))) throw notFound('Failed job');
      return reply.code(202).send({ status: 'queued' as const });
    },
  );
}
