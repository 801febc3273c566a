/**
 * The reviews module's part of the privacy tools (src/flows/privacy.ts): reviews and guest ratings a
 * person wrote or received, for their data export; and erasing the text they wrote. Star ratings stay
 * (listings' averages and counts keep adding up; a rating alone says nothing about who gave it).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { isoOrNull } from '../../platform/instants.js';
import { ERASED_TEXT } from '../../platform/personal-data.js';

const dates = <T extends { created_at: Date; updated_at?: Date }>(r: T) => ({
  ...r,
  created_at: isoOrNull(r.created_at),
  ...('updated_at' in r ? { updated_at: isoOrNull(r.updated_at ?? null) } : {}),
});

export async function exportReviews(db: Kysely<DB>, userId: string) {
  const reviews = (col: 'guest_id' | 'host_id') =>
    db
      .selectFrom('reviews')
      .selectAll()
      .where(col, '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  const ratings = (col: 'guest_id' | 'host_id') =>
    db
      .selectFrom('guest_ratings')
      .selectAll()
      .where(col, '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  const [written, received, ratingsGiven, ratingsReceived] = await Promise.all([
    reviews('guest_id'),
    reviews('host_id'),
    ratings('host_id'),
    ratings('guest_id'),
  ]);
  const review = (r: (typeof written)[number]) => ({
    ...dates(r),
    host_replied_at: isoOrNull(r.host_replied_at),
    hidden_at: isoOrNull(r.hidden_at),
  });
  return {
    written: written.map(review),
    received: received.map(review),
    guestRatingsGiven: ratingsGiven.map(dates),
    guestRatingsReceived: ratingsReceived.map(dates),
  };
}

/**
 * In the caller's transaction: the text of reviews they wrote and of their replies as host becomes
 * "[deleted]"; guest ratings they gave or received lose their text. Ratings stay.
 */
export async function eraseReviewTexts(trx: Kysely<DB>, userId: string, now: Date): Promise<void> {
  await trx
    .updateTable('reviews')
    .set({ body: ERASED_TEXT, updated_at: now })
    .where('guest_id', '=', userId)
    .execute();
  await trx
    .updateTable('reviews')
    .set({ host_reply: ERASED_TEXT, updated_at: now })
    .where('host_id', '=', userId)
    .where('host_reply', 'is not', null)
    .execute();
  await trx
    .updateTable('guest_ratings')
    .set({ body: null })
    .where((eb) => eb.or([eb('guest_id', '=', userId), eb('host_id', '=', userId)]))
    .where('body', 'is not', null)
    .execute();
}
