import type { Kysely } from 'kysely';
import type { DatabaseKind } from '../db/database.js';
import type { ReadReplicas } from '../db/replicas.js';
import type { DB } from '../db/schema/index.js';
import type { AccessTokens, Actor, SessionGate } from './auth.js';
import type { Cache } from './cache.js';
import type { Config } from './config.js';
import type { EventBus } from './events.js';
import type { PaymentProvider } from './payment-provider.js';

/**
 * What a service needs from the outside world, passed explicitly (no globals):
 * the database handle, configuration and token signer. REST routes and GraphQL resolvers
 * hand the same context to the same service functions.
 */
export interface ServiceContext {
  /** The primary: every write, every transaction (`inTransaction`), and reads that must be current. */
  db: Kysely<DB>;
  /**
   * The handle for a read that may be a moment stale (search, listing detail, calendar, review lists):
   * a read replica when DATABASE_READ_URL is set and one is fit, else the primary (`db` itself). A caller
   * who changed something in the last DATABASE_READ_STICKY_MS reads the primary (read-your-writes).
   * Never write or open a transaction on it (refused); never use it to read what a write then depends on.
   */
  reads(actor?: Actor | null): Promise<Kysely<DB>>;
  /** `actor` changed something: send their reads to the primary for a while (the app calls it). */
  wrote(actor: Actor): Promise<void>;
  /** The read replicas, when configured (readiness details, tests). */
  replicas?: ReadReplicas | undefined;
  dbKind: DatabaseKind;
  config: Config;
  tokens: AccessTokens;
  /** The per-request session check, and its invalidation after revocations and role changes. */
  sessions: SessionGate;
  /** Payment providers by name (`sandbox` always; `stripe` when configured). */
  payments: Record<string, PaymentProvider>;
  /** Cache for read-heavy endpoints (Redis or memory). */
  cache: Cache;
  /** Real-time events to signed-in users' connections (publish after commit). */
  events: EventBus;
  /** The current time; injectable so time-dependent rules can be tested at their boundaries. */
  now: () => Date;
}
