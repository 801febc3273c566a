/** The Kysely database type: one interface per table, grouped by domain. */
import type { EmailOutboxTable, RefreshTokensTable, UsersTable, UserTokensTable } from './users.js';

export type { Role, UserTokenPurpose } from './users.js';

export interface DB {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  user_tokens: UserTokensTable;
  email_outbox: EmailOutboxTable;
}
