/** The admin API over reviews: the moderation list (hide and unhide live in reviews.routes.ts). */
import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import { PageQuery } from '../../platform/pagination.js';
import { REVIEW_EXAMPLE } from './reviews.schemas.js';
import { adminListReviews } from './reviews.service.js';

export const AdminReviewSummarySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    propertyId: Type.String({ format: 'uuid' }),
    guestId: Type.String({ format: 'uuid' }),
    rating: Type.Integer({ minimum: 1, maximum: 5 }),
    body: Type.String({ description: 'The text, cut to 280 characters' }),
    hidden: Type.Boolean(),
    hiddenReason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  {
    title: 'AdminReviewSummary',
    examples: [
      {
        id: REVIEW_EXAMPLE.id,
        propertyId: REVIEW_EXAMPLE.propertyId,
        guestId: REVIEW_EXAMPLE.guestId,
        rating: REVIEW_EXAMPLE.rating,
        body: REVIEW_EXAMPLE.body,
        hidden: false,
        hiddenReason: null,
        createdAt: REVIEW_EXAMPLE.createdAt,
      },
    ],
  },
);

const AdminReviewsQuery = Type.Object(
  {
    hidden: Type.Optional(
      Type.Boolean({ description: 'Only hidden (true) or only visible (false) reviews' }),
    ),
    propertyId: Type.Optional(Type.String({ format: 'uuid', description: 'Only this listing’s reviews' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export async function adminReviewsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  app.get(
    '/',
    {
      schema: {
        tags: ['admin'],
        security: bearerSecurity,
        operationId: 'adminListReviews',
        summary: 'List reviews for moderation',
        description:
          'Admin only. Every review, hidden ones too, newest first, optionally only hidden or visible ones ' +
          'or one listing’s; keyset pages. Hide and unhide with `POST /api/v1/reviews/{id}/hide|unhide`.',
        querystring: AdminReviewsQuery,
        response: {
          200: pageResponse(AdminReviewSummarySchema, 'A page of reviews'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => adminListReviews(ctx, requireActor(req), req.query),
  );
}
