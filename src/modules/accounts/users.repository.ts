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
