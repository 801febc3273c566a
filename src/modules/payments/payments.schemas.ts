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
  { additionalProperties: false },
);

export const PaymentSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  bookingId: Type.String({ format: 'uuid' }),
  provider: Type.String(),
  amount: Type.Integer(),
  currency: Type.String(),
  status: Type.Enum(['requires_payment', 'processing', 'succeeded', 'failed']),
  failureReason: Type.Union([Type.String(), Type.Null()]),
  refundedAmount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type PaymentView = Static<typeof PaymentSchema>;

export const BookingPaymentsSchema = Type.Object({
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
});
