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

interface CachedSession {
  role: Actor['role'] | null;
  active: boolean;
  suspended?: boolean;
}

const key = (userId: string, sessionId: string) => `session:${userId}:${sessionId}`;

export function createSessionGate(db: Kysely<DB>, cache: Cache, ttlSeconds: number): SessionGate {
  async function load(claims: AccessClaims): Promise<CachedSession> {
    const row = await repo.sessionState(db, claims.userId, claims.sessionId);
    return row ?? { role: null, active: false };
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
      return { userId: claims.userId, sessionId: claims.sessionId, role: state.role };
    },
    async forget(userId, sessionIds) {
      if (ttlSeconds <= 0) return;
      const ids = sessionIds ?? (await repo.sessionIdsOf(db, userId));
      await Promise.all(ids.map((id) => cache.del(key(userId, id))));
    },
  };
}
