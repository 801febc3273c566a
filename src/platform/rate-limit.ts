/**
 * Named rate limits built on @fastify/rate-limit's `createRateLimit` (its store: in memory, or Redis
 * when configured). Unlike route-level `config.rateLimit`, several limits can guard one route, each
 * keyed differently (per IP, per target email, ...). Exceeding one answers a 429 problem.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';
import type { RoostApp } from './http.js';

export interface LimitSpec {
  /** Distinguishes limits that share a store. */
  name: string;
  max: number;
  windowMs: number;
  key: (request: FastifyRequest) => string;
}

export function rateLimitGuard(app: RoostApp, spec: LimitSpec) {
  const check = app.createRateLimit({
    max: spec.max,
    timeWindow: spec.windowMs,
    keyGenerator: (r: FastifyRequest) => `${spec.name}:${spec.key(r)}`,
  });
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await check(request);
    if (result.isAllowed) return;
    reply.header('x-ratelimit-limit', result.max);
    reply.header('x-ratelimit-remaining', result.remaining);
    if (result.isExceeded) {
      reply.header('retry-after', result.ttlInSeconds);
      throw new AppError(429, 'rate_limited', `Too many attempts; try again in ${result.ttlInSeconds} s`);
    }
  };
}
