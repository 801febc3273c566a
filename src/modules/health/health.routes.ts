import { sql } from 'kysely';
import { Type } from 'typebox';
import type { ServiceContext } from '../../platform/context.js';
import type { RoostApp } from '../../platform/http.js';

const Check = Type.Object({
  status: Type.Enum(['ok', 'fail']),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
});
const Health = Type.Object({
  status: Type.Enum(['ok', 'fail']),
  checks: Type.Optional(Type.Record(Type.String(), Check)),
});

/** Extra readiness checks (Redis, queues) register here as they are added. */
export type ReadinessCheck = () => Promise<void>;

export async function healthRoutes(
  app: RoostApp,
  { ctx, checks = {} }: { ctx: ServiceContext; checks?: Record<string, ReadinessCheck> },
) {
  const all: Record<string, ReadinessCheck> = {
    database: async () => {
      await sql`select 1`.execute(ctx.db);
    },
    ...checks,
  };

  app.get(
    '/live',
    { schema: { tags: ['health'], summary: 'The process is up', response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'The service can serve traffic (database and other dependencies answer)',
        response: { 200: Health, 503: Health },
      },
    },
    async (_req, reply) => {
      const results = await Promise.all(
        Object.entries(all).map(async ([name, check]) => {
          const started = performance.now();
          try {
            await withTimeout(check(), 2000);
            return [name, { status: 'ok' as const, latencyMs: round(performance.now() - started) }] as const;
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            return [
              name,
              { status: 'fail' as const, latencyMs: round(performance.now() - started), error },
            ] as const;
          }
        }),
      );
      const ok = results.every(([, r]) => r.status === 'ok');
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ok' : 'fail', checks: Object.fromEntries(results) });
    },
  );
}

const round = (ms: number) => Math.round(ms * 100) / 100;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
