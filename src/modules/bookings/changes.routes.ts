/** Booking changes (mounted under /api/v1/bookings): src/flows/change-booking.ts. */
import { Type } from 'typebox';
import * as change from '../../flows/change-booking.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, problemResponses, type RoostApp } from '../../platform/http.js';
import { BOOKING_EXAMPLE } from './bookings.schemas.js';
import {
  ChangeBody,
  ChangeIdParams,
  ChangeListSchema,
  ChangePayBody,
  ChangePaymentSchema,
  ChangeQuoteSchema,
  ChangeSchema,
  DecideBody,
} from './changes.schemas.js';

const IdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The booking id', examples: [BOOKING_EXAMPLE.id] }),
});
/** The reason body is optional: a bodiless POST validates as `{}`. */
const optionalBody = async (req: { body: unknown }) => {
  req.body ??= {};
};

export async function bookingChangesRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['bookings'];
  const security = bearerSecurity;

  app.post(
    '/:id/changes',
    {
      schema: {
        tags,
        security,
        operationId: 'requestBookingChange',
        summary: 'Ask to change a stay (dates, guests)',
        description:
          "The booking's guest asks for other dates and/or another guest count (omitted fields keep the " +
          "booking's). `preview: true` only prices the new stay (200, `BookingChangeQuote`). Otherwise the " +
          'change is recorded (201): `requested` for the host to answer; on an instant-book listing it is ' +
          'accepted at once — `applied` when it costs the same or less (the difference is refunded), ' +
          '`awaiting_payment` when it costs more (pay it with `POST …/changes/{changeId}/pay`). Only ' +
          'confirmed stays not yet begun change. 400 `invalid_dates` / `stay_too_short` / `stay_too_long` / ' +
          '`too_many_guests` / `same_stay`; 403 for the host; 404 for anyone else; 409 `dates_unavailable`, ' +
          '`change_pending` (one open change per booking), `not_changeable`, `stay_started`, ' +
          '`payout_released`, `booking_refunded`.',
        params: IdParams,
        body: ChangeBody,
        response: {
          200: described(ChangeQuoteSchema, 'The preview: the new stay priced, nothing recorded'),
          201: described(ChangeSchema, 'The change as recorded (or already applied)'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const result = await change.requestChange(ctx, requireActor(req), req.params.id, req.body);
      return result.status === 200 ? reply.code(200).send(result.quote) : reply.code(201).send(result.change);
    },
  );

  app.get(
    '/:id/changes',
    {
      schema: {
        tags,
        security,
        operationId: 'listBookingChanges',
        summary: "List a booking's changes",
        description:
          "Newest first (at most 100). The booking's guest, its host or an admin; 404 for anyone else.",
        params: IdParams,
        response: {
          200: described(ChangeListSchema, 'The changes'),
          ...problemResponses(401, 404),
        },
      },
    },
    async (req) => change.listChanges(ctx, requireActor(req), req.params.id),
  );

  for (const [path, accept] of [
    ['accept', true],
    ['decline', false],
  ] as const) {
    app.post(
      `/:id/changes/:changeId/${path}`,
      {
        preValidation: optionalBody,
        schema: {
          tags,
          security,
          operationId: accept ? 'acceptBookingChange' : 'declineBookingChange',
          summary: accept ? 'Accept a requested change' : 'Decline a requested change',
          description: accept
            ? 'The host (or an admin, audited) accepts: the new stay is priced again now; costing the same ' +
              'or less it applies at once (the difference refunded), costing more it waits for the guest to ' +
              'pay the new total (`awaiting_payment`). 409 `dates_unavailable` when a new night was taken.'
            : "The host (or an admin, audited) declines; the reason is shown to the guest. The booking's " +
              'stay is unchanged.',
          params: ChangeIdParams,
          body: DecideBody,
          response: {
            200: described(ChangeSchema, accept ? 'The accepted change' : 'The declined change'),
            ...problemResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (req) =>
        accept
          ? change.acceptChange(ctx, requireActor(req), req.params.id, req.params.changeId, req.body.reason)
          : change.declineChange(ctx, requireActor(req), req.params.id, req.params.changeId, req.body.reason),
    );
  }

  app.post(
    '/:id/changes/:changeId/withdraw',
    {
      schema: {
        tags,
        security,
        operationId: 'withdrawBookingChange',
        summary: 'Withdraw a change',
        description:
          'The guest withdraws a change that is `requested` or `awaiting_payment` (409 while its payment ' +
          'is under way: `change_payment_under_way`).',
        params: ChangeIdParams,
        response: {
          200: described(ChangeSchema, 'The withdrawn change'),
          ...problemResponses(401, 403, 404, 409),
        },
      },
    },
    async (req) => change.withdrawChange(ctx, requireActor(req), req.params.id, req.params.changeId),
  );

  app.post(
    '/:id/changes/:changeId/pay',
    {
      schema: {
        tags: ['bookings', 'payments'],
        security,
        operationId: 'payBookingChange',
        summary: 'Pay an accepted, dearer change',
        description:
          'The guest pays the NEW TOTAL as a new payment; once it succeeds the change applies and the ' +
          'previous payment is refunded in full (net: the difference). If the nights were taken meanwhile ' +
          'the change is `failed` and this payment is refunded in full. Idempotent like paying a booking. ' +
          '200 succeeded, 202 settling (poll the changes), 402 `payment_failed` (the change keeps waiting), ' +
          '502 `provider_unavailable`.',
        params: ChangeIdParams,
        body: ChangePayBody,
        response: {
          200: described(ChangePaymentSchema, 'Paid: the change and its payment'),
          202: described(ChangePaymentSchema, 'Accepted: the provider settles the payment later'),
          ...problemResponses(400, 401, 402, 403, 404, 409, 502),
        },
      },
    },
    async (req, reply) => {
      const result = await change.payChange(
        ctx,
        requireActor(req),
        req.params.id,
        req.params.changeId,
        req.body,
      );
      return reply
        .code(result.status === 200 ? 200 : 202)
        .send({ change: result.change, payment: result.payment });
    },
  );
}
