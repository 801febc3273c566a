import type { Kysely, Selectable } from 'kysely';
import { insertReturning, updateReturning } from '../../db/dialect.js';
import type { DB, Role } from '../../db/schema/index.js';
import type { UsersTable } from '../../db/schema/users.js';

export type UserRow = Selectable<UsersTable>;

export function findUserById(db: Kysely<DB>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function firstNamesOf(db: Kysely<DB>, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'first_name']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.first_name]));
}

export function findUserByEmail(db: Kysely<DB>, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function insertUser(
  db: Kysely<DB>,
  user: Pick<UserRow, 'id' | 'email' | 'password_hash' | 'first_name' | 'last_name' | 'phone'> & {
    role?: Role | undefined;
  },
): Promise<UserRow> {
  return insertReturning(db, 'users', { ...user, role: user.role ?? 'guest' });
}

export async function updateUser(
  db: Kysely<DB>,
  id: string,
  patch: Partial<
    Pick<
      UserRow,
      'first_name' | 'last_name' | 'phone' | 'role' | 'password_hash' | 'email_verified_at' | 'suspended_at'
    >
  >,
): Promise<UserRow | undefined> {
  const [row] = await updateReturning(db, 'users', (eb) => eb('id', '=', id), {
    ...patch,
    updated_at: new Date(),
  });
  return row;
}

export interface ListUsersQuery {
  role?: Role | undefined;
  emailContains?: string | undefined;
  /** Keyset cursor: the id of the last user on the previous page (ids are time-ordered UUIDv7). */
  after?: string | undefined;
  limit: number;
}

export function listUsers(db: Kysely<DB>, q: ListUsersQuery): Promise<UserRow[]> {
  let query = db.selectFrom('users').selectAll().orderBy('id').limit(q.limit);
  if (q.role) query = query.where('role', '=', q.role);
  if (q.emailContains) query = query.where('email', 'like', `%${escapeLike(q.emailContains.toLowerCase())}%`);
  if (q.after) query = query.where('id', '>', q.after);
  return query.execute();
}

/** Escape LIKE wildcards so user input matches literally. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Many users in one query (GraphQL loaders). */
export function findUsersByIds(db: Kysely<DB>, ids: readonly string[]): Promise<UserRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('users')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute();
}

export interface AdminUserQuery {
  /** Part of the email address or of the first or last name (case-insensitive, matched literally). */
  text?: string | undefined;
  role?: Role | undefined;
  status?: 'active' | 'suspended' | 'deleted' | undefined;
  /** Keyset: users strictly older than this id (ids are time-ordered UUIDv7). */
  before?: string | undefined;
  limit: number;
}

/** Admin search over users, newest first. */
export function searchUsers(db: Kysely<DB>, q: AdminUserQuery): Promise<UserRow[]> {
  let query = db.selectFrom('users').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.text) {
    const pattern = `%${escapeLike(q.text.toLowerCase())}%`;
    query = query.where((eb) =>
      eb.or([
        eb('email', 'like', pattern),
        eb(eb.fn('lower', ['first_name']), 'like', pattern),
        eb(eb.fn('lower', ['last_name']), 'like', pattern),
      ]),
    );
  }
  if (q.role) query = query.where('role', '=', q.role);
  if (q.status === 'deleted') query = query.where('deleted_at', 'is not', null);
  else if (q.status) {
    query = query
      .where('deleted_at', 'is', null)
      .where('suspended_at', q.status === 'suspended' ? 'is not' : 'is', null);
  }
  if (q.before) query = query.where('id', '<', q.before);
  return query.execute();
}
