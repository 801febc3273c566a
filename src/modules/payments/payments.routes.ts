import { Type } from 'typebox';
import * as pay from '../../flows/pay.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { problemResponses, type RoostApp } from '../../platform/http.js';
import { BookingPaymentsSchema, PayBody, PaymentSchema } from './payments.schemas.js';

const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Paying for a booking and its payment history (mounted under /api/v1/bookings). */
export async function bookingPaymentsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const security = bearerSecurity;

  app.post(
    '/:id/pay',
    {
      schema: {
        tags: ['payments'],
        security,
        summary: 'Pay for a booking (idempotent: paying again returns the payment under way or done)',
        params: IdParams,
        body: PayBody,
        response: {
          200: PaymentSchema,
          202: PaymentSchema,
          ...problemResponses(400, 401, 402, 404, 409, 502),
        },
      },
    },
    async (req, reply) => {
      const { status, payment } = await pay.payBooking(ctx, requireActor(req), req.params.id, req.body);
      return reply.code(status === 200 ? 200 : 202).send(payment);
    },
  );

  app.get(
    '/:id/payments',
    {
      schema: {
        tags: ['payments'],
        security,
        summary: 'Payments and refunds of a booking',
        params: IdParams,
        response: { 200: BookingPaymentsSchema, ...problemResponses(401, 404) },
      },
    },
    async (req) => pay.listBookingPayments(ctx, requireActor(req), req.params.id),
  );
}

export async function paymentsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  // Signatures are computed over the exact bytes sent, so this scope keeps JSON bodies as raw strings.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post(
    '/webhooks/:provider',
    {
      schema: {
        tags: ['payments'],
        summary: 'Provider webhooks (signature-verified; a repeated event id changes nothing)',
        params: Type.Object({ provider: Type.Enum(['sandbox', 'stripe']) }),
        response: {
          200: Type.Object({ received: Type.Boolean(), duplicate: Type.Boolean() }),
          ...problemResponses(400, 404),
        },
      },
    },
    async (req) => pay.handleWebhook(ctx, req.params.provider, String(req.body ?? ''), req.headers),
  );
}
