import { Type } from 'typebox';
import * as book from '../../flows/book.js';
import * as cancel from '../../flows/cancel.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import {
  described,
  pageResponse,
  problemResponses,
  publicSecurity,
  type RoostApp,
} from '../../platform/http.js';
import { parseIdempotencyKey } from '../../platform/idempotency.js';
import {
  BOOKING_EXAMPLE,
  BookingDetailSchema,
  BookingSchema,
  CreateBookingBody,
  ListBookingsQuery,
  QuoteSchema,
  ReasonBody,
  StayBody,
} from './bookings.schemas.js';
import * as bookings from './bookings.service.js';

const IdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The booking id', examples: [BOOKING_EXAMPLE.id] }),
});
/** The reason body is optional: a bodiless POST validates as `{}`. */
const optionalBody = async (req: { body: unknown }) => {
  req.body ??= {};
};
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      maxLength: 255,
      description:
        'Makes the request safe to retry: a replay with the same key (and the same body) answers the first ' +
        'response, marked `idempotent-replayed: true`; the same key with another body is 422',
      examples: ['3c9f6a1e-7b2d-4e8f-9a0c-1d2e3f4a5b6c'],
    }),
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
        operationId: 'quoteStay',
        summary: 'Price a stay',
        description:
          'Prices the stay night by night (nightly overrides included) with the cleaning fee, service fee ' +
          'and taxes, without reserving anything. 400 `invalid_dates` / `stay_too_long` / ' +
          '`too_many_guests` for a stay the listing does not take, 409 `dates_unavailable` when a night is ' +
          'booked or blocked.',
        security: publicSecurity,
        body: StayBody,
        response: {
          200: described(QuoteSchema, 'The price of the stay'),
          ...problemResponses(400, 404, 409),
        },
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
        operationId: 'createBooking',
        summary: 'Book a stay',
        description:
          'Reserves the nights at the quoted price. The booking is `pending_payment` and holds the nights ' +
          'until `holdExpiresAt` (pay with `POST /api/v1/bookings/{id}/pay`); unpaid, it expires. Paid, an ' +
          'instant-book listing confirms it, another waits for the host (`awaiting_host`). 409 ' +
          '`dates_unavailable` when someone else holds a night. Send an `Idempotency-Key` to retry safely.',
        headers: IdempotencyHeaders,
        body: CreateBookingBody,
        response: {
          201: described(BookingSchema, 'The booking, holding the nights until `holdExpiresAt`'),
          ...problemResponses(400, 401, 403, 404, 409, 422),
        },
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
        operationId: 'listBookings',
        summary: 'List my trips or the bookings of my listings',
        description:
          "`as=guest` (default): the caller's trips. `as=host`: bookings of the caller's listings " +
          '(hosts), optionally of one listing. Filter by `when`; keyset pages (pass `nextCursor` as `cursor`).',
        querystring: ListBookingsQuery,
        response: {
          200: pageResponse(BookingSchema, 'A page of bookings'),
          ...problemResponses(400, 401, 403),
        },
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
        operationId: 'getBooking',
        summary: 'Get a booking',
        description:
          'The booking with its status history. Only its guest, its host or an admin see it (404 for ' +
          'anyone else).',
        params: IdParams,
        response: {
          200: described(BookingDetailSchema, 'The booking and its history'),
          ...problemResponses(401, 404),
        },
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
        operationId: 'cancelBooking',
        summary: 'Cancel a booking',
        description:
          "The guest cancels (refunded per the listing's cancellation policy: flexible, moderate or " +
          'strict) or the host cancels (the guest is refunded in full). The refund is started at once and ' +
          'shows in `GET /api/v1/bookings/{id}/payments`. The body is optional. 409 `illegal_transition` ' +
          'for a booking that can no longer be cancelled.',
        params: IdParams,
        body: ReasonBody,
        response: {
          200: described(BookingSchema, 'The cancelled booking (`refundedAmount` set)'),
          ...problemResponses(400, 401, 404, 409),
        },
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
          operationId: accept ? 'acceptBooking' : 'declineBooking',
          summary: accept ? 'Accept a request to book' : 'Decline a request to book',
          description: accept
            ? 'The host confirms a paid booking that is `awaiting_host` (a listing without instant book). ' +
              'The body is optional.'
            : 'The host declines a booking that is `awaiting_host`; the guest is refunded in full. The ' +
              'body is optional; its reason is shown to the guest.',
          params: IdParams,
          body: ReasonBody,
          response: {
            200: described(BookingSchema, accept ? 'The confirmed booking' : 'The declined booking'),
            ...problemResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (req) => cancel.respondToRequest(ctx, requireActor(req), req.params.id, accept, req.body.reason),
    );
  }
}
