/**
 * Named rate limits built on @fastify/rate-limit's `createRateLimit` (its store: in memory, or Redis
 * when configured). Unlike route-level `config.rateLimit`, several limits can guard one route, each
 * keyed differently (per IP, per target email, ...). Exceeding one answers a 429 problem.
 *
 * With Redis, the store is `failSoftRateLimitStore`: counts live in Redis (shared by every API process)
 * while Redis answers, and in this process's memory while it does not — limits stay enforced (per
 * process) during an outage instead of erroring or being skipped.
 */
import { createRequire } from 'node:module';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { RedisGuard } from './cache.js';
import { AppError } from './errors.js';
import type { RoostApp } from './http.js';

export interface LimitSpec {
  /** Distinguishes limits that share a store. */
  name: string;
  max: number;
  windowMs: number;
  key: (request: FastifyRequest) => string;
}

/** A key given explicitly for one check (see `RateLimitGuard.forKey`). */
const EXPLICIT_KEY = Symbol('rate-limit-key');
type Keyed = FastifyRequest & { [EXPLICIT_KEY]?: string | undefined };

export interface RateLimitGuard {
  /** As a route hook: the key comes from the request (`spec.key`). */
  (request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** The same limit and counters, for an attempt whose key is not in the request's shape (GraphQL). */
  forKey(request: FastifyRequest, reply: FastifyReply, key: string): Promise<void>;
}

export function rateLimitGuard(app: RoostApp, spec: LimitSpec): RateLimitGuard {
  const check = app.createRateLimit({
    max: spec.max,
    timeWindow: spec.windowMs,
    keyGenerator: (r: FastifyRequest) => `${spec.name}:${(r as Keyed)[EXPLICIT_KEY] ?? spec.key(r)}`,
  });
  const enforce = async (request: FastifyRequest, reply: FastifyReply, key?: string) => {
    (request as Keyed)[EXPLICIT_KEY] = key;
    let result: Awaited<ReturnType<typeof check>>;
    try {
      result = await check(request);
    } finally {
      (request as Keyed)[EXPLICIT_KEY] = undefined;
    }
    if (result.isAllowed) return;
    reply.header('x-ratelimit-limit', result.max);
    reply.header('x-ratelimit-remaining', result.remaining);
    if (result.isExceeded) {
      reply.header('retry-after', result.ttlInSeconds);
      throw new AppError(429, 'rate_limited', `Too many attempts; try again in ${result.ttlInSeconds} s`);
    }
  };
  return Object.assign((request: FastifyRequest, reply: FastifyReply) => enforce(request, reply), {
    forKey: (request: FastifyRequest, reply: FastifyReply, key: string) => enforce(request, reply, key),
  });
}

// --- The fail-soft store -------------------------------------------------------------------------------

type Counted = { current: number; ttl: number };
type Callback = (err: Error | null, result?: Counted) => void;

/** @fastify/rate-limit's store contract (see its store/*.js; `read` serves `{ increment: false }`). */
interface Store {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
  read(key: string, cb: Callback, timeWindow: number, max: number): void;
  child(routeOptions: object): Store;
}

/** The options @fastify/rate-limit hands a store's constructor (its merged global parameters). */
interface StoreParams {
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
  cache?: number;
}

// The plugin's own stores (CommonJS, no type declarations): the same Lua script and the same local
// window arithmetic as without this wrapper.
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache?: number,
) => Store;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key?: string,
) => Store;

class FailSoftStore implements Store {
  constructor(
    private readonly guard: RedisGuard,
    private readonly remote: Store,
    private readonly local: Store,
  ) {}

  incr(key: string, cb: Callback, timeWindow: number, max: number) {
    this.call('incr', key, cb, timeWindow, max);
  }

  read(key: string, cb: Callback, timeWindow: number, max: number) {
    this.call('read', key, cb, timeWindow, max);
  }

  child(routeOptions: object): Store {
    return new FailSoftStore(this.guard, this.remote.child(routeOptions), this.local.child(routeOptions));
  }

  /** Redis within the guard's bound; on any failure, the local count (Redis is not tried while down). */
  private call(method: 'incr' | 'read', key: string, cb: Callback, timeWindow: number, max: number) {
    this.guard
      .run(
        `ratelimit_${method}`,
        () =>
          new Promise<Counted>((resolve, reject) =>
            this.remote[method](
              key,
              (err, res) => (res && !err ? resolve(res) : reject(err ?? new Error('no result'))),
              timeWindow,
              max,
            ),
          ),
      )
      .then(
        (res) => cb(null, res),
        () => this.local[method](key, cb, timeWindow, max),
      );
  }
}

/**
 * A store class for `app.register(rateLimit, { store })` that counts in Redis through `guard` and falls
 * back to the plugin's in-memory LocalStore while Redis fails or is slow. Keys are the plugin's own
 * (`nameSpace` + route + key), so processes share counts exactly as with `{ redis, nameSpace }`.
 */
export function failSoftRateLimitStore(guard: RedisGuard, nameSpace = 'fastify-rate-limit-') {
  return class FailSoftRateLimitStore extends FailSoftStore {
    constructor(params: StoreParams) {
      const continueExceeding = params.continueExceeding ?? false;
      const exponentialBackoff = params.exponentialBackoff ?? false;
      super(
        guard,
        new RedisStore(continueExceeding, exponentialBackoff, guard.redis, nameSpace),
        new LocalStore(continueExceeding, exponentialBackoff, params.cache),
      );
    }
  };
}
