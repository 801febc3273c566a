import type { Kysely } from 'kysely';
import type { DatabaseKind } from '../db/database.js';
import type { DB } from '../db/schema/index.js';
import type { AccessTokens, SessionGate } from './auth.js';
import type { Cache } from './cache.js';
import type { Config } from './config.js';
import type { PaymentProvider } from './payment-provider.js';

/**
 * What a service needs from the outside world, passed explicitly (no globals):
 * the database handle, configuration and token signer. REST routes and GraphQL resolvers
 * hand the same context to the same service functions.
 */
export interface ServiceContext {
  db: Kysely<DB>;
  dbKind: DatabaseKind;
  config: Config;
  tokens: AccessTokens;
  /** The per-request session check, and its invalidation after revocations and role changes. */
  sessions: SessionGate;
  /** Payment providers by name (`sandbox` always; `stripe` when configured). */
  payments: Record<string, PaymentProvider>;
  /** Cache for read-heavy endpoints (Redis or memory). */
  cache: Cache;
  /** The current time; injectable so time-dependent rules can be tested at their boundaries. */
  now: () => Date;
}
