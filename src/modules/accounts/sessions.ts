/**
 * The per-request session check. An access token names its session (the refresh-token family) and
 * its user; it proves who signed in, not that the session is still open. Every authenticated request
 * asks this gate, which answers from a short-lived cache entry (Redis where configured) or one indexed
 * query, so logout, refresh-token reuse, password change/reset and a role change take effect on the
 * next request. The role always comes from the user row, never from the token.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import type { AccessClaims, Actor, SessionGate } from '../../platform/auth.js';
import type { Cache } from '../../platform/cache.js';
import { unauthorized } from '../../platform/errors.js';
import * as repo from './auth.repository.js';
import { toUserView } from './user-view.js';
import type { UserView } from './users.schemas.js';

interface CachedSession {
  role: Actor['role'] | null;
  active: boolean;
  suspended?: boolean;
  /**
   * The user's profile as of the check, so that `GET /users/me` needs no query of its own. Every change
   * to the user drops the user's entries (`forget`): profile edits, email verification, role changes,
   * suspension, password changes.
   */
  profile?: UserView;
}

const key = (userId: string, sessionId: string) => `session:${userId}:${sessionId}`;

/**
 * The profile the session check found for this caller (cached with the session state or just read with
 * it), kept for the rest of the request: `GET /users/me` answers from it with no further round trip.
 */
const profiles = new WeakMap<Actor, UserView>();

export function profileOf(actor: Actor): UserView | undefined {
  return profiles.get(actor);
}

export function createSessionGate(db: Kysely<DB>, cache: Cache, ttlSeconds: number): SessionGate {
  async function load(claims: AccessClaims): Promise<CachedSession> {
    const row = await repo.sessionState(db, claims.userId, claims.sessionId);
    if (!row) return { role: null, active: false };
    return { role: row.role, active: row.active, suspended: row.suspended, profile: toUserView(row.user) };
  }
  return {
    async resolve(claims) {
      let state: CachedSession | undefined;
      if (ttlSeconds > 0) state = await cache.get<CachedSession>(key(claims.userId, claims.sessionId));
      if (!state) {
        state = await load(claims);
        if (ttlSeconds > 0) await cache.set(key(claims.userId, claims.sessionId), state, ttlSeconds);
      }
      if (state.suspended) throw unauthorized('This account is suspended', 'account_suspended');
      if (!state.active || !state.role) {
        throw unauthorized('This session has ended; sign in again', 'session_revoked');
      }
      const actor: Actor = { userId: claims.userId, sessionId: claims.sessionId, role: state.role };
      if (state.profile) profiles.set(actor, state.profile);
      return actor;
    },
    async forget(userId, sessionIds) {
      if (ttlSeconds <= 0) return;
      const ids = sessionIds ?? (await repo.sessionIdsOf(db, userId));
      await Promise.all(ids.map((id) => cache.del(key(userId, id))));
    },
  };
}
