import { Type } from 'typebox';
import type { Role } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { recordAdminAction } from '../../platform/audit.js';
import { type Actor, assertRole } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { conflict, notFound } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import { profileOf } from './sessions.js';
import { toUserView } from './user-view.js';
import {
  findUserById,
  firstNamesOf as firstNameRows,
  listUsers as listUserRows,
  searchUsers,
  type UserRow,
  updateUser,
} from './users.repository.js';
import { type BecameHost, UserCursor, type UserView } from './users.schemas.js';

/** Where and how to write to a user (for notifications); undefined for an unknown id. */
export async function contactOf(
  db: ServiceContext['db'],
  userId: string,
): Promise<{ email: string; firstName: string } | undefined> {
  const user = await findUserById(db, userId);
  return user ? { email: user.email, firstName: user.first_name } : undefined;
}

/** First names by user id (what one party of a conversation sees of the other). */
export function firstNamesOf(db: ServiceContext['db'], ids: readonly string[]): Promise<Map<string, string>> {
  return firstNameRows(db, [...new Set(ids)]);
}

/**
 * The caller's profile: as the session check of this request found it (cached with the session state,
 * which every change to the user drops — sessions.ts), else from the database.
 */
export async function getMe(ctx: ServiceContext, actor: Actor): Promise<UserView> {
  const checked = profileOf(actor);
  if (checked) return checked;
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw notFound('User');
  return toUserView(user);
}

export interface UpdateMeInput {
  firstName?: string | undefined;
  lastName?: string | undefined;
  phone?: string | null | undefined;
}

export async function updateMe(ctx: ServiceContext, actor: Actor, input: UpdateMeInput): Promise<UserView> {
  const patch: Parameters<typeof updateUser>[2] = {};
  if (input.firstName !== undefined) patch.first_name = input.firstName.trim();
  if (input.lastName !== undefined) patch.last_name = input.lastName.trim();
  if (input.phone !== undefined) patch.phone = input.phone;
  const user = await updateUser(ctx.db, actor.userId, patch);
  if (!user) throw notFound('User');
  await ctx.sessions.forget(actor.userId); // the cached profile (see getMe)
  return toUserView(user);
}

/**
 * A guest becomes a host. Hosts and admins already can host: 409. Roles are read per request, so the
 * caller's current token already works as a host; a fresh access token for the same session comes back
 * anyway, so a client that reads its session from the latest token answer never acts on a stale one.
 * The refresh token the caller holds stays valid (same session).
 */
export async function becomeHost(ctx: ServiceContext, actor: Actor): Promise<BecameHost> {
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw notFound('User');
  if (user.role !== 'guest') throw conflict('already_host', `A ${user.role} can already list properties`);
  const updated = await updateUser(ctx.db, actor.userId, { role: 'host' });
  await ctx.sessions.forget(actor.userId);
  const access = await ctx.tokens.sign({ userId: actor.userId, sessionId: actor.sessionId });
  return {
    user: toUserView(updated!),
    accessToken: access.token,
    tokenType: 'Bearer',
    expiresIn: access.expiresIn,
  };
}

export async function listUsers(
  ctx: ServiceContext,
  actor: Actor,
  q: { role?: Role | undefined; email?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: UserView[]; nextCursor: string | null }> {
  assertRole(actor, 'admin');
  const after = q.cursor ? decodeCursor<{ id: string }>(q.cursor, UserCursor).id : undefined;
  const rows = await listUserRows(ctx.db, {
    role: q.role,
    emailContains: q.email,
    after,
    limit: q.limit + 1,
  });
  return toPage(rows, q.limit, toUserView, (u) => ({ id: u.id }));
}

/** An admin changes a user's role (audited `user.role`). Takes effect on the user's next request. */
export async function changeRole(
  ctx: ServiceContext,
  actor: Actor,
  userId: string,
  role: Role,
  reason?: string,
): Promise<UserView> {
  assertRole(actor, 'admin');
  if (userId === actor.userId && role !== 'admin') {
    throw conflict('cannot_demote_self', 'An admin cannot remove their own admin role');
  }
  const user = await inTransaction(ctx.db, async (trx) => {
    const current = await findUserById(trx, userId);
    if (!current) throw notFound('User');
    const updated = await updateUser(trx, userId, { role });
    await recordAdminAction(ctx, trx, actor, {
      action: 'user.role',
      objectType: 'user',
      objectId: userId,
      before: { role: current.role },
      after: { role },
      reason: reason ?? null,
    });
    return updated!;
  });
  await ctx.sessions.forget(userId);
  return toUserView(user);
}

/** A user as the admin search lists them. */
export interface AdminUserSummary {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  role: Role;
  suspended: boolean;
  deleted: boolean;
  createdAt: string;
}

export function toAdminUserSummary(u: UserRow): AdminUserSummary {
  return {
    id: u.id,
    email: u.email,
    firstName: u.first_name,
    lastName: u.last_name,
    role: u.role,
    suspended: u.suspended_at !== null,
    deleted: u.deleted_at !== null,
    createdAt: new Date(u.created_at).toISOString(),
  };
}

export interface AdminUserSearch {
  /** Part of the email address or of the first or last name. */
  q?: string | undefined;
  role?: Role | undefined;
  status?: 'active' | 'suspended' | 'deleted' | undefined;
  limit: number;
  cursor?: string | undefined;
}

const AdminUserCursor = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Admin search over all users (deleted ones included on request), newest first, keyset-paged. */
export async function adminSearchUsers(
  ctx: ServiceContext,
  actor: Actor,
  q: AdminUserSearch,
): Promise<{ items: AdminUserSummary[]; nextCursor: string | null }> {
  assertRole(actor, 'admin');
  const before = q.cursor ? decodeCursor<{ id: string }>(q.cursor, AdminUserCursor).id : undefined;
  const text = q.q?.trim().slice(0, 254);
  const rows = await searchUsers(ctx.db, {
    text: text || undefined,
    role: q.role,
    status: q.status,
    before,
    limit: Math.min(Math.max(q.limit, 1), 100) + 1,
  });
  return toPage(rows, Math.min(Math.max(q.limit, 1), 100), toAdminUserSummary, (u) => ({ id: u.id }));
}

/** The full admin view of one user's account row (404 for an unknown id). */
export async function adminUserRow(ctx: ServiceContext, actor: Actor, userId: string) {
  assertRole(actor, 'admin');
  const user = await findUserById(ctx.db, userId);
  if (!user) throw notFound('User');
  return {
    ...toAdminUserSummary(user),
    phone: user.phone,
    emailVerified: user.email_verified_at !== null,
    totpEnabled: user.totp_enabled_at !== null,
  };
}

/** The id of the account with this email (normalized: trimmed, lower case), if any (admin booking search). */
export async function findUserIdByEmail(ctx: ServiceContext, email: string): Promise<string | undefined> {
  const row = await ctx.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  return row?.id;
}
