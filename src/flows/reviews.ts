/**
 * Reviews over the stays they are about: the stay comes from bookings, the review rules are the reviews
 * module's, and every change refreshes the listing's cached pages (its rating moved) after it commits.
 */

import * as bookings from '../modules/bookings/bookings.service.js';
import * as properties from '../modules/properties/properties.service.js';
import type { CreateReviewInput, ReviewView, UpdateReviewInput } from '../modules/reviews/reviews.schemas.js';
import * as reviews from '../modules/reviews/reviews.service.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';

async function refreshed(ctx: ServiceContext, review: ReviewView): Promise<ReviewView> {
  await properties.invalidateProperty(ctx, review.propertyId);
  return review;
}

/** The guest reviews a completed stay. */
export async function createReview(ctx: ServiceContext, actor: Actor, input: CreateReviewInput) {
  const stay = await bookings.findBooking(ctx, input.bookingId);
  return refreshed(ctx, await reviews.createReview(ctx, actor, stay, input));
}

/** The host rates the guest of a completed stay. */
export async function rateGuest(
  ctx: ServiceContext,
  actor: Actor,
  input: { bookingId: string; rating: number; body?: string | undefined },
) {
  const stay = await bookings.findBooking(ctx, input.bookingId);
  return reviews.rateGuest(ctx, actor, stay, input);
}

export async function updateReview(ctx: ServiceContext, actor: Actor, id: string, input: UpdateReviewInput) {
  return refreshed(ctx, await reviews.updateReview(ctx, actor, id, input));
}

export async function replyToReview(ctx: ServiceContext, actor: Actor, id: string, body: string) {
  return refreshed(ctx, await reviews.replyToReview(ctx, actor, id, body));
}

export async function setHidden(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  hidden: boolean,
  reason?: string,
) {
  return refreshed(ctx, await reviews.setHidden(ctx, actor, id, hidden, reason));
}

/** A public listing's reviews (404 for a listing that is not listed). */
export async function listPropertyReviews(
  ctx: ServiceContext,
  propertyId: string,
  q: Parameters<typeof reviews.listPropertyReviews>[2],
) {
  await properties.assertListed(ctx, propertyId);
  return reviews.listPropertyReviews(ctx, propertyId, q);
}
