import { sql } from 'kysely';
import { Type } from 'typebox';
import type { RedisGuard } from '../../platform/cache.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, publicSecurity, type RoostApp } from '../../platform/http.js';
import { TIMED_OUT, within } from '../../platform/timeout.js';

const Check = Type.Object({
  status: Type.Enum(['ok', 'fail', 'down'], {
    description:
      '`ok`: answered; `fail`: a dependency the service cannot work without did not answer; ' +
      '`down`: an optional dependency (e.g. Redis) did not answer and the service runs without it',
  }),
  latencyMs: Type.Number(),
});
const Replica = Type.Object({
  name: Type.String({ description: 'host:port/database' }),
  status: Type.Enum(['ok', 'lagging', 'down'], {
    description:
      '`ok`: takes reads; `lagging`: further behind the primary than DATABASE_READ_MAX_LAG_MS; `down`: ' +
      'does not answer. Reads meant for a replica that is not `ok` go to the primary',
  }),
  lagMs: Type.Union([Type.Number(), Type.Null()], { description: 'Estimated staleness at the last check' }),
});
const Health = Type.Object({
  status: Type.Enum(['ok', 'degraded', 'fail']),
  checks: Type.Optional(
    Type.Record(Type.String(), Check, { description: 'Each dependency checked, by name' }),
  ),
  /** Read replicas (DATABASE_READ_URL), as the periodic lag check last saw them. */
  replicas: Type.Optional(
    Type.Array(Replica, { description: 'Read replicas (DATABASE_READ_URL), as the lag check last saw them' }),
  ),
});
const Live = described(Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }), 'Up');
const Ready = {
  ...Health,
  description: 'Ready: `ok`, or `degraded` while an optional dependency is down',
  examples: [
    {
      status: 'degraded',
      checks: { database: { status: 'ok', latencyMs: 1.42 }, redis: { status: 'down', latencyMs: 1000.31 } },
    },
  ],
};
const NotReady = {
  ...Health,
  description: 'Not ready: a required dependency (the database) does not answer',
  examples: [{ status: 'fail', checks: { database: { status: 'fail', latencyMs: 2000.87 } } }],
};

/** Extra readiness checks (Redis, queues) register here as they are added. */
export type ReadinessCheck = () => Promise<void>;

export interface ReadinessCheckSpec {
  check: ReadinessCheck;
  /**
   * Whether the instance can serve traffic without this dependency (default: it cannot). A failing
   * required check makes readiness 503; a failing optional one reports it `down` with a 200 `degraded`.
   */
  required?: boolean;
  /** Bound of the check (default 2 000 ms). */
  timeoutMs?: number;
}

/**
 * Redis is optional for readiness. Without it the API still serves everything from the database: the
 * cache is bypassed, rate limits are counted per process, emails wait in the outbox table. Redis is
 * one server shared by every instance, so if its blip made readiness fail, the load balancer would pull
 * every instance out at once and turn a degraded service into a full outage. So Redis down answers
 * 200 `{"status":"degraded","checks":{"redis":{"status":"down"}}}`: monitoring sees it, traffic flows.
 */
export function redisReadiness(guard: RedisGuard): ReadinessCheckSpec {
  return {
    required: false,
    timeoutMs: 1000,
    check: async () => void (await guard.probe('ping', () => guard.redis.ping(), 500)),
  };
}

/** A failing check is logged when it starts failing, then at most once a minute, and when it recovers. */
const LOG_EVERY_MS = 60_000;

export async function healthRoutes(
  app: RoostApp,
  { ctx, checks = {} }: { ctx: ServiceContext; checks?: Record<string, ReadinessCheck | ReadinessCheckSpec> },
) {
  const all: Record<string, ReadinessCheckSpec> = {
    database: {
      check: async () => {
        await sql`select 1`.execute(ctx.db);
      },
    },
    ...Object.fromEntries(
      Object.entries(checks).map(([name, c]) => [name, typeof c === 'function' ? { check: c } : c]),
    ),
  };
  const failingSince = new Map<string, { since: number; loggedAt: number }>();

  app.get(
    '/live',
    {
      schema: {
        tags: ['health'],
        operationId: 'getLiveness',
        summary: 'Liveness',
        description:
          'Answers 200 while the process runs and its event loop turns, whatever its dependencies do: ' +
          'restart the instance when it stops answering.',
        security: publicSecurity,
        response: { 200: Live },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: 'Readiness',
        description:
          'Whether the instance can serve traffic: each dependency is checked (bounded in time). 503 when ' +
          'the database does not answer; 200 `degraded` when only an optional dependency (Redis, a read ' +
          'replica) is down or a read replica lags, since the service works without it. Send traffic ' +
          'while it answers 200.',
        security: publicSecurity,
        response: { 200: Ready, 503: NotReady },
      },
    },
    async (req, reply) => {
      const results = await Promise.all(
        Object.entries(all).map(async ([name, spec]) => {
          const required = spec.required ?? true;
          const started = performance.now();
          let failure: unknown;
          try {
            await withTimeout(spec.check(), spec.timeoutMs ?? 2000);
          } catch (err) {
            failure = err ?? 'failed';
          }
          const latencyMs = round(performance.now() - started);
          // The reason goes to the log only: error text may carry hosts, ports, or worse.
          const now = Date.now();
          const seen = failingSince.get(name);
          if (failure !== undefined) {
            if (!seen || now - seen.loggedAt >= LOG_EVERY_MS) {
              req.log.warn(
                {
                  check: name,
                  required,
                  failingForMs: seen ? now - seen.since : 0,
                  err: failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure),
                },
                'readiness check failing',
              );
              failingSince.set(name, { since: seen?.since ?? now, loggedAt: now });
            }
          } else if (seen) {
            failingSince.delete(name);
            req.log.info({ check: name, failedForMs: now - seen.since }, 'readiness check passing again');
          }
          const status = failure === undefined ? 'ok' : required ? 'fail' : 'down';
          return [name, { status, latencyMs }, required] as const;
        }),
      );
      // A lagging or down replica never makes the instance unready: its reads go to the primary.
      const replicas = ctx.replicas?.states().map(({ name, status, lagMs }) => ({ name, status, lagMs }));
      const failed = results.some(([, r]) => r.status === 'fail');
      const degraded =
        results.some(([, r]) => r.status === 'down') || (replicas ?? []).some((r) => r.status !== 'ok');
      return reply.code(failed ? 503 : 200).send({
        status: failed ? 'fail' : degraded ? 'degraded' : 'ok',
        checks: Object.fromEntries(results.map(([name, r]) => [name, r])),
        ...(replicas ? { replicas } : {}),
      });
    },
  );
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  const result = await within(p, ms);
  if (result === TIMED_OUT) throw new Error(`timed out after ${ms} ms`);
  return result;
}
