import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { problemResponses, type RoostApp } from '../../platform/http.js';
import { pageOf } from '../../platform/pagination.js';
import { listAmenities } from './properties.repository.js';
import {
  CalendarDaySchema,
  CalendarQuery,
  CalendarUpdateBody,
  CreatePropertyBody,
  MyPropertiesQuery,
  PropertySchema,
  SearchQuery,
  SearchResultSchema,
  UpdatePropertyBody,
} from './properties.schemas.js';
import * as properties from './properties.service.js';

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Calendar = Type.Object({
  propertyId: Type.String(),
  from: Type.String(),
  to: Type.String(),
  days: Type.Array(CalendarDaySchema),
});

export async function propertiesRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['properties'];
  const security = bearerSecurity;

  app.get(
    '/',
    {
      schema: {
        tags,
        summary: 'Search listed homes (filters combine with AND; keyset pagination via nextCursor)',
        querystring: SearchQuery,
        response: { 200: pageOf(SearchResultSchema), ...problemResponses(400) },
      },
    },
    async (req) => properties.searchProperties(ctx, req.query),
  );

  app.get(
    '/amenities',
    {
      schema: {
        tags,
        summary: 'The amenity reference list',
        response: {
          200: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), category: Type.String() })),
        },
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
        summary: "The signed-in host's listings, newest first",
        querystring: MyPropertiesQuery,
        response: { 200: pageOf(PropertySchema), ...problemResponses(400, 401) },
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
        summary: 'Create a listing (as a draft)',
        body: CreatePropertyBody,
        response: { 201: PropertySchema, ...problemResponses(400, 401, 403) },
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
        summary: 'A listing (drafts and unlisted ones only for their host)',
        params: IdParams,
        response: { 200: PropertySchema, ...problemResponses(404) },
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
        summary: 'Change some fields of a listing',
        params: IdParams,
        body: UpdatePropertyBody,
        response: { 200: PropertySchema, ...problemResponses(400, 401, 403, 404) },
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
          summary: published ? 'List the home in search' : 'Take the home out of search',
          params: IdParams,
          response: { 200: PropertySchema, ...problemResponses(401, 403, 404, 409) },
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
        summary: 'Delete a listing (refused while stays are booked)',
        params: IdParams,
        response: { 204: { type: 'null' }, ...problemResponses(401, 403, 404, 409) },
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
        summary: 'Each night in [from, to) as available / booked / blocked, with its price',
        params: IdParams,
        querystring: CalendarQuery,
        response: { 200: Calendar, ...problemResponses(400, 404) },
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
        summary: 'Block/unblock nights [from, to] and set or clear their price',
        params: IdParams,
        body: CalendarUpdateBody,
        response: { 200: Calendar, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (req) => properties.updateCalendar(ctx, requireActor(req), req.params.id, req.body),
  );
}
