/** The admin API over listings: search every listing, see one whole, take it down and put it back. */
import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, idParams, pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import { PageQuery } from '../../platform/pagination.js';
import { CalendarSchema, PROPERTY_EXAMPLE, PropertySchema, StatusSchema } from './properties.schemas.js';
import { adminListingDetail, adminSearchListings, setListedByAdmin } from './properties.service.js';

export const LISTING_SUMMARY_EXAMPLE = {
  id: PROPERTY_EXAMPLE.id,
  title: PROPERTY_EXAMPLE.title,
  city: 'Valencia',
  countryCode: 'ES',
  hostId: PROPERTY_EXAMPLE.hostId,
  status: 'unlisted' as const,
  unlistedReason: 'Photos show a different property (reported by two guests)',
  nightlyPrice: 14_500,
  currency: 'EUR',
  createdAt: '2026-04-02T10:00:00.000Z',
};

export const AdminListingSummarySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    title: Type.String(),
    city: Type.String(),
    countryCode: Type.String(),
    hostId: Type.String({ format: 'uuid' }),
    status: StatusSchema,
    unlistedReason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why an admin took it down (null unless an admin did)',
    }),
    nightlyPrice: Type.Integer({ description: 'Minor units (cents)' }),
    currency: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'AdminListingSummary', examples: [LISTING_SUMMARY_EXAMPLE] },
);

const CALENDAR_EXAMPLE = (CalendarSchema as unknown as { examples: unknown[] }).examples[0];

const AdminListingDetailSchema = Type.Object(
  {
    listing: PropertySchema,
    unlistedReason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why an admin took it down (null unless an admin did)',
    }),
    photos: PropertySchema.properties.photos,
    calendar: CalendarSchema,
  },
  {
    title: 'AdminListingDetail',
    examples: [
      {
        listing: PROPERTY_EXAMPLE,
        unlistedReason: null,
        photos: PROPERTY_EXAMPLE.photos,
        calendar: CALENDAR_EXAMPLE,
      },
    ],
  },
);

const AdminListingsQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Part of the title or city (case-insensitive)',
        examples: ['valencia'],
      }),
    ),
    status: Type.Optional(StatusSchema),
    hostId: Type.Optional(Type.String({ format: 'uuid', description: 'Only this host’s listings' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

const UnlistBody = Type.Object(
  {
    reason: Type.String({
      minLength: 1,
      maxLength: 1000,
      pattern: '\\S',
      description: 'Why (kept on the listing and in the audit log)',
    }),
  },
  { additionalProperties: false, examples: [{ reason: 'Photos show a different property' }] },
);

const RelistBody = Type.Object(
  {
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1000, description: 'Why (kept in the audit log)' }),
    ),
  },
  { additionalProperties: false, examples: [{ reason: 'Host sent matching photos' }] },
);

const ListingIdParams = idParams('The listing id', PROPERTY_EXAMPLE.id);

export async function adminListingsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['admin'];
  const security = bearerSecurity;

  app.get(
    '/',
    {
      schema: {
        tags,
        security,
        operationId: 'adminSearchListings',
        summary: 'Search listings',
        description:
          'Admin only. Every listing that is not deleted (drafts and unlisted ones too), newest first, by ' +
          'part of the title or city, status and host; keyset pages (pass `nextCursor` as `cursor`).',
        querystring: AdminListingsQuery,
        response: {
          200: pageResponse(AdminListingSummarySchema, 'A page of listings'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => adminSearchListings(ctx, requireActor(req), req.query),
  );

  app.get(
    '/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'adminGetListing',
        summary: 'One listing, for an admin',
        description:
          'Admin only. The listing whatever its status, why an admin unlisted it, its photos and its ' +
          'calendar for the next 60 nights.',
        params: ListingIdParams,
        response: {
          200: described(AdminListingDetailSchema, 'The listing'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => adminListingDetail(ctx, requireActor(req), req.params.id),
  );

  app.post(
    '/:id/unlist',
    {
      schema: {
        tags,
        security,
        operationId: 'adminUnlistListing',
        summary: 'Take a listing down',
        description:
          'Admin only. The listing leaves search and its public page at once; its host cannot publish it ' +
          'again (409 `unlisted_by_admin`) until an admin relists it. Existing bookings are untouched. ' +
          '409 `listing_draft` for a draft, `already_unlisted` if an admin already took it down. Recorded ' +
          'in the audit log (`listing.unlist`) with the reason.',
        params: ListingIdParams,
        body: UnlistBody,
        response: {
          200: described(AdminListingSummarySchema, 'The listing, unlisted'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => setListedByAdmin(ctx, requireActor(req), req.params.id, false, req.body.reason.trim()),
  );

  app.post(
    '/:id/relist',
    {
      preValidation: async (req) => {
        req.body ??= {};
      },
      schema: {
        tags,
        security,
        operationId: 'adminRelistListing',
        summary: 'Put a listing back',
        description:
          'Admin only. Relists a listing an admin took down. 409 `already_listed`, `listing_draft`, ' +
          '`unlisted_by_host` (its host unlisted it: theirs to publish) or `listing_incomplete`. ' +
          'Recorded in the audit log (`listing.relist`) with the optional reason.',
        params: ListingIdParams,
        body: RelistBody,
        response: {
          200: described(AdminListingSummarySchema, 'The listing, listed again'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => setListedByAdmin(ctx, requireActor(req), req.params.id, true, req.body.reason),
  );
}
