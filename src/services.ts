/** Wires the ServiceContext that every service receives, for the API, the CLI commands and the worker. */
import type { Database } from './db/database.js';
import { createReadRouting, ReplicaAwareCache } from './db/replicas.js';
import { createSessionGate } from './modules/accounts/sessions.js';
import { createPaymentProviders } from './modules/payments/providers.js';
import { createAccessTokens } from './platform/auth.js';
import { type Cache, MemoryCache } from './platform/cache.js';
import type { Config } from './platform/config.js';
import type { ServiceContext } from './platform/context.js';
import { type EventBus, LocalEventBus } from './platform/events.js';

export function createServiceContext(
  config: Config,
  database: Database,
  opts: {
    now?: (() => Date) | undefined;
    cache?: Cache | undefined;
    events?: EventBus | undefined;
  } = {},
): ServiceContext {
  const replicas = database.replicas;
  const shared = opts.cache ?? new MemoryCache();
  // With replicas, invalidations are repeated once the replicas in rotation have the change (an entry
  // filled from a replica in between would otherwise keep the old value for its whole TTL).
  const cache = replicas
    ? new ReplicaAwareCache(shared, config.DATABASE_READ_MAX_LAG_MS + config.DATABASE_READ_CHECK_MS)
    : shared;
  const routing = createReadRouting({
    primary: database.db,
    replicas,
    cache: shared,
    stickyMs: config.DATABASE_READ_STICKY_MS,
  });
  return {
    db: database.db,
    reads: routing.reads,
    wrote: routing.wrote,
    ...(replicas ? { replicas } : {}),
    dbKind: database.kind,
    config,
    tokens: createAccessTokens({
      secret: config.JWT_SECRET,
      issuer: config.JWT_ISSUER,
      ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    }),
    // Sessions are read from the primary: their invalidations need no repeat.
    sessions: createSessionGate(database.db, shared, config.SESSION_CACHE_SECONDS),
    payments: createPaymentProviders(config),
    cache,
    events: opts.events ?? new LocalEventBus(),
    now: opts.now ?? (() => new Date()),
  };
}
