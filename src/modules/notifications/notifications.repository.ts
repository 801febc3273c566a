/** Notification rows and email preferences. */
import type { Kysely, Selectable } from 'kysely';
import { insertUnlessExists, upsert } from '../../db/dialect.js';
import type { DB } from '../../db/schema/index.js';

export type NotificationRow = Selectable<DB['notifications']>;

/** Insert; false (nothing written) when a row with this id exists (a `once` notification, see the service). */
export function insertNotification(
  db: Kysely<DB>,
  row: {
    id: string;
    user_id: string;
    category: string;
    type: string;
    data: Record<string, unknown>;
    group_key: string | null;
    created_at: Date;
  },
) {
  return insertUnlessExists(db, 'notifications', {
    ...row,
    data: JSON.stringify(row.data),
    updated_at: row.created_at,
  });
}

/** The user's latest notification of a group (e.g. one thread's new messages), locked for an update. */
export function lockLatestInGroup(db: Kysely<DB>, userId: string, groupKey: string) {
  return db
    .selectFrom('notifications')
    .selectAll()
    .where('user_id', '=', userId)
    .where('group_key', '=', groupKey)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
}

export function updateData(db: Kysely<DB>, id: string, data: Record<string, unknown>, at: Date) {
  return db
    .updateTable('notifications')
    .set({ data: JSON.stringify(data), updated_at: at })
    .where('id', '=', id)
    .execute();
}

export function findNotification(db: Kysely<DB>, id: string) {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Newest first, keyset on (created_at, id). */
export function listNotifications(
  db: Kysely<DB>,
  q: { userId: string; unreadOnly: boolean; after?: { at: string; id: string } | undefined; limit: number },
) {
  let query = db
    .selectFrom('notifications')
    .selectAll()
    .where('user_id', '=', q.userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit);
  if (q.unreadOnly) query = query.where('read_at', 'is', null);
  if (q.after) {
    const at = new Date(q.after.at);
    const id = q.after.id;
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]),
    );
  }
  return query.execute();
}

export async function countUnread(db: Kysely<DB>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Mark the user's unread notifications read (these ids, or all); returns how many changed. */
export async function markRead(
  db: Kysely<DB>,
  userId: string,
  ids: readonly string[] | undefined,
  at: Date,
): Promise<number> {
  let query = db
    .updateTable('notifications')
    .set({ read_at: at })
    .where('user_id', '=', userId)
    .where('read_at', 'is', null);
  if (ids) {
    if (ids.length === 0) return 0;
    query = query.where('id', 'in', ids);
  }
  const r = await query.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Mark the user's unread notifications of a group read (they read the thread). */
export async function markGroupRead(db: Kysely<DB>, userId: string, groupKey: string, at: Date) {
  await db
    .updateTable('notifications')
    .set({ read_at: at })
    .where('user_id', '=', userId)
    .where('group_key', '=', groupKey)
    .where('read_at', 'is', null)
    .execute();
}

export async function emailPreferences(db: Kysely<DB>, userId: string): Promise<Map<string, boolean>> {
  const rows = await db
    .selectFrom('notification_preferences')
    .select(['category', 'email'])
    .where('user_id', '=', userId)
    .execute();
  return new Map(rows.map((r) => [r.category, Boolean(r.email)]));
}

export async function emailPreference(db: Kysely<DB>, userId: string, category: string) {
  const row = await db
    .selectFrom('notification_preferences')
    .select('email')
    .where('user_id', '=', userId)
    .where('category', '=', category)
    .executeTakeFirst();
  return row ? Boolean(row.email) : undefined;
}

export async function saveEmailPreferences(
  db: Kysely<DB>,
  userId: string,
  prefs: { category: string; email: boolean }[],
  at: Date,
) {
  if (prefs.length === 0) return;
  await upsert(
    db,
    'notification_preferences',
    prefs.map((p) => ({ user_id: userId, category: p.category, email: p.email, updated_at: at })),
    ['user_id', 'category'],
    ['email', 'updated_at'],
  );
}
