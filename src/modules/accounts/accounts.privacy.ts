/**
 * The accounts module's part of the privacy tools (src/flows/privacy.ts): what it holds about a person
 * (profile, sessions, one-time tokens, the emails written to them, idempotency records) for their data
 * export, and erasing it. Credentials never leave: no password hash, TOTP secret or token hash.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { randomToken } from '../../platform/crypto.js';
import { isoOrNull } from '../../platform/instants.js';
import { verifyPassword } from '../../platform/passwords.js';
import { type Mentions, mayMention, parseJson, scrubMentions } from '../../platform/personal-data.js';

/** The address an erased account is given (never deliverable: `.invalid` is reserved, RFC 2606). */
export const erasedEmail = (userId: string) => `deleted-${userId}@deleted.invalid`;

export interface PersonOnRecord {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: string;
  deleted: boolean;
}

/** The person, locking their row for the rest of the transaction (undefined: no such user). */
export async function lockPerson(trx: Kysely<DB>, userId: string): Promise<PersonOnRecord | undefined> {
  const u = await trx
    .selectFrom('users')
    .select(['id', 'email', 'first_name', 'last_name', 'phone', 'role', 'deleted_at'])
    .where('id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
  return u
    ? {
        id: u.id,
        email: u.email,
        firstName: u.first_name,
        lastName: u.last_name,
        phone: u.phone,
        role: u.role,
        deleted: u.deleted_at !== null,
      }
    : undefined;
}

/** Whether the user exists and has not been erased. */
export async function isLiveUser(db: Kysely<DB>, userId: string): Promise<boolean> {
  const u = await db.selectFrom('users').select('deleted_at').where('id', '=', userId).executeTakeFirst();
  return u !== undefined && u.deleted_at === null;
}

/** Whether `password` is the user's current password. */
export async function checkPassword(db: Kysely<DB>, userId: string, password: string): Promise<boolean> {
  const u = await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
  return u ? verifyPassword(u.password_hash, password) : false;
}

/** Everything the accounts module holds about the user (undefined: no such user). */
export async function exportAccount(db: Kysely<DB>, userId: string) {
  const u = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (!u) return undefined;
  const [sessions, tokens, emails, idempotency] = await Promise.all([
    db
      .selectFrom('refresh_tokens')
      .select([
        'id',
        'family_id',
        'kind',
        'created_at',
        'expires_at',
        'rotated_at',
        'revoked_at',
        'revoked_reason',
        'user_agent',
        'ip',
      ])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('user_tokens')
      .select(['id', 'purpose', 'created_at', 'expires_at', 'used_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('email_outbox')
      .select(['id', 'template', 'status', 'created_at', 'sent_at'])
      .where('recipient', '=', u.email)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('idempotency_keys')
      .select(['scope', 'key', 'response_status', 'created_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute(),
  ]);
  return {
    user: {
      id: u.id,
      email: u.email,
      firstName: u.first_name,
      lastName: u.last_name,
      phone: u.phone,
      role: u.role,
      emailVerifiedAt: isoOrNull(u.email_verified_at),
      suspendedAt: isoOrNull(u.suspended_at),
      twoFactorEnabledAt: isoOrNull(u.totp_enabled_at),
      createdAt: isoOrNull(u.created_at),
      updatedAt: isoOrNull(u.updated_at),
    },
    sessions: sessions.map((s) => ({
      id: s.id,
      sessionId: s.family_id,
      kind: s.kind,
      createdAt: isoOrNull(s.created_at),
      expiresAt: isoOrNull(s.expires_at),
      rotatedAt: isoOrNull(s.rotated_at),
      revokedAt: isoOrNull(s.revoked_at),
      revokedReason: s.revoked_reason,
      userAgent: s.user_agent,
      ip: s.ip,
    })),
    accountTokens: tokens.map((t) => ({
      id: t.id,
      purpose: t.purpose,
      createdAt: isoOrNull(t.created_at),
      expiresAt: isoOrNull(t.expires_at),
      usedAt: isoOrNull(t.used_at),
    })),
    emails: emails.map((e) => ({
      id: e.id,
      template: e.template,
      status: e.status,
      createdAt: isoOrNull(e.created_at),
      sentAt: isoOrNull(e.sent_at),
    })),
    idempotencyKeys: idempotency.map((k) => ({
      scope: k.scope,
      key: k.key,
      responseStatus: k.response_status,
      createdAt: isoOrNull(k.created_at),
    })),
  };
}

/**
 * Erase the account in place (in the caller's transaction): anonymous name and address, no phone, an
 * unusable password, no second factor, `deleted_at` set; every session revoked (and its client details
 * dropped), one-time tokens and idempotency records deleted; the emails to them: unsent ones deleted,
 * sent ones re-addressed to the erased address with their data emptied.
 */
export async function eraseAccount(trx: Kysely<DB>, person: PersonOnRecord, now: Date): Promise<void> {
  await trx
    .updateTable('users')
    .set({
      email: erasedEmail(person.id),
      first_name: 'Deleted',
      last_name: 'user',
      phone: null,
      // Not a hash in any format argon2 reads: no password ever verifies against it.
      password_hash: `!erased:${randomToken()}`,
      totp_secret: null,
      totp_enabled_at: null,
      deleted_at: now,
      updated_at: now,
    })
    .where('id', '=', person.id)
    .execute();
  await trx
    .updateTable('refresh_tokens')
    .set({ revoked_at: now, revoked_reason: 'account_erased' })
    .where('user_id', '=', person.id)
    .where('revoked_at', 'is', null)
    .execute();
  await trx
    .updateTable('refresh_tokens')
    .set({ user_agent: null, ip: null })
    .where('user_id', '=', person.id)
    .execute();
  await trx.deleteFrom('user_tokens').where('user_id', '=', person.id).execute();
  await trx.deleteFrom('idempotency_keys').where('user_id', '=', person.id).execute();
  await trx
    .deleteFrom('email_outbox')
    .where('recipient', '=', person.email)
    .where('status', '=', 'pending')
    .execute();
  await trx
    .updateTable('email_outbox')
    .set({ recipient: erasedEmail(person.id), payload: '{}', last_error: null })
    .where('recipient', '=', person.email)
    .execute();
}

/** Emails to other people that mention the person (their name as sender, a message preview): scrubbed. */
export async function scrubOutboxMentions(trx: Kysely<DB>, mentions: Mentions): Promise<number> {
  const where = mayMention(trx, 'payload', mentions);
  if (!where) return 0;
  const rows = await trx.selectFrom('email_outbox').select(['id', 'payload']).where(where).execute();
  let n = 0;
  for (const r of rows) {
    const { value, changed } = scrubMentions(parseJson(r.payload), mentions);
    if (!changed) continue;
    await trx
      .updateTable('email_outbox')
      .set({ payload: JSON.stringify(value) })
      .where('id', '=', r.id)
      .execute();
    n++;
  }
  return n;
}
