/** Booking changes: a guest asks to move a confirmed stay (dates, guests); the host answers. */
import { type Static, Type } from 'typebox';
import { DateOnly } from './bookings.schemas.js';

const Money = Type.Integer({ minimum: 0, description: 'Minor units of `currency`' });
const Signed = Type.Integer({ description: 'Signed minor units of `currency`' });

export const CHANGE_STATUSES = [
  'requested',
  'awaiting_payment',
  'applied',
  'declined',
  'withdrawn',
  'failed',
] as const;

const ID_EXAMPLE = {
  id: 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d',
  changeId: '0193c5b2-7a1e-7c3d-9e4f-5a6b7c8d9e0f',
};

export const ChangeIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The booking id', examples: [ID_EXAMPLE.id] }),
  changeId: Type.String({ format: 'uuid', description: 'The change id', examples: [ID_EXAMPLE.changeId] }),
});

export const ChangeBody = Type.Object(
  {
    checkIn: Type.Optional(DateOnly),
    checkOut: Type.Optional(DateOnly),
    guests: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    preview: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'true: only price the new stay (200, nothing is recorded or changed)',
      }),
    ),
    message: Type.Optional(Type.String({ maxLength: 500, description: 'A note to the host' })),
  },
  {
    additionalProperties: false,
    examples: [{ checkIn: '2026-07-10', checkOut: '2026-07-12', guests: 2 }],
  },
);
export type ChangeInput = Static<typeof ChangeBody>;

export const DecideBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500, description: 'Shown to the guest' })) },
  { additionalProperties: false, examples: [{ reason: 'We have a family visit that week' }] },
);

const Stay = Type.Object({
  checkIn: DateOnly,
  checkOut: DateOnly,
  guests: Type.Integer(),
  total: Money,
});

const STAY_FROM = { checkIn: '2026-07-10', checkOut: '2026-07-13', guests: 2, total: 49840 };
const STAY_TO = { checkIn: '2026-07-10', checkOut: '2026-07-12', guests: 2, total: 34160 };

export const ChangeQuoteSchema = Type.Object(
  {
    bookingId: Type.String({ format: 'uuid' }),
    currency: Type.String(),
    from: Stay,
    to: Type.Object({
      ...Stay.properties,
      nights: Type.Integer(),
      nightsSubtotal: Money,
      cleaningFee: Money,
      serviceFee: Money,
      taxes: Money,
    }),
    difference: Type.Integer({
      description: 'to.total − from.total: > 0 the guest pays it, < 0 it is refunded to the guest',
    }),
    instantBook: Type.Boolean({ description: 'true: the change applies at once, without the host' }),
  },
  {
    title: 'BookingChangeQuote',
    examples: [
      {
        bookingId: ID_EXAMPLE.id,
        currency: 'EUR',
        from: STAY_FROM,
        to: {
          ...STAY_TO,
          nights: 2,
          nightsSubtotal: 26500,
          cleaningFee: 3500,
          serviceFee: 3600,
          taxes: 0,
          total: 33600,
        },
        difference: -16240,
        instantBook: false,
      },
    ],
  },
);
export type ChangeQuoteView = Static<typeof ChangeQuoteSchema>;

const CHANGE_EXAMPLE = {
  id: ID_EXAMPLE.changeId,
  bookingId: ID_EXAMPLE.id,
  status: 'requested' as const,
  requestedBy: 'b3e1c9a2-5f4d-4c7e-9a1b-2d3e4f5a6b7c',
  currency: 'EUR',
  from: STAY_FROM,
  to: STAY_TO,
  difference: -15680,
  paymentId: null,
  refundId: null,
  decidedBy: null,
  decidedAt: null,
  appliedAt: null,
  reason: null,
  createdAt: '2026-05-20T09:00:00.000Z',
};

export const ChangeSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    bookingId: Type.String({ format: 'uuid' }),
    status: Type.Enum([...CHANGE_STATUSES], {
      description:
        'requested (the host decides), awaiting_payment (accepted, dearer: the guest pays the new total), ' +
        'applied, declined, withdrawn, failed (paid, but the nights were taken meanwhile: refunded)',
    }),
    requestedBy: Type.String({ format: 'uuid' }),
    currency: Type.String(),
    from: Stay,
    to: Stay,
    difference: Signed,
    paymentId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    refundId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    decidedBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    decidedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    appliedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  {
    title: 'BookingChange',
    examples: [CHANGE_EXAMPLE],
  },
);
export type ChangeView = Static<typeof ChangeSchema>;

export const ChangeListSchema = Type.Object(
  { items: Type.Array(ChangeSchema) },
  { title: 'BookingChangeList', examples: [{ items: [CHANGE_EXAMPLE] }] },
);

/** How the guest pays a dearer change (the payments module's PayBody; modules keep their own schemas). */
export const ChangePayBody = Type.Object(
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

/** The change's payment (the fields of the payments module's Payment). */
const ChangePaymentFields = Type.Object({
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

export const ChangePaymentSchema = Type.Object(
  { change: ChangeSchema, payment: ChangePaymentFields },
  {
    title: 'BookingChangePayment',
    examples: [
      {
        change: {
          ...CHANGE_EXAMPLE,
          status: 'applied',
          difference: 9960,
          to: { ...STAY_TO, checkOut: '2026-07-14', total: 59800 },
        },
        payment: {
          id: '5a8b1c3d-7e9f-4a2b-8c4d-6e0f1a3b5c7e',
          bookingId: ID_EXAMPLE.id,
          provider: 'sandbox',
          amount: 59800,
          currency: 'EUR',
          status: 'succeeded',
          failureReason: null,
          refundedAmount: 0,
          createdAt: '2026-05-21T10:03:12.000Z',
        },
      },
    ],
  },
);
