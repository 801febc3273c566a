import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import {
  described,
  noContent,
  optionalBearerSecurity,
  pageResponse,
  problemResponses,
  publicSecurity,
  type RoostApp,
} from '../../platform/http.js';
import { listAmenities } from './properties.repository.js';
import {
  CalendarQuery,
  CalendarSchema,
  CalendarUpdateBody,
  CreatePropertyBody,
  MyPropertiesQuery,
  PROPERTY_EXAMPLE,
  PropertySchema,
  SearchQuery,
  SearchResultSchema,
  UpdatePropertyBody,
} from './properties.schemas.js';
import * as properties from './properties.service.js';
import { MAX_CHECKIN_DETAILS } from './properties.service.js';

const IdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The listing id', examples: [PROPERTY_EXAMPLE.id] }),
});
const Amenities = Type.Array(
  Type.Object({ code: Type.String(), name: Type.String(), category: Type.String() }),
  {
    description: 'Every amenity a listing may have',
    examples: [
      [
        { code: 'wifi', name: 'Wi-Fi', category: 'essentials' },
        { code: 'pool', name: 'Pool', category: 'features' },
        { code: 'balcony', name: 'Balcony', category: 'outdoor' },
      ],
    ],
  },
);

const CHECKIN_DETAILS_EXAMPLE = {
  propertyId: '7c2e4a10-3b8f-4d6e-a1c5-9f0b2d4e6a8c',
  details: 'Door code 4921#. Wi-Fi: loft12 / terrace-sun. Keys in the box by the door.',
};
const CheckInDetailsSchema = Type.Object(
  {
    propertyId: Type.String({ format: 'uuid' }),
    details: Type.Union([Type.String(), Type.Null()]),
  },
  { examples: [CHECKIN_DETAILS_EXAMPLE] },
);
const CheckInDetailsBody = Type.Object(
  { details: Type.Union([Type.String({ maxLength: MAX_CHECKIN_DETAILS }), Type.Null()]) },
  { additionalProperties: false, examples: [{ details: CHECKIN_DETAILS_EXAMPLE.details }] },
);

export async function propertiesRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['properties'];
  const security = bearerSecurity;

  app.get(
    '/',
    {
      schema: {
        tags,
        operationId: 'searchProperties',
        summary: 'Search homes',
        description:
          'Listed homes matching every filter given: place (city, country, a map `bbox`, or a centre ' +
          '`lat`/`lng` with `radiusKm`), dates (`checkIn` and `checkOut`: only homes free for the whole ' +
          'stay, each result priced for it in `stay`), guests, nightly price, type, amenities, instant ' +
          'book and free text `q`. Keyset pages: pass `nextCursor` as `cursor` with the same filters.',
        security: publicSecurity,
        querystring: SearchQuery,
        response: {
          200: pageResponse(SearchResultSchema, 'A page of matching homes'),
          ...problemResponses(400),
        },
      },
    },
    async (req) => properties.searchProperties(ctx, req.query),
  );

  app.get(
    '/amenities',
    {
      schema: {
        tags,
        operationId: 'listAmenities',
        summary: 'List amenities',
        description:
          'The amenity codes listings use (`amenities` of a listing, the `amenities` search filter).',
        security: publicSecurity,
        response: { 200: Amenities },
      },
    },
    async () => listAmenities(ctx.db),
  );

  app.get(
    '/mine',
    {
      schema: {
        tags,
        security,
        operationId: 'listMyProperties',
        summary: 'List my listings',
        description: "The signed-in host's listings in every status (draft, listed, unlisted), newest first.",
        querystring: MyPropertiesQuery,
        response: { 200: pageResponse(PropertySchema, 'A page of listings'), ...problemResponses(400, 401) },
      },
    },
    async (req) => properties.listMyProperties(ctx, requireActor(req), req.query),
  );

  app.post(
    '/',
    {
      schema: {
        tags,
        security,
        operationId: 'createProperty',
        summary: 'Create a listing',
        description:
          'Hosts only (403 otherwise; see `POST /api/v1/users/me/become-host`). The listing starts as a ' +
          '`draft`: add photos, then publish it. Unknown amenity codes are 400.',
        body: CreatePropertyBody,
        response: {
          201: described(PropertySchema, 'The new draft listing'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await properties.createProperty(ctx, requireActor(req), req.body)),
  );

  app.get(
    '/:id',
    {
      schema: {
        tags,
        operationId: 'getProperty',
        summary: 'Get a listing',
        description:
          'A listed home, for anyone. Drafts and unlisted homes only for their host (with a token) and ' +
          'admins; 404 for anyone else.',
        security: optionalBearerSecurity,
        params: IdParams,
        response: { 200: described(PropertySchema, 'The listing'), ...problemResponses(404) },
      },
    },
    async (req) => properties.getProperty(ctx, req.actor, req.params.id),
  );

  app.patch(
    '/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'updateProperty',
        summary: 'Update a listing',
        description:
          'Its host changes the given fields only (at least one). A new price applies to bookings made ' +
          'from now on; existing bookings keep theirs.',
        params: IdParams,
        body: UpdatePropertyBody,
        response: {
          200: described(PropertySchema, 'The updated listing'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => properties.updateProperty(ctx, requireActor(req), req.params.id, req.body),
  );

  for (const [path, published] of [
    ['publish', true],
    ['unpublish', false],
  ] as const) {
    app.post(
      `/:id/${path}`,
      {
        schema: {
          tags,
          security,
          operationId: published ? 'publishProperty' : 'unpublishProperty',
          summary: published ? 'Publish a listing' : 'Unpublish a listing',
          description: published
            ? 'Its host lists the home: it shows in search and can be booked. 409 `listing_incomplete` ' +
              'when a field needed to publish is missing (listed in `errors`).'
            : 'Its host takes the home out of search; bookings already made stay.',
          params: IdParams,
          response: {
            200: described(PropertySchema, published ? 'The listing, listed' : 'The listing, unlisted'),
            ...problemResponses(401, 403, 404, 409),
          },
        },
      },
      async (req) => properties.setPublished(ctx, requireActor(req), req.params.id, published),
    );
  }

  app.delete(
    '/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'deleteProperty',
        summary: 'Delete a listing',
        description:
          'Its host deletes the listing: it leaves search and cannot be booked. Refused with 409 ' +
          '`has_future_bookings` while stays are booked or under way.',
        params: IdParams,
        response: { 204: noContent('Deleted'), ...problemResponses(401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await properties.deleteProperty(ctx, requireActor(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:id/calendar',
    {
      schema: {
        tags,
        operationId: 'getPropertyCalendar',
        summary: "Get a listing's calendar",
        description:
          'Each night in [from, to) as `available`, `booked` or `blocked`, with its price (at most 366 ' +
          'nights). Public for listed homes; drafts and unlisted ones only for their host.',
        security: optionalBearerSecurity,
        params: IdParams,
        querystring: CalendarQuery,
        response: {
          200: described(CalendarSchema, 'The nights of the range'),
          ...problemResponses(400, 404),
        },
      },
    },
    async (req) => properties.getCalendar(ctx, req.actor, req.params.id, req.query.from, req.query.to),
  );

  app.put(
    '/:id/calendar',
    {
      schema: {
        tags,
        security,
        operationId: 'updatePropertyCalendar',
        summary: "Update a listing's calendar",
        description:
          'Its host blocks or unblocks the nights [from, to] (inclusive) and/or sets their price (`null` ' +
          'clears the override). The answer covers [from, to + 1 day), like GET.',
        params: IdParams,
        body: CalendarUpdateBody,
        response: {
          200: described(CalendarSchema, 'The nights of the range, as updated'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => properties.updateCalendar(ctx, requireActor(req), req.params.id, req.body),
  );

  app.get(
    '/:id/check-in-details',
    {
      schema: {
        tags,
        security,
        operationId: 'getCheckInDetails',
        summary: "Get a listing's private check-in details",
        description:
          'The host’s own (admins too; 403 for others): shown to a guest only once their stay is confirmed ' +
          '(`GET /api/v1/bookings/{id}/arrival`), never in the public listing.',
        params: IdParams,
        response: {
          200: described(CheckInDetailsSchema, 'The details'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => properties.getCheckInDetails(ctx, requireActor(req), req.params.id),
  );

  app.put(
    '/:id/check-in-details',
    {
      schema: {
        tags,
        security,
        operationId: 'setCheckInDetails',
        summary: "Set a listing's private check-in details",
        description:
          'Address line, door code, Wi-Fi … (up to 2000 characters; null or blank removes them). Guests with a ' +
          'confirmed stay see them, and are notified when their stay is confirmed.',
        params: IdParams,
        body: CheckInDetailsBody,
        response: {
          200: described(CheckInDetailsSchema, 'The details'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => properties.setCheckInDetails(ctx, requireActor(req), req.params.id, req.body.details),
  );
}
