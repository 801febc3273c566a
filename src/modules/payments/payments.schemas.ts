import { type Static, Type } from 'typebox';

export const PayBody = Type.Object(
  {
    paymentMethod: Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Provider payment-method token; sandbox test cards: pm_card_visa, pm_card_declined, pm_card_async',
    }),
  },
  { additionalProperties: false, examples: [{ paymentMethod: 'pm_card_visa' }] },
);

const PAYMENT_EXAMPLE = {
  id: '5a8b1c3d-7e9f-4a2b-8c4d-6e0f1a3b5c7d',
  bookingId: 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d',
  provider: 'sandbox',
  amount: 49840,
  currency: 'EUR',
  status: 'succeeded' as const,
  failureReason: null,
  refundedAmount: 0,
  createdAt: '2026-05-02T10:03:12.000Z',
};

export const PaymentSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    bookingId: Type.String({ format: 'uuid' }),
    provider: Type.String(),
    amount: Type.Integer(),
    currency: Type.String(),
    status: Type.Enum(['requires_payment', 'processing', 'succeeded', 'failed']),
    failureReason: Type.Union([Type.String(), Type.Null()]),
    refundedAmount: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Payment', examples: [PAYMENT_EXAMPLE] },
);
export type PaymentView = Static<typeof PaymentSchema>;

export const BookingPaymentsSchema = Type.Object(
  {
    payments: Type.Array(PaymentSchema),
    refunds: Type.Array(
      Type.Object({
        id: Type.String(),
        amount: Type.Integer(),
        currency: Type.String(),
        status: Type.Enum(['pending', 'succeeded', 'failed'], {
          description: 'pending until the provider confirms the money moved back',
        }),
        reason: Type.String(),
        failureReason: Type.Union([Type.String(), Type.Null()], {
          description: "the provider's reason when it refused the refund",
        }),
        createdAt: Type.String({ format: 'date-time' }),
      }),
    ),
  },
  {
    title: 'BookingPayments',
    examples: [
      {
        payments: [{ ...PAYMENT_EXAMPLE, refundedAmount: 49840 }],
        refunds: [
          {
            id: '8d2e4f6a-0b1c-4d3e-9f5a-7b8c9d0e1f2a',
            amount: 49840,
            currency: 'EUR',
            status: 'succeeded',
            reason: 'cancelled_by_guest',
            failureReason: null,
            createdAt: '2026-06-20T16:45:00.000Z',
          },
        ],
      },
    ],
  },
);
