/**
 * Reviews: a guest reviews a completed stay once, within REVIEW_WINDOW_DAYS of check-out, and may edit
 * it for REVIEW_EDIT_HOURS; the host replies once; admins hide (and unhide) with a reason. The listing's
 * rating average and count are recomputed in the same transaction as every change. The stay being
 * reviewed comes from the caller (src/flows/reviews.ts reads it from bookings); after each change the
 * flow refreshes the listing's cached pages.
 */

import { Type } from 'typebox';
import { isUniqueViolation } from '../../db/dialect.js';
import { inTransaction } from '../../db/transaction.js';
import { recordAdminAction } from '../../platform/audit.js';
import type { Actor } from '../../platform/auth.js';
import { assertRole } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { conflict, forbidden, notFound } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import * as repo from './reviews.repository.js';
import {
  type CreateReviewInput,
  ReviewCursors,
  type ReviewView,
  type UpdateReviewInput,
} from './reviews.schemas.js';

const DAY = 86_400_000;

export function toReviewView(r: repo.ReviewRow): ReviewView {
  return {
    id: r.id,
    bookingId: r.booking_id,
    propertyId: r.property_id,
    guestId: r.guest_id,
    rating: r.rating,
    cleanliness: r.cleanliness,
    accuracy: r.accuracy,
    communication: r.communication,
    location: r.location,
    checkIn: r.check_in,
    value: r.value,
    body: r.body,
    hostReply: r.host_reply,
    hostRepliedAt: r.host_replied_at ? r.host_replied_at.toISOString() : null,
    hidden: r.hidden_at !== null,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** What reviews need to know of a stay (a booking row carries at least this). */
export interface Stay {
  id: string;
  property_id: string;
  guest_id: string;
  host_id: string;
  status: string;
  check_out: string;
}

/** The completed stay the actor (its guest, or its host) may rate now; clear errors otherwise. */
function ratableStay(
  ctx: ServiceContext,
  actor: Actor,
  booking: Stay | undefined,
  as: 'guest' | 'host',
): Stay {
  const mine = booking && (as === 'guest' ? booking.guest_id : booking.host_id) === actor.userId;
  if (!booking || !mine) throw notFound('Booking');
  if (booking.status !== 'completed') {
    throw conflict('stay_not_completed', 'Only a completed stay can be reviewed');
  }
  const closes = Date.parse(`${booking.check_out}T00:00:00Z`) + ctx.config.REVIEW_WINDOW_DAYS * DAY;
  if (ctx.now().getTime() > closes) {
    throw conflict(
      'review_window_closed',
      `Reviews are open for ${ctx.config.REVIEW_WINDOW_DAYS} days after check-out`,
    );
  }
  return booking;
}

export async function createReview(
  ctx: ServiceContext,
  actor: Actor,
  stay: Stay | undefined,
  input: CreateReviewInput,
): Promise<ReviewView> {
  const booking = ratableStay(ctx, actor, stay, 'guest');
  try {
    const row = await inTransaction(ctx.db, async (trx) => {
      const created = await repo.insertReview(trx, {
        id: newId(),
        booking_id: booking.id,
        property_id: booking.property_id,
        guest_id: booking.guest_id,
        host_id: booking.host_id,
        rating: input.rating,
        cleanliness: input.cleanliness,
        accuracy: input.accuracy,
        communication: input.communication,
        location: input.location,
        check_in: input.checkIn,
        value: input.value,
        body: input.body.trim(),
        // The service clock, not the database's: the edit window is measured from here.
        created_at: ctx.now(),
        updated_at: ctx.now(),
      });
      await repo.refreshPropertyRating(trx, booking.property_id);
      return created;
    });
    return toReviewView(row);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('already_reviewed', 'This stay has already been reviewed');
    throw err;
  }
}

export async function updateReview(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  input: UpdateReviewInput,
): Promise<ReviewView> {
  const row = await inTransaction(ctx.db, async (trx) => {
    const review = await repo.lockReview(trx, id);
    if (!review || review.guest_id !== actor.userId) throw notFound('Review');
    if (
      ctx.now().getTime() - new Date(review.created_at).getTime() >
      ctx.config.REVIEW_EDIT_HOURS * 3_600_000
    ) {
      throw conflict(
        'edit_window_closed',
        `A review can be edited for ${ctx.config.REVIEW_EDIT_HOURS} hours after it is written`,
      );
    }
    const updated = await repo.updateReview(trx, id, {
      ...(input.rating !== undefined ? { rating: input.rating } : {}),
      ...(input.cleanliness !== undefined ? { cleanliness: input.cleanliness } : {}),
      ...(input.accuracy !== undefined ? { accuracy: input.accuracy } : {}),
      ...(input.communication !== undefined ? { communication: input.communication } : {}),
      ...(input.location !== undefined ? { location: input.location } : {}),
      ...(input.checkIn !== undefined ? { check_in: input.checkIn } : {}),
      ...(input.value !== undefined ? { value: input.value } : {}),
      ...(input.body !== undefined ? { body: input.body.trim() } : {}),
      updated_at: ctx.now(),
    });
    await repo.refreshPropertyRating(trx, review.property_id);
    return updated;
  });
  return toReviewView(row);
}

export async function replyToReview(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  body: string,
): Promise<ReviewView> {
  const row = await inTransaction(ctx.db, async (trx) => {
    const review = await repo.lockReview(trx, id);
    if (!review || review.hidden_at) throw notFound('Review');
    if (review.host_id !== actor.userId) throw forbidden('Only the host of this stay can reply');
    if (review.host_reply !== null) throw conflict('already_replied', 'This review already has a reply');
    return repo.updateReview(trx, id, {
      host_reply: body.trim(),
      host_replied_at: ctx.now(),
      updated_at: ctx.now(),
    });
  });
  return toReviewView(row);
}

/** Moderation: hidden reviews leave the listing's aggregate; unhiding brings them back. */
export async function setHidden(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  hidden: boolean,
  reason?: string,
): Promise<ReviewView> {
  assertRole(actor, 'admin');
  const row = await inTransaction(ctx.db, async (trx) => {
    const review = await repo.lockReview(trx, id);
    if (!review) throw notFound('Review');
    const updated = await repo.updateReview(trx, id, {
      hidden_at: hidden ? ctx.now() : null,
      hidden_reason: hidden ? (reason ?? null) : null,
      hidden_by: hidden ? actor.userId : null,
      updated_at: ctx.now(),
    });
    await repo.refreshPropertyRating(trx, review.property_id);
    await recordAdminAction(ctx, trx, actor, {
      action: hidden ? 'review.hide' : 'review.unhide',
      objectType: 'review',
      objectId: id,
      before: { hidden: review.hidden_at !== null },
      after: { hidden },
      reason: reason ?? null,
    });
    return updated;
  });
  return toReviewView(row);
}

/** A review as the moderation list shows it (the body cut to 280 characters). */
export interface AdminReviewSummary {
  id: string;
  propertyId: string;
  guestId: string;
  rating: number;
  body: string;
  hidden: boolean;
  hiddenReason: string | null;
  createdAt: string;
}

export const ADMIN_REVIEW_BODY_CHARS = 280;

export function toAdminReviewSummary(r: repo.ReviewRow): AdminReviewSummary {
  const body = r.body;
  return {
    id: r.id,
    propertyId: r.property_id,
    guestId: r.guest_id,
    rating: r.rating,
    body: body.length > ADMIN_REVIEW_BODY_CHARS ? `${body.slice(0, ADMIN_REVIEW_BODY_CHARS - 1)}…` : body,
    hidden: r.hidden_at !== null,
    hiddenReason: r.hidden_reason,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

const AdminReviewCursor = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Every review, hidden ones too, newest first, keyset-paged (admin moderation). */
export async function adminListReviews(
  ctx: ServiceContext,
  actor: Actor,
  q: {
    hidden?: boolean | undefined;
    propertyId?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  },
): Promise<{ items: AdminReviewSummary[]; nextCursor: string | null }> {
  assertRole(actor, 'admin');
  const limit = Math.min(Math.max(q.limit, 1), 100);
  const before = q.cursor ? decodeCursor<{ id: string }>(q.cursor, AdminReviewCursor).id : undefined;
  const rows = await repo.adminListReviews(ctx.db, {
    hidden: q.hidden,
    propertyId: q.propertyId,
    before,
    limit: limit + 1,
  });
  return toPage(rows, limit, toAdminReviewSummary, (r) => ({ id: r.id }));
}

/** A listing's visible reviews (whether the listing is public is the caller's to check). */
export async function listPropertyReviews(
  ctx: ServiceContext,
  propertyId: string,
  q: { sort: 'newest' | 'highest'; limit: number; cursor?: string | undefined },
) {
  const after = q.cursor
    ? decodeCursor<{ v: number | string; id: string }>(q.cursor, ReviewCursors[q.sort])
    : undefined;
  const rows = await repo.listReviews(await ctx.reads(), {
    propertyId,
    sort: q.sort,
    after,
    limit: q.limit + 1,
  });
  return toPage(rows, q.limit, toReviewView, reviewCursor(q.sort));
}

/** First pages of reviews for many listings at once (their visibility already checked by the caller). */
export async function firstReviewPages(
  ctx: ServiceContext,
  propertyIds: readonly string[],
  sort: 'newest' | 'highest',
  limit: number,
) {
  const rows = await repo.firstReviewsOf(await ctx.reads(), propertyIds, sort, limit + 1);
  return new Map([...rows].map(([id, list]) => [id, toPage(list, limit, toReviewView, reviewCursor(sort))]));
}

/** The keyset cursor of a review under a sort order. */
const reviewCursor = (sort: 'newest' | 'highest') => (r: repo.ReviewRow) => ({
  v: sort === 'newest' ? new Date(r.created_at).toISOString() : r.rating,
  id: r.id,
});

export async function rateGuest(
  ctx: ServiceContext,
  actor: Actor,
  stay: Stay | undefined,
  input: { bookingId: string; rating: number; body?: string | undefined },
) {
  const booking = ratableStay(ctx, actor, stay, 'host');
  try {
    const row = await repo.insertGuestRating(ctx.db, {
      id: newId(),
      booking_id: booking.id,
      host_id: actor.userId,
      guest_id: booking.guest_id,
      rating: input.rating,
      body: input.body?.trim() ?? null,
    });
    return toGuestRatingView(row);
  } catch (err) {
    if (isUniqueViolation(err))
      throw conflict('already_rated', 'This guest has already been rated for this stay');
    throw err;
  }
}

const toGuestRatingView = (r: repo.GuestRatingRow) => ({
  id: r.id,
  bookingId: r.booking_id,
  hostId: r.host_id,
  guestId: r.guest_id,
  rating: r.rating,
  body: r.body,
  createdAt: new Date(r.created_at).toISOString(),
});

/** Ratings a guest received from hosts: visible to hosts and admins only. */
export async function guestRatings(ctx: ServiceContext, actor: Actor, guestId: string) {
  if (actor.role === 'guest' && actor.userId !== guestId) {
    throw forbidden('Guest ratings are visible to hosts');
  }
  return (await repo.listGuestRatings(ctx.db, guestId, 100)).map(toGuestRatingView);
}
