import type { ColumnType, Generated } from 'kysely';

export type Role = 'guest' | 'host' | 'admin';
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  role: Role;
  email_verified_at: Date | null;
  /** Set while an admin has suspended the account. */
  suspended_at: Generated<Date | null>;
  /** Set when the account was erased: the row stays (bookings, money), anonymized. */
  deleted_at: Generated<Date | null>;
  /** An admin's TOTP secret, sealed (src/platform/crypto.ts); enabled once `totp_enabled_at` is set. */
  totp_secret: Generated<string | null>;
  totp_enabled_at: Generated<Date | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RefreshTokensTable {
  id: string;
  user_id: string;
  /** Every token minted by rotation from one login shares a family. */
  family_id: string;
  token_hash: string;
  expires_at: Date;
  created_at: Timestamp;
  rotated_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  /** `api`: a refresh-token family; `console`: an operator console cookie session. */
  kind: Generated<'api' | 'console'>;
  user_agent: string | null;
  ip: string | null;
}

export type UserTokenPurpose = 'verify_email' | 'reset_password';

export interface UserTokensTable {
  id: string;
  user_id: string;
  purpose: UserTokenPurpose;
  token_hash: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: Timestamp;
}

export interface EmailOutboxTable {
  id: string;
  recipient: string;
  template: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  status: Generated<'pending' | 'sent' | 'failed'>;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: Date | null;
  /** When a sender claimed it (sending happens outside any transaction, between claim and sent). */
  claimed_at: Generated<Date | null>;
  dedupe_key: Generated<string | null>;
}
