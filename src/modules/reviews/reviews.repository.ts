import { type Kysely, type Selectable, sql } from 'kysely';
import { insertReturning, updateByIdReturning } from '../../db/dialect.js';
import type { DB } from '../../db/schema/index.js';
import type { GuestRatingsTable, ReviewsTable } from '../../db/schema/reviews.js';

export type ReviewRow = Selectable<ReviewsTable>;
export type GuestRatingRow = Selectable<GuestRatingsTable>;

export function insertReview(
  db: Kysely<DB>,
  row: Omit<ReviewRow, 'host_reply' | 'host_replied_at' | 'hidden_at' | 'hidden_reason' | 'hidden_by'>,
) {
  return insertReturning(db, 'reviews', row);
}

export function findReview(db: Kysely<DB>, id: string): Promise<ReviewRow | undefined> {
  return db.selectFrom('reviews').selectAll().where('id', '=', id).executeTakeFirst();
}

export function lockReview(db: Kysely<DB>, id: string): Promise<ReviewRow | undefined> {
  return db.selectFrom('reviews').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateReview(
  db: Kysely<DB>,
  id: string,
  patch: Partial<Omit<ReviewRow, 'id' | 'booking_id'>>,
): Promise<ReviewRow> {
  return updateByIdReturning(db, 'reviews', id, patch);
}

/**
 * Recompute a listing's rating from its visible reviews, under a lock on the listing row, so
 * concurrent review changes serialize and the stored aggregate never drifts from the rows.
 */
export async function refreshPropertyRating(db: Kysely<DB>, propertyId: string): Promise<void> {
  await db.selectFrom('properties').select('id').where('id', '=', propertyId).forUpdate().execute();
  const agg = await db
    .selectFrom('reviews')
    .select([sql<string | null>`cast(avg(rating) as decimal(3,2))`.as('avg'), sql<string>`count(*)`.as('n')])
    .where('property_id', '=', propertyId)
    .where('hidden_at', 'is', null)
    .executeTakeFirstOrThrow();
  await db
    .updateTable('properties')
    .set({ rating_avg: Number(agg.avg ?? 0), rating_count: Number(agg.n) })
    .where('id', '=', propertyId)
    .execute();
}

export interface ReviewPageQuery {
  propertyId: string;
  sort: 'newest' | 'highest';
  after?: { v: number | string; id: string } | undefined;
  limit: number;
}

/** Visible reviews of a listing, keyset-paged: newest first, or highest rating first. */
export function listReviews(db: Kysely<DB>, q: ReviewPageQuery): Promise<ReviewRow[]> {
  let query = db
    .selectFrom('reviews')
    .selectAll()
    .where('property_id', '=', q.propertyId)
    .where('hidden_at', 'is', null);
  if (q.sort === 'newest') {
    if (q.after) {
      const at = new Date(String(q.after.v));
      const id = q.after.id;
      query = query.where((eb) =>
        eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]),
      );
    }
    query = query.orderBy('created_at', 'desc').orderBy('id', 'desc');
  } else {
    if (q.after) {
      const r = Number(q.after.v);
      const id = q.after.id;
      query = query.where((eb) =>
        eb.or([eb('rating', '<', r), eb.and([eb('rating', '=', r), eb('id', '<', id)])]),
      );
    }
    query = query.orderBy('rating', 'desc').orderBy('id', 'desc');
  }
  return query.limit(q.limit).execute();
}

/** Visible review counts for many listings in one query. */
export async function reviewCounts(
  db: Kysely<DB>,
  propertyIds: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>(propertyIds.map((id) => [id, 0]));
  if (propertyIds.length === 0) return out;
  const rows = await db
    .selectFrom('reviews')
    .select(['property_id', sql<string>`count(*)`.as('n')])
    .where('property_id', 'in', [...propertyIds])
    .where('hidden_at', 'is', null)
    .groupBy('property_id')
    .execute();
  for (const r of rows) out.set(r.property_id, Number(r.n));
  return out;
}

export function insertGuestRating(db: Kysely<DB>, row: Omit<GuestRatingRow, 'created_at'>) {
  return insertReturning(db, 'guest_ratings', row);
}

export function listGuestRatings(db: Kysely<DB>, guestId: string, limit: number) {
  return db
    .selectFrom('guest_ratings')
    .selectAll()
    .where('guest_id', '=', guestId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

/** The first `limit` visible reviews of each of many listings, in one query (GraphQL loaders). */
export async function firstReviewsOf(
  db: Kysely<DB>,
  propertyIds: readonly string[],
  sort: 'newest' | 'highest',
  limit: number,
): Promise<Map<string, ReviewRow[]>> {
  const out = new Map<string, ReviewRow[]>(propertyIds.map((id) => [id, []]));
  if (propertyIds.length === 0) return out;
  const order = sort === 'newest' ? sql`created_at desc, id desc` : sql`rating desc, id desc`;
  const rows = await sql<ReviewRow & { rn: number }>`
    select * from (
      select r.*, row_number() over (partition by property_id order by ${order}) as rn
      from reviews r
      where property_id in (${sql.join([...propertyIds])}) and hidden_at is null
    ) ranked
    where rn <= ${limit}
    order by property_id, rn`.execute(db);
  for (const r of rows.rows) out.get(r.property_id)?.push(r);
  return out;
}

export interface AdminReviewQuery {
  hidden?: boolean | undefined;
  propertyId?: string | undefined;
  /** Keyset: reviews strictly older than this id (UUIDv7). */
  before?: string | undefined;
  limit: number;
}

/** Every review (hidden ones too), newest first: the moderation list. */
export function adminListReviews(db: Kysely<DB>, q: AdminReviewQuery): Promise<ReviewRow[]> {
  let query = db.selectFrom('reviews').selectAll().orderBy('id', 'desc').limit(q.limit);
  if (q.hidden !== undefined) query = query.where('hidden_at', q.hidden ? 'is not' : 'is', null);
  if (q.propertyId) query = query.where('property_id', '=', q.propertyId);
  if (q.before) query = query.where('id', '<', q.before);
  return query.execute();
}
