/**
 * The notifications module's part of the privacy tools (src/flows/privacy.ts): a person's feed and
 * email preferences, for their data export; erasing them; and scrubbing mentions of an erased person
 * (their first name as a message's sender, their messages' previews) from other people's feeds.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { isoOrNull } from '../../platform/instants.js';
import { type Mentions, mayMention, parseJson, scrubMentions } from '../../platform/personal-data.js';

export async function exportNotifications(db: Kysely<DB>, userId: string) {
  const [items, preferences] = await Promise.all([
    db
      .selectFrom('notifications')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db.selectFrom('notification_preferences').selectAll().where('user_id', '=', userId).execute(),
  ]);
  return {
    notifications: items.map((n) => ({
      id: n.id,
      category: n.category,
      type: n.type,
      data: parseJson(n.data),
      createdAt: isoOrNull(n.created_at),
      updatedAt: isoOrNull(n.updated_at),
      readAt: isoOrNull(n.read_at),
    })),
    notificationPreferences: preferences.map((p) => ({
      category: p.category,
      email: Boolean(p.email),
      updatedAt: isoOrNull(p.updated_at),
    })),
  };
}

/** In the caller's transaction: the user's feed and preferences are deleted. */
export async function eraseNotifications(trx: Kysely<DB>, userId: string): Promise<void> {
  await trx.deleteFrom('notifications').where('user_id', '=', userId).execute();
  await trx.deleteFrom('notification_preferences').where('user_id', '=', userId).execute();
}

/** Other people's notifications that mention the erased person: the mentions replaced. */
export async function scrubNotificationMentions(trx: Kysely<DB>, mentions: Mentions): Promise<number> {
  const where = mayMention(trx, 'data', mentions);
  if (!where) return 0;
  const rows = await trx.selectFrom('notifications').select(['id', 'data']).where(where).execute();
  let n = 0;
  for (const r of rows) {
    const { value, changed } = scrubMentions(parseJson(r.data), mentions);
    if (!changed) continue;
    await trx
      .updateTable('notifications')
      .set({ data: JSON.stringify(value) })
      .where('id', '=', r.id)
      .execute();
    n++;
  }
  return n;
}
