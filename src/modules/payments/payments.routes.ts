import { Type } from 'typebox';
import * as pay from '../../flows/pay.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, idParams, problemResponses, publicSecurity, type RoostApp } from '../../platform/http.js';
import { BookingPaymentsSchema, PayBody, PaymentSchema } from './payments.schemas.js';

const IdParams = idParams('The booking id', 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d');

/** A provider's webhook event as the document shows it (the sandbox's shape; Stripe sends its own). */
const ProviderEvent = Type.Object(
  {},
  {
    additionalProperties: true,
    description: "The provider's event, as it sent it (JSON); verified byte for byte against its signature",
    examples: [
      { id: 'evt_7Hq2Lx9Tz4', type: 'payment.succeeded', data: { objectRef: 'pi_sandbox_5a8b1c3d7e9f' } },
    ],
  },
);

/** Paying for a booking and its payment history (mounted under /api/v1/bookings). */
export async function bookingPaymentsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const security = bearerSecurity;

  app.post(
    '/:id/pay',
    {
      schema: {
        tags: ['payments'],
        security,
        operationId: 'payBooking',
        summary: 'Pay for a booking',
        description:
          'Charges the booking total with a payment method of the provider (sandbox test cards: ' +
          '`pm_card_visa` succeeds, `pm_card_declined` is declined, `pm_card_async` settles later). ' +
          'Idempotent: paying again answers the payment under way or done, never a second charge. 200 ' +
          'when it succeeded, 202 while the provider settles it (poll the booking), 402 `payment_failed` ' +
          'when declined, 502 `provider_unavailable` when the provider did not answer (the payment stays ' +
          '`processing` and is settled when it does).',
        params: IdParams,
        body: PayBody,
        response: {
          200: described(PaymentSchema, 'Paid: the booking is confirmed or awaits the host'),
          202: described(PaymentSchema, 'Accepted: the provider settles the payment later (`processing`)'),
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
        operationId: 'listBookingPayments',
        summary: "List a booking's payments and refunds",
        description: 'Its guest, its host or an admin: every charge attempt and every refund, oldest first.',
        params: IdParams,
        response: {
          200: described(BookingPaymentsSchema, 'The payments and refunds'),
          ...problemResponses(401, 404),
        },
      },
    },
    async (req) => pay.listBookingPayments(ctx, requireActor(req), req.params.id),
  );
}

export async function paymentsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  // Signatures are computed over the exact bytes sent, so this scope keeps JSON bodies as raw strings.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post(
    '/webhooks/:provider',
    {
      schema: {
        tags: ['payments'],
        operationId: 'receivePaymentWebhook',
        summary: 'Receive a payment provider webhook',
        description:
          'Called by the payment provider, not by clients: the raw body is verified against the ' +
          "provider's signature header (`stripe-signature` for Stripe, `roost-signature` for the " +
          'sandbox); a bad signature is 400 `invalid_signature`. An event id seen before changes nothing (`duplicate: true`).',
        security: publicSecurity,
        params: Type.Object({
          provider: Type.Enum(['sandbox', 'stripe'], { description: 'Which provider sends the event' }),
        }),
        response: {
          200: Type.Object(
            { received: Type.Boolean(), duplicate: Type.Boolean() },
            {
              description: 'The event was verified and recorded',
              examples: [{ received: true, duplicate: false }],
            },
          ),
          ...problemResponses(400, 404),
        },
      },
      // The body is the provider's event, taken as raw text (its signature covers the exact bytes), so
      // Fastify validates no body schema: the document describes it.
      config: {
        swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: ProviderEvent }, url }),
      },
    },
    async (req) => pay.handleWebhook(ctx, req.params.provider, String(req.body ?? ''), req.headers),
  );
}
