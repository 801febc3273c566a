/**
 * Registration, login and sessions.
 * A session is a family of refresh tokens: each refresh rotates the token; presenting an
 * already-rotated token means it was stolen or replayed, so the whole family is revoked.
 */

import { Secret, TOTP } from 'otpauth';
import { isUniqueViolation } from '../../db/dialect.js';
import type { UserTokenPurpose } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { recordAdminAction } from '../../platform/audit.js';
import { type Actor, assertRole } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { deriveSealingKey, newId, randomToken, seal, sha256Hex, unseal } from '../../platform/crypto.js';
import { enqueueEmail, outboxSealingKey } from '../../platform/email.js';
import { AppError, conflict, invalidField, notFound, unauthorized } from '../../platform/errors.js';
import type { ClientInfo } from '../../platform/http.js';
import {
  assertPasswordPolicy,
  burnPasswordCheck,
  hashPassword,
  verifyPassword,
} from '../../platform/passwords.js';
import * as repo from './auth.repository.js';
import { toUserView } from './user-view.js';
import { findUserByEmail, findUserById, insertUser, type UserRow, updateUser } from './users.repository.js';
import type { UserView } from './users.schemas.js';

export interface SessionTokens {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  user: UserView;
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const DAY_MS = 86_400_000;

export interface RegisterInput {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  phone?: string | undefined;
}

export async function register(ctx: ServiceContext, input: RegisterInput): Promise<UserView> {
  const email = normalizeEmail(input.email);
  assertPasswordPolicy(input.password, email);
  const passwordHash = await hashPassword(input.password);
  try {
    return await inTransaction(ctx.db, async (trx) => {
      const user = await insertUser(trx, {
        id: newId(),
        email,
        password_hash: passwordHash,
        first_name: input.firstName.trim(),
        last_name: input.lastName.trim(),
        phone: input.phone ?? null,
      });
      await issueVerification(ctx, trx, user);
      return toUserView(user);
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AppError(409, 'email_taken', 'An account with this email already exists', [
        { field: 'email', message: 'is already registered', in: 'body' },
      ]);
    }
    throw err;
  }
}

/** A link template (VERIFY_EMAIL_URL, RESET_PASSWORD_URL) with its `{token}` filled in. */
export const emailLink = (template: string, token: string) =>
  template.replaceAll('{token}', encodeURIComponent(token));

/**
 * A fresh single-use token for `purpose` (older ones voided), stored hashed, and its email in the
 * outbox, all inside the caller's transaction. The raw token exists only in that email: the outbox
 * holds it (and the link carrying it) only sealed, and erases even that once the email is sent.
 */
async function issueUserToken(
  ctx: ServiceContext,
  db: ServiceContext['db'],
  user: UserRow,
  purpose: UserTokenPurpose,
  opts: { ttlMs: number; template: string; link: string; data?: Record<string, unknown> },
): Promise<void> {
  const token = randomToken();
  const now = ctx.now();
  await repo.voidUserTokens(db, user.id, purpose, now);
  await repo.insertUserToken(db, {
    id: newId(),
    user_id: user.id,
    purpose,
    token_hash: sha256Hex(token),
    expires_at: new Date(now.getTime() + opts.ttlMs),
  });
  await enqueueEmail(
    db,
    {
      to: user.email,
      template: opts.template,
      data: { firstName: user.first_name, ...opts.data },
      sealed: { token, link: emailLink(opts.link, token) },
    },
    { key: outboxSealingKey(ctx.config) },
  );
}

const issueVerification = (ctx: ServiceContext, db: ServiceContext['db'], user: UserRow) =>
  issueUserToken(ctx, db, user, 'verify_email', {
    ttlMs: ctx.config.EMAIL_TOKEN_TTL_HOURS * 3_600_000,
    template: 'verify_email',
    link: ctx.config.VERIFY_EMAIL_URL,
  });

export async function resendVerification(ctx: ServiceContext, actor: Actor): Promise<void> {
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw notFound('User');
  if (user.email_verified_at) throw conflict('already_verified', 'This email address is already verified');
  await inTransaction(ctx.db, (trx) => issueVerification(ctx, trx, user));
}

export async function verifyEmail(ctx: ServiceContext, token: string): Promise<UserView> {
  const view = await inTransaction(ctx.db, async (trx) => {
    const now = ctx.now();
    const row = await repo.consumeUserToken(trx, sha256Hex(token), 'verify_email', now);
    if (!row) throw invalidField('token', 'is invalid, expired or already used', 'invalid_token');
    const user = await updateUser(trx, row.user_id, { email_verified_at: now });
    if (!user) throw notFound('User');
    return toUserView(user);
  });
  // The cached session entries carry the profile (sessions.ts): drop them, so `emailVerified` shows.
  await ctx.sessions.forget(view.id);
  return view;
}

async function startSession(
  ctx: ServiceContext,
  user: UserRow,
  client: ClientInfo,
  familyId = newId(),
  db: ServiceContext['db'] = ctx.db,
) {
  const refreshToken = randomToken();
  const expiresAt = new Date(ctx.now().getTime() + ctx.config.REFRESH_TOKEN_TTL_DAYS * DAY_MS);
  await repo.insertRefreshToken(db, {
    id: newId(),
    user_id: user.id,
    family_id: familyId,
    token_hash: sha256Hex(refreshToken),
    expires_at: expiresAt,
    user_agent: client.userAgent?.slice(0, 512) ?? null,
    ip: client.ip ?? null,
  });
  const access = await ctx.tokens.sign({ userId: user.id, sessionId: familyId });
  return {
    accessToken: access.token,
    tokenType: 'Bearer' as const,
    expiresIn: access.expiresIn,
    refreshToken,
    refreshTokenExpiresAt: expiresAt.toISOString(),
    user: toUserView(user),
  };
}

const invalidCredentials = () => unauthorized('Email or password is incorrect', 'invalid_credentials');
const suspended = () => new AppError(403, 'account_suspended', 'This account is suspended; contact support');

/** Wrong password and unknown email are indistinguishable: same status, body and (near) timing. */
export async function login(
  ctx: ServiceContext,
  input: { email: string; password: string },
  client: ClientInfo,
): Promise<SessionTokens> {
  const user = await findUserByEmail(ctx.db, normalizeEmail(input.email));
  if (!user) {
    await burnPasswordCheck(input.password);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(user.password_hash, input.password))) throw invalidCredentials();
  // Told only to someone who knows the password.
  if (user.suspended_at) throw suspended();
  return startSession(ctx, user, client);
}

export async function refresh(
  ctx: ServiceContext,
  refreshToken: string,
  client: ClientInfo,
): Promise<SessionTokens> {
  // The presented token's row is locked: of two concurrent refreshes with one token, the second waits,
  // sees the token rotated, and revokes the family including the token the first one just minted.
  const outcome = await inTransaction(ctx.db, async (trx) => {
    const now = ctx.now();
    const row = await repo.lockRefreshToken(trx, sha256Hex(refreshToken));
    if (!row) return { error: unauthorized('The refresh token is invalid', 'invalid_refresh_token') };
    if (row.revoked_at) return { error: unauthorized('This session has been revoked', 'session_revoked') };
    if (row.rotated_at) {
      // Someone presents a token that was already exchanged: treat the session as compromised.
      await repo.revokeFamily(trx, row.family_id, 'reuse_detected', now);
      return {
        error: unauthorized(
          'This refresh token was already used; the session has been revoked',
          'refresh_token_reused',
        ),
        revoked: { userId: row.user_id, sessionId: row.family_id },
      };
    }
    if (row.expires_at.getTime() <= now.getTime()) {
      return { error: unauthorized('The refresh token has expired', 'refresh_token_expired') };
    }
    const user = await findUserById(trx, row.user_id);
    if (!user) return { error: unauthorized('The refresh token is invalid', 'invalid_refresh_token') };
    if (user.suspended_at) return { error: suspended() };
    await repo.markRotated(trx, row.id, now);
    return { session: await startSession(ctx, user, client, row.family_id, trx) };
  });
  if ('error' in outcome) {
    // After the commit: the revoked session's access tokens stop working on their next request.
    if ('revoked' in outcome && outcome.revoked) {
      await ctx.sessions.forget(outcome.revoked.userId, [outcome.revoked.sessionId]);
    }
    throw outcome.error;
  }
  return outcome.session;
}

/** Ends the session the refresh token belongs to. Unknown tokens are ignored (logout is idempotent). */
export async function logout(ctx: ServiceContext, refreshToken: string): Promise<void> {
  const row = await repo.findRefreshToken(ctx.db, sha256Hex(refreshToken));
  if (!row) return;
  await repo.revokeFamily(ctx.db, row.family_id, 'logout', ctx.now());
  await ctx.sessions.forget(row.user_id, [row.family_id]);
}

/** Always succeeds from the caller's view, so it cannot be used to probe which emails exist. */
export async function requestPasswordReset(ctx: ServiceContext, email: string): Promise<void> {
  const user = await findUserByEmail(ctx.db, normalizeEmail(email));
  if (!user) return;
  await inTransaction(ctx.db, (trx) =>
    issueUserToken(ctx, trx, user, 'reset_password', {
      ttlMs: ctx.config.PASSWORD_RESET_TTL_MINUTES * 60_000,
      template: 'password_reset',
      link: ctx.config.RESET_PASSWORD_URL,
      data: { expiresInMinutes: ctx.config.PASSWORD_RESET_TTL_MINUTES },
    }),
  );
}

/** Sets a new password from a reset link and signs the user out everywhere. */
export async function resetPassword(ctx: ServiceContext, token: string, password: string): Promise<void> {
  const userId = await inTransaction(ctx.db, async (trx) => {
    const now = ctx.now();
    const row = await repo.consumeUserToken(trx, sha256Hex(token), 'reset_password', now);
    if (!row) throw invalidField('token', 'is invalid, expired or already used', 'invalid_token');
    const user = await findUserById(trx, row.user_id);
    if (!user) throw notFound('User');
    // A policy failure throws here and rolls back, so the reset link stays usable.
    assertPasswordPolicy(password, user.email);
    // Proving control of the mailbox also verifies it.
    await updateUser(trx, user.id, {
      password_hash: await hashPassword(password),
      email_verified_at: user.email_verified_at ?? now,
    });
    await repo.revokeUserSessions(trx, user.id, 'password_reset', now);
    await enqueueEmail(trx, {
      to: user.email,
      template: 'password_changed',
      data: { firstName: user.first_name },
    });
    return user.id;
  });
  await ctx.sessions.forget(userId);
}

/** Changes the password and revokes every other session; the current one stays signed in. */
export async function changePassword(
  ctx: ServiceContext,
  actor: Actor,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw notFound('User');
  if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
    throw invalidField('currentPassword', 'is incorrect', 'invalid_credentials');
  }
  assertPasswordPolicy(input.newPassword, user.email, 'newPassword');
  const passwordHash = await hashPassword(input.newPassword);
  await inTransaction(ctx.db, async (trx) => {
    const now = ctx.now();
    await updateUser(trx, user.id, { password_hash: passwordHash });
    await repo.revokeUserSessions(trx, user.id, 'password_changed', now, actor.sessionId);
    await enqueueEmail(trx, {
      to: user.email,
      template: 'password_changed',
      data: { firstName: user.first_name },
    });
  });
  await ctx.sessions.forget(user.id);
}

/**
 * Scheduled clean-up: remove expired or spent tokens. Revoked refresh tokens are kept for a week so
 * a replay of one is still recognized (and answered with "session revoked") meanwhile.
 */
export async function purgeExpiredTokens(ctx: ServiceContext): Promise<number> {
  return repo.purgeTokens(ctx.db, ctx.now(), 7);
}

/**
 * An admin suspends or reinstates an account. Suspending signs the user out everywhere (every session
 * is revoked, and their access tokens stop working on the next request) and refuses new sign-ins until
 * the account is reinstated; reinstating does not revive old sessions.
 */
export async function setSuspended(
  ctx: ServiceContext,
  actor: Actor,
  userId: string,
  suspend: boolean,
  reason?: string,
): Promise<UserView> {
  assertRole(actor, 'admin');
  if (userId === actor.userId)
    throw conflict('cannot_suspend_self', 'An admin cannot suspend their own account');
  const user = await inTransaction(ctx.db, async (trx) => {
    const now = ctx.now();
    const current = await findUserById(trx, userId);
    if (!current) throw notFound('User');
    const updated = await updateUser(trx, userId, { suspended_at: suspend ? now : null });
    if (!updated) throw notFound('User');
    if (suspend) await repo.revokeUserSessions(trx, userId, 'suspended', now);
    await recordAdminAction(ctx, trx, actor, {
      action: suspend ? 'user.suspend' : 'user.unsuspend',
      objectType: 'user',
      objectId: userId,
      before: { suspended: current.suspended_at !== null },
      after: { suspended: suspend },
      reason: reason ?? null,
    });
    return updated;
  });
  await ctx.sessions.forget(userId);
  return toUserView(user);
}

/**
 * An admin signs a user out everywhere: every session (API refresh-token families and console
 * sessions) is revoked, and their access tokens stop working on the next request. The account stays
 * usable: the user can sign in again. Audited `user.sign_out_everywhere`.
 */
export async function signOutEverywhere(
  ctx: ServiceContext,
  actor: Actor,
  userId: string,
  reason?: string,
): Promise<{ revoked: number }> {
  assertRole(actor, 'admin');
  const revoked = await inTransaction(ctx.db, async (trx) => {
    const user = await findUserById(trx, userId);
    if (!user) throw notFound('User');
    const count = await repo.revokeAllSessions(trx, userId, 'admin_sign_out', ctx.now());
    await recordAdminAction(ctx, trx, actor, {
      action: 'user.sign_out_everywhere',
      objectType: 'user',
      objectId: userId,
      after: { revoked: count },
      reason: reason ?? null,
    });
    return count;
  });
  await ctx.sessions.forget(userId);
  return { revoked };
}

/** One open session of a user, as an admin sees it (never its tokens). */
export interface SessionSummary {
  /** The session (refresh-token family) id: what access tokens carry as `sid`. */
  id: string;
  kind: 'api' | 'console';
  createdAt: string;
  /** When the session last refreshed its tokens (null if never). */
  lastUsedAt: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** A user's open sessions, newest first (admin). 404 for an unknown user. */
export async function listUserSessions(
  ctx: ServiceContext,
  actor: Actor,
  userId: string,
): Promise<SessionSummary[]> {
  assertRole(actor, 'admin');
  const user = await findUserById(ctx.db, userId);
  if (!user) throw notFound('User');
  const rows = await repo.activeSessionsOf(ctx.db, userId, ctx.now());
  return rows.map((r) => ({
    id: r.family_id,
    kind: r.kind,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at ? r.last_used_at.toISOString() : null,
    ip: r.ip,
    userAgent: r.user_agent,
  }));
}

// ------------------------------------------------------------------- operator console (/admin) sessions

const consoleDenied = () => unauthorized('Invalid credentials or not an admin', 'invalid_credentials');

/** The key TOTP secrets are sealed under (bound to the user id), derived from JWT_SECRET. */
const totpKey = (ctx: ServiceContext) =>
  deriveSealingKey(ctx.config.JWT_SECRET, 'roost/users/totp-secret/v1');
const totpContext = (userId: string) => `users.totp_secret:${userId}`;

/** RFC 6238: SHA-1, 6 digits, 30 s steps, one step of clock drift either way. */
function totpMatches(ctx: ServiceContext, base32: string, code: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(base32),
    digits: 6,
    period: 30,
    window: 1,
    timestamp: ctx.now().getTime(),
  });
  return delta !== null;
}

function openTotpSecret(ctx: ServiceContext, user: UserRow): string | null {
  return user.totp_secret ? unseal(totpKey(ctx), user.totp_secret, totpContext(user.id)) : null;
}

export interface ConsoleLoginInput {
  email: string;
  password: string;
  /** The current TOTP code: required when the admin has enabled the second factor. */
  totp?: string | undefined;
  ip: string;
  userAgent?: string | undefined;
}

/**
 * Signs an admin in to the operator console: a session row (`kind` console) of the same store as API
 * sessions, so suspension and "sign out everywhere" end it too. Only admins; anyone else (and a wrong
 * password, unknown email, suspended or erased account) gets the same `invalid_credentials`. A wrong or
 * missing second-factor code is `totp_required`, told only to someone who knows an admin's password.
 * `onStarted` runs in the transaction that opens the session (the console writes its audit row there).
 */
export async function startConsoleSession(
  ctx: ServiceContext,
  input: ConsoleLoginInput,
  onStarted?: (trx: ServiceContext['db'], actor: Actor) => Promise<void>,
): Promise<{ token: string; userId: string; sessionId: string; expiresAt: Date }> {
  const user = await findUserByEmail(ctx.db, normalizeEmail(input.email));
  if (!user) {
    await burnPasswordCheck(input.password);
    throw consoleDenied();
  }
  if (!(await verifyPassword(user.password_hash, input.password))) throw consoleDenied();
  if (user.role !== 'admin' || user.suspended_at || user.deleted_at) throw consoleDenied();
  if (user.totp_enabled_at) {
    const secret = openTotpSecret(ctx, user);
    if (!secret || !totpMatches(ctx, secret, input.totp?.trim() ?? '')) {
      throw unauthorized('A valid one-time code from your authenticator app is required', 'totp_required');
    }
  }
  const token = randomToken();
  const sessionId = newId();
  const expiresAt = new Date(ctx.now().getTime() + ctx.config.ADMIN_SESSION_HOURS * 3_600_000);
  await inTransaction(ctx.db, async (trx) => {
    await repo.insertRefreshToken(trx, {
      id: newId(),
      user_id: user.id,
      family_id: sessionId,
      token_hash: sha256Hex(token),
      expires_at: expiresAt,
      user_agent: input.userAgent?.slice(0, 512) ?? null,
      ip: input.ip.slice(0, 64),
      kind: 'console',
    });
    await onStarted?.(trx, { userId: user.id, role: 'admin', sessionId });
  });
  return { token, userId: user.id, sessionId, expiresAt };
}

/**
 * The console session a cookie token opens, as claims for the session gate (`ctx.sessions.resolve`,
 * which then checks suspension, revocation and the role as of now); undefined if unknown, revoked or
 * expired.
 */
export async function consoleSessionOf(
  ctx: ServiceContext,
  token: string,
): Promise<{ userId: string; sessionId: string } | undefined> {
  const row = await repo.findConsoleSession(ctx.db, sha256Hex(token), ctx.now());
  return row ? { userId: row.user_id, sessionId: row.family_id } : undefined;
}

/** Ends a console session (sign out); `onEnded` runs in its transaction (the audit row). */
export async function endConsoleSession(
  ctx: ServiceContext,
  actor: Actor,
  onEnded?: (trx: ServiceContext['db']) => Promise<void>,
): Promise<void> {
  await inTransaction(ctx.db, async (trx) => {
    await repo.revokeFamily(trx, actor.sessionId, 'logout', ctx.now());
    await onEnded?.(trx);
  });
  await ctx.sessions.forget(actor.userId, [actor.sessionId]);
}

export interface TotpStatus {
  enabled: boolean;
  /** While being set up (not yet confirmed): the secret to type in and the otpauth:// URI. */
  pending: { secret: string; uri: string } | null;
}

/** Whether the actor has a second factor, and the pending secret while one is being set up. */
export async function totpStatus(ctx: ServiceContext, actor: Actor): Promise<TotpStatus> {
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw notFound('User');
  if (user.totp_enabled_at) return { enabled: true, pending: null };
  const secret = openTotpSecret(ctx, user);
  return { enabled: false, pending: secret ? { secret, uri: totpUri(secret, user.email) } : null };
}

const totpUri = (secret: string, email: string) =>
  new TOTP({
    issuer: 'Roost',
    label: email,
    secret: Secret.fromBase32(secret),
    digits: 6,
    period: 30,
  }).toString();

/** Starts setting up a second factor: a new secret (sealed in the user row) that a code must confirm. */
export async function beginTotpSetup(ctx: ServiceContext, actor: Actor): Promise<TotpStatus> {
  assertRole(actor, 'admin');
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw notFound('User');
  if (user.totp_enabled_at) throw conflict('totp_enabled', 'Two-factor sign-in is already on');
  const secret = new Secret({ size: 20 }).base32;
  await repo.setTotp(ctx.db, user.id, {
    totp_secret: seal(totpKey(ctx), secret, totpContext(user.id)),
    totp_enabled_at: null,
  });
  return { enabled: false, pending: { secret, uri: totpUri(secret, user.email) } };
}

/** Confirms the pending secret with a current code: from now on, console sign-in needs a code. */
export async function confirmTotp(ctx: ServiceContext, actor: Actor, code: string): Promise<void> {
  assertRole(actor, 'admin');
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw notFound('User');
  if (user.totp_enabled_at) throw conflict('totp_enabled', 'Two-factor sign-in is already on');
  const secret = openTotpSecret(ctx, user);
  if (!secret) throw conflict('totp_not_started', 'Start setting up two-factor sign-in first');
  if (!totpMatches(ctx, secret, code.trim()))
    throw invalidField('code', 'is not the current code', 'invalid_totp');
  await repo.setTotp(ctx.db, user.id, { totp_secret: user.totp_secret, totp_enabled_at: ctx.now() });
}

/** Turns the second factor off; needs a current code. */
export async function disableTotp(ctx: ServiceContext, actor: Actor, code: string): Promise<void> {
  assertRole(actor, 'admin');
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw notFound('User');
  const secret = openTotpSecret(ctx, user);
  if (!user.totp_enabled_at || !secret) throw conflict('totp_not_enabled', 'Two-factor sign-in is not on');
  if (!totpMatches(ctx, secret, code.trim()))
    throw invalidField('code', 'is not the current code', 'invalid_totp');
  await repo.setTotp(ctx.db, user.id, { totp_secret: null, totp_enabled_at: null });
}
