import { Type } from 'typebox';
import * as flow from '../../flows/reviews.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { problemResponses, type RoostApp } from '../../platform/http.js';
import { pageOf } from '../../platform/pagination.js';
import {
  CreateReviewBody,
  GuestRatingBody,
  GuestRatingSchema,
  HideBody,
  ReplyBody,
  ReviewSchema,
  ReviewsQuery,
  UpdateReviewBody,
} from './reviews.schemas.js';
import * as reviews from './reviews.service.js';

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Routes under /api/v1 (reviews span listings, bookings and users). */
export async function reviewsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['reviews'];
  const security = bearerSecurity;

  app.get(
    '/properties/:id/reviews',
    {
      schema: {
        tags,
        summary: "A listing's visible reviews, newest or highest first (keyset pages)",
        params: IdParams,
        querystring: ReviewsQuery,
        response: { 200: pageOf(ReviewSchema), ...problemResponses(400, 404) },
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
        summary: 'Review a completed stay (its guest, once, within the review window)',
        body: CreateReviewBody,
        response: { 201: ReviewSchema, ...problemResponses(400, 401, 404, 409) },
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
        summary: 'Edit my review (within REVIEW_EDIT_HOURS)',
        params: IdParams,
        body: UpdateReviewBody,
        response: { 200: ReviewSchema, ...problemResponses(400, 401, 404, 409) },
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
        summary: 'The host replies to a review (once)',
        params: IdParams,
        body: ReplyBody,
        response: { 200: ReviewSchema, ...problemResponses(400, 401, 403, 404, 409) },
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
        summary: 'Hide a review (moderation); it leaves the rating',
        params: IdParams,
        body: HideBody,
        response: { 200: ReviewSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (req) => flow.setHidden(ctx, requireActor(req), req.params.id, true, req.body.reason),
  );

  app.post(
    '/reviews/:id/unhide',
    {
      schema: {
        tags: ['admin'],
        security,
        summary: 'Show a hidden review again',
        params: IdParams,
        response: { 200: ReviewSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (req) => flow.setHidden(ctx, requireActor(req), req.params.id, false),
  );

  app.post(
    '/guest-ratings',
    {
      schema: {
        tags,
        security,
        summary: 'The host rates the guest of a completed stay (once)',
        body: GuestRatingBody,
        response: { 201: GuestRatingSchema, ...problemResponses(400, 401, 404, 409) },
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
        summary: 'Ratings a guest received from hosts (hosts and admins)',
        params: IdParams,
        response: { 200: Type.Array(GuestRatingSchema), ...problemResponses(401, 403) },
      },
    },
    async (req) => reviews.guestRatings(ctx, requireActor(req), req.params.id),
  );
}
