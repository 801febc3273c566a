import type { Kysely, Selectable } from 'kysely';
import { updateReturning } from '../../db/dialect.js';
import type { DB, Role, UserTokenPurpose } from '../../db/schema/index.js';
import type { RefreshTokensTable, UsersTable, UserTokensTable } from '../../db/schema/users.js';

/** The profile columns of a user, as the session check reads them. */
export type SessionUser = Pick<
  Selectable<UsersTable>,
  | 'id'
  | 'email'
  | 'first_name'
  | 'last_name'
  | 'phone'
  | 'role'
  | 'email_verified_at'
  | 'suspended_at'
  | 'created_at'
>;

export type RefreshTokenRow = Selectable<RefreshTokensTable>;
export type UserTokenRow = Selectable<UserTokensTable>;

export async function insertRefreshToken(
  db: Kysely<DB>,
  row: Pick<
    RefreshTokenRow,
    'id' | 'user_id' | 'family_id' | 'token_hash' | 'expires_at' | 'user_agent' | 'ip'
  > & { kind?: 'api' | 'console' },
): Promise<void> {
  await db.insertInto('refresh_tokens').values(row).execute();
}

export function findRefreshToken(db: Kysely<DB>, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** The refresh token to rotate, locked. Only `api` tokens: a console session is never exchanged for tokens. */
export function lockRefreshToken(db: Kysely<DB>, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('kind', '=', 'api')
    .forUpdate()
    .executeTakeFirst();
}

/** Marks a token as used for rotation; false if another request rotated (or revoked) it first. */
export async function markRotated(db: Kysely<DB>, id: string, at: Date): Promise<boolean> {
  const res = await db
    .updateTable('refresh_tokens')
    .set({ rotated_at: at })
    .where('id', '=', id)
    .where('rotated_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return res.numUpdatedRows === 1n;
}

export async function revokeFamily(
  db: Kysely<DB>,
  familyId: string,
  reason: string,
  at: Date,
): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Revoke every session of a user, except `keepFamilyId` when given. */
export async function revokeUserSessions(
  db: Kysely<DB>,
  userId: string,
  reason: string,
  at: Date,
  keepFamilyId?: string,
): Promise<void> {
  let q = db
    .updateTable('refresh_tokens')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (keepFamilyId) q = q.where('family_id', '<>', keepFamilyId);
  await q.execute();
}

export async function insertUserToken(
  db: Kysely<DB>,
  row: Pick<UserTokenRow, 'id' | 'user_id' | 'purpose' | 'token_hash' | 'expires_at'>,
): Promise<void> {
  await db.insertInto('user_tokens').values(row).execute();
}

/**
 * Consume a single-use token atomically: returns its row if it was unused and unexpired,
 * and marks it used in the same statement so two concurrent uses cannot both succeed.
 */
export async function consumeUserToken(
  db: Kysely<DB>,
  tokenHash: string,
  purpose: UserTokenPurpose,
  at: Date,
): Promise<UserTokenRow | undefined> {
  const [row] = await updateReturning(
    db,
    'user_tokens',
    (eb) =>
      eb.and([
        eb('token_hash', '=', tokenHash),
        eb('purpose', '=', purpose),
        eb('used_at', 'is', null),
        eb('expires_at', '>', at),
      ]),
    { used_at: at },
  );
  return row;
}

/** Invalidate outstanding tokens of one purpose (a new reset link voids the older ones). */
export async function voidUserTokens(db: Kysely<DB>, userId: string, purpose: UserTokenPurpose, at: Date) {
  await db
    .updateTable('user_tokens')
    .set({ used_at: at })
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}

/** Delete tokens nobody can use any more: expired or used/revoked more than `graceDays` ago. */
export async function purgeTokens(db: Kysely<DB>, now: Date, graceDays: number): Promise<number> {
  const cutoff = new Date(now.getTime() - graceDays * 86_400_000);
  const a = await db
    .deleteFrom('user_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('used_at', '<', cutoff)]))
    .executeTakeFirst();
  const b = await db
    .deleteFrom('refresh_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('revoked_at', '<', cutoff)]))
    .executeTakeFirst();
  return Number(a.numDeletedRows) + Number(b.numDeletedRows);
}

/**
 * What the per-request session check needs, in one indexed query: the user's role and suspension,
 * whether the session (refresh-token family) is still open, and the user's profile columns (the check
 * caches the profile with the state: sessions.ts). Undefined when the user no longer exists.
 */
export async function sessionState(
  db: Kysely<DB>,
  userId: string,
  familyId: string,
): Promise<{ role: Role; active: boolean; suspended: boolean; user: SessionUser } | undefined> {
  const row = await db
    .selectFrom('users as u')
    .select((eb) => [
      'u.id',
      'u.email',
      'u.first_name',
      'u.last_name',
      'u.phone',
      'u.role',
      'u.email_verified_at',
      'u.suspended_at',
      'u.created_at',
      eb
        .exists(
          eb
            .selectFrom('refresh_tokens as r')
            .select('r.id')
            .where('r.family_id', '=', familyId)
            .where('r.user_id', '=', userId)
            .where('r.revoked_at', 'is', null),
        )
        .as('active'),
    ])
    .where('u.id', '=', userId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { active, ...user } = row;
  // MySQL answers EXISTS with 0/1.
  return { role: row.role, active: Boolean(Number(active)), suspended: row.suspended_at !== null, user };
}

/** Every session (refresh-token family) a user has, live or not, for cache invalidation. */
export async function sessionIdsOf(db: Kysely<DB>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('refresh_tokens')
    .select('family_id')
    .distinct()
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => r.family_id);
}

export interface SessionSummaryRow {
  family_id: string;
  kind: 'api' | 'console';
  created_at: Date;
  last_used_at: Date | null;
  ip: string | null;
  user_agent: string | null;
}

/**
 * A user's open sessions (refresh-token families whose current token is unrevoked and unexpired),
 * newest first. Rotation keeps the family: its first token tells when the session began, its newest
 * when (and from where) it was last refreshed.
 */
export async function activeSessionsOf(
  db: Kysely<DB>,
  userId: string,
  now: Date,
): Promise<SessionSummaryRow[]> {
  const rows = await db
    .selectFrom('refresh_tokens')
    .select(['family_id', 'kind', 'created_at', 'rotated_at', 'expires_at', 'ip', 'user_agent'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
  const live = new Set(
    rows.filter((r) => r.rotated_at === null && r.expires_at > now).map((r) => r.family_id),
  );
  const families = new Map<string, SessionSummaryRow & { newest: Date }>();
  for (const r of rows) {
    if (!live.has(r.family_id)) continue;
    const created = new Date(r.created_at);
    const f = families.get(r.family_id);
    if (!f) {
      families.set(r.family_id, {
        family_id: r.family_id,
        kind: r.kind,
        created_at: created,
        last_used_at: null,
        ip: r.ip,
        user_agent: r.user_agent,
        newest: created,
      });
      continue;
    }
    if (created < f.created_at) f.created_at = created;
    if (created > f.newest) {
      f.newest = created;
      f.ip = r.ip;
      f.user_agent = r.user_agent;
    }
  }
  return [...families.values()]
    .map(({ newest, ...f }) => ({ ...f, last_used_at: newest > f.created_at ? newest : null }))
    .sort((a, b) => b.created_at.getTime() - a.created_at.getTime());
}

/** Revoke every open session of a user; how many sessions (families) that ended. */
export async function revokeAllSessions(
  db: Kysely<DB>,
  userId: string,
  reason: string,
  at: Date,
): Promise<number> {
  const open = await db
    .selectFrom('refresh_tokens')
    .select('family_id')
    .distinct()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
  await revokeUserSessions(db, userId, reason, at);
  return open.length;
}

/** An open operator-console session (cookie token hash): its user and session id, if unrevoked and unexpired. */
export function findConsoleSession(
  db: Kysely<DB>,
  tokenHash: string,
  now: Date,
): Promise<Pick<RefreshTokenRow, 'id' | 'user_id' | 'family_id' | 'expires_at'> | undefined> {
  return db
    .selectFrom('refresh_tokens')
    .select(['id', 'user_id', 'family_id', 'expires_at'])
    .where('token_hash', '=', tokenHash)
    .where('kind', '=', 'console')
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Sets an admin's TOTP secret (sealed) and when it was enabled (null: set up but not confirmed / off). */
export async function setTotp(
  db: Kysely<DB>,
  userId: string,
  patch: { totp_secret: string | null; totp_enabled_at: Date | null },
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', userId)
    .execute();
}
