import { Type } from 'typebox';
import * as book from '../../flows/book.js';
import * as cancel from '../../flows/cancel.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { problemResponses, type RoostApp } from '../../platform/http.js';
import { parseIdempotencyKey } from '../../platform/idempotency.js';
import { pageOf } from '../../platform/pagination.js';
import {
  BookingDetailSchema,
  BookingSchema,
  CreateBookingBody,
  ListBookingsQuery,
  QuoteSchema,
  ReasonBody,
  StayBody,
} from './bookings.schemas.js';
import * as bookings from './bookings.service.js';

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
/** The reason body is optional: a bodiless POST validates as `{}`. */
const optionalBody = async (req: { body: unknown }) => {
  req.body ??= {};
};
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ maxLength: 255, description: 'Replays of the same key return the first response' }),
  ),
});

export async function bookingsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['bookings'];
  const security = bearerSecurity;

  app.post(
    '/quote',
    {
      schema: {
        tags,
        summary: 'Price a stay night by night (no reservation is made)',
        body: StayBody,
        response: { 200: QuoteSchema, ...problemResponses(400, 404, 409) },
      },
    },
    async (req) => book.quote(ctx, req.body),
  );

  app.post(
    '/',
    {
      schema: {
        tags,
        security,
        summary: 'Reserve a stay; the nights are held unpaid for BOOKING_HOLD_MINUTES',
        headers: IdempotencyHeaders,
        body: CreateBookingBody,
        response: { 201: BookingSchema, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (req, reply) => {
      const key = parseIdempotencyKey(req.headers['idempotency-key'], false);
      const result = await book.createBooking(ctx, requireActor(req), req.body, key);
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(result.body);
    },
  );

  app.get(
    '/',
    {
      schema: {
        tags,
        security,
        summary: 'My trips (as=guest) or the bookings of my listings (as=host)',
        querystring: ListBookingsQuery,
        response: { 200: pageOf(BookingSchema), ...problemResponses(400, 401, 403) },
      },
    },
    async (req) => bookings.listBookings(ctx, requireActor(req), req.query),
  );

  app.get(
    '/:id',
    {
      schema: {
        tags,
        security,
        summary: 'One booking with its history (its guest, its host or an admin)',
        params: IdParams,
        response: { 200: BookingDetailSchema, ...problemResponses(401, 404) },
      },
    },
    async (req) => bookings.getBooking(ctx, requireActor(req), req.params.id),
  );

  app.post(
    '/:id/cancel',
    {
      preValidation: optionalBody,
      schema: {
        tags,
        security,
        summary: "Cancel (guest: refund per the listing's policy; host: full refund)",
        params: IdParams,
        body: ReasonBody,
        response: { 200: BookingSchema, ...problemResponses(401, 404, 409) },
      },
    },
    async (req) => cancel.cancelBooking(ctx, requireActor(req), req.params.id, req.body.reason),
  );

  for (const [path, accept] of [
    ['accept', true],
    ['decline', false],
  ] as const) {
    app.post(
      `/:id/${path}`,
      {
        preValidation: optionalBody,
        schema: {
          tags,
          security,
          summary: `The host ${path}s a request to book (declining refunds in full)`,
          params: IdParams,
          body: ReasonBody,
          response: { 200: BookingSchema, ...problemResponses(401, 403, 404, 409) },
        },
      },
      async (req) => cancel.respondToRequest(ctx, requireActor(req), req.params.id, accept, req.body.reason),
    );
  }
}
