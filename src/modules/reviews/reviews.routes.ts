import { Type } from 'typebox';
import * as flow from '../../flows/reviews.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import {
  described,
  idParams,
  pageResponse,
  problemResponses,
  publicSecurity,
  type RoostApp,
} from '../../platform/http.js';
import {
  CreateReviewBody,
  GUEST_RATING_EXAMPLE,
  GuestRatingBody,
  GuestRatingSchema,
  HideBody,
  REVIEW_EXAMPLE,
  ReplyBody,
  ReviewSchema,
  ReviewsQuery,
  UnhideBody,
  UpdateReviewBody,
} from './reviews.schemas.js';
import * as reviews from './reviews.service.js';

const PropertyIdParams = idParams('The listing id', REVIEW_EXAMPLE.propertyId);
const ReviewIdParams = idParams('The review id', REVIEW_EXAMPLE.id);
const UserIdParams = idParams('The guest (user) id', REVIEW_EXAMPLE.guestId);
const GuestRatings = Type.Array(GuestRatingSchema, {
  description: 'The ratings, newest first',
  examples: [[GUEST_RATING_EXAMPLE]],
});

/** Routes under /api/v1 (reviews span listings, bookings and users). */
export async function reviewsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['reviews'];
  const security = bearerSecurity;

  app.get(
    '/properties/:id/reviews',
    {
      schema: {
        tags,
        operationId: 'listPropertyReviews',
        summary: "List a listing's reviews",
        description:
          'The visible reviews of a listing (hidden ones left out), newest or highest rated first; keyset ' +
          'pages (pass `nextCursor` as `cursor`).',
        security: publicSecurity,
        params: PropertyIdParams,
        querystring: ReviewsQuery,
        response: { 200: pageResponse(ReviewSchema, 'A page of reviews'), ...problemResponses(400, 404) },
      },
    },
    async (req) => flow.listPropertyReviews(ctx, req.params.id, req.query),
  );

  app.post(
    '/reviews',
    {
      schema: {
        tags,
        security,
        operationId: 'createReview',
        summary: 'Review a stay',
        description:
          'The guest of a completed stay reviews it, once, within REVIEW_WINDOW_DAYS (14 by default) of ' +
          "check-out: an overall rating, six sub-ratings (1–5) and a text. It counts in the listing's " +
          'rating at once. 409 `stay_not_completed`, `already_reviewed` or `review_window_closed`.',
        body: CreateReviewBody,
        response: { 201: described(ReviewSchema, 'The review'), ...problemResponses(400, 401, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await flow.createReview(ctx, requireActor(req), req.body)),
  );

  app.patch(
    '/reviews/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'updateReview',
        summary: 'Edit my review',
        description:
          'Its author changes the given fields within REVIEW_EDIT_HOURS (48 by default) of writing it ' +
          "(409 `edit_window_closed` after that); the listing's rating follows.",
        params: ReviewIdParams,
        body: UpdateReviewBody,
        response: {
          200: described(ReviewSchema, 'The edited review'),
          ...problemResponses(400, 401, 404, 409),
        },
      },
    },
    async (req) => flow.updateReview(ctx, requireActor(req), req.params.id, req.body),
  );

  app.post(
    '/reviews/:id/reply',
    {
      schema: {
        tags,
        security,
        operationId: 'replyToReview',
        summary: 'Reply to a review',
        description: 'The host of the listing answers a review publicly, once (409 `already_replied`).',
        params: ReviewIdParams,
        body: ReplyBody,
        response: {
          200: described(ReviewSchema, 'The review with its reply'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => flow.replyToReview(ctx, requireActor(req), req.params.id, req.body.body),
  );

  app.post(
    '/reviews/:id/hide',
    {
      schema: {
        tags: ['admin'],
        security,
        operationId: 'hideReview',
        summary: 'Hide a review',
        description:
          'Admin only (moderation): the review disappears from the listing and leaves its rating. The ' +
          'reason is recorded.',
        params: ReviewIdParams,
        body: HideBody,
        response: {
          200: described(ReviewSchema, 'The hidden review'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => flow.setHidden(ctx, requireActor(req), req.params.id, true, req.body.reason),
  );

  app.post(
    '/reviews/:id/unhide',
    {
      // The reason is optional: a bodiless POST validates as `{}`.
      preValidation: async (req) => {
        req.body ??= {};
      },
      schema: {
        tags: ['admin'],
        security,
        operationId: 'unhideReview',
        summary: 'Show a hidden review again',
        description:
          'Admin only: the review is visible again and counts in the rating. The optional reason goes ' +
          'to the audit log.',
        params: ReviewIdParams,
        body: UnhideBody,
        response: {
          200: described(ReviewSchema, 'The visible review'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => flow.setHidden(ctx, requireActor(req), req.params.id, false, req.body.reason),
  );

  app.post(
    '/guest-ratings',
    {
      schema: {
        tags,
        security,
        operationId: 'rateGuest',
        summary: 'Rate a guest',
        description:
          'The host of a completed stay rates its guest (1–5, optional text), once (409 `already_rated`). ' +
          'Hosts and admins can read them (`GET /api/v1/users/{id}/guest-ratings`).',
        body: GuestRatingBody,
        response: {
          201: described(GuestRatingSchema, 'The rating'),
          ...problemResponses(400, 401, 404, 409),
        },
      },
    },
    async (req, reply) => reply.code(201).send(await flow.rateGuest(ctx, requireActor(req), req.body)),
  );

  app.get(
    '/users/:id/guest-ratings',
    {
      schema: {
        tags,
        security,
        operationId: 'listGuestRatings',
        summary: "List a guest's ratings",
        description:
          'The ratings a guest received from hosts, newest first: for hosts, admins and the guest ' +
          'themselves (403 for other guests).',
        params: UserIdParams,
        response: { 200: GuestRatings, ...problemResponses(401, 403) },
      },
    },
    async (req) => reviews.guestRatings(ctx, requireActor(req), req.params.id),
  );
}
