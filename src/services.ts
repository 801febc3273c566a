/** Wires the ServiceContext that every service receives, for the API, the CLI commands and the worker. */
import type { Database } from './db/database.js';
import { createSessionGate } from './modules/accounts/sessions.js';
import { createPaymentProviders } from './modules/payments/providers.js';
import { createAccessTokens } from './platform/auth.js';
import { type Cache, MemoryCache } from './platform/cache.js';
import type { Config } from './platform/config.js';
import type { ServiceContext } from './platform/context.js';

export function createServiceContext(
  config: Config,
  database: Database,
  opts: { now?: (() => Date) | undefined; cache?: Cache | undefined } = {},
): ServiceContext {
  const cache = opts.cache ?? new MemoryCache();
  return {
    db: database.db,
    dbKind: database.kind,
    config,
    tokens: createAccessTokens({
      secret: config.JWT_SECRET,
      issuer: config.JWT_ISSUER,
      ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    }),
    sessions: createSessionGate(database.db, cache, config.SESSION_CACHE_SECONDS),
    payments: createPaymentProviders(config),
    cache,
    now: opts.now ?? (() => new Date()),
  };
}
