import { type Static, Type } from 'typebox';
import { DateOnly } from '../../platform/schemas.js';
import { BOOKING_STATUSES } from './state.js';

export { DateOnly };

const Money = Type.Integer({ minimum: 0, description: 'Minor units of `currency`' });

/** The stay the examples of this module describe: 3 nights, 2 guests, EUR, service fee 12 %. */
const STAY_EXAMPLE = {
  propertyId: '7c2e4a10-3b8f-4d6e-a1c5-9f0b2d4e6a8c',
  checkIn: '2026-07-10',
  checkOut: '2026-07-13',
  guests: 2,
};
const PRICE_EXAMPLE = {
  currency: 'EUR',
  nights: 3,
  nightly: [
    { date: '2026-07-10', price: 12000 },
    { date: '2026-07-11', price: 14500 },
    { date: '2026-07-12', price: 14500 },
  ],
  nightsSubtotal: 41000,
  cleaningFee: 3500,
  serviceFee: 5340,
  taxes: 0,
  total: 49840,
};
export const BOOKING_EXAMPLE = {
  id: 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d',
  ...STAY_EXAMPLE,
  guestId: 'b3e1c9a2-5f4d-4c7e-9a1b-2d3e4f5a6b7c',
  hostId: '0d9f8e7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b',
  status: 'pending_payment' as const,
  ...PRICE_EXAMPLE,
  refundedAmount: 0,
  cancellationPolicy: 'moderate' as const,
  holdExpiresAt: '2026-05-02T10:15:00.000Z',
  requestExpiresAt: null,
  message: 'Hi! We are two, arriving around 18:00 by train.',
  createdAt: '2026-05-02T10:00:00.000Z',
};
const Night = Type.Object({ date: DateOnly, price: Money });

export const StayBody = Type.Object(
  {
    propertyId: Type.String({ format: 'uuid' }),
    checkIn: DateOnly,
    checkOut: DateOnly,
    guests: Type.Integer({ minimum: 1, maximum: 50 }),
  },
  { additionalProperties: false, examples: [STAY_EXAMPLE] },
);

export const CreateBookingBody = Type.Object(
  {
    ...StayBody.properties,
    message: Type.Optional(Type.String({ maxLength: 2000, description: 'A note to the host' })),
  },
  {
    additionalProperties: false,
    examples: [{ ...STAY_EXAMPLE, message: 'Hi! We are two, arriving around 18:00 by train.' }],
  },
);

/** The price of a stay, night by night, as a quote and a booking both carry it. */
const PriceFields = {
  currency: Type.String(),
  nights: Type.Integer(),
  nightly: Type.Array(Night),
  nightsSubtotal: Money,
  cleaningFee: Money,
  serviceFee: Money,
  taxes: Money,
  total: Money,
};

export const QuoteSchema = Type.Object(
  {
    propertyId: Type.String(),
    checkIn: DateOnly,
    checkOut: DateOnly,
    guests: Type.Integer(),
    ...PriceFields,
  },
  { title: 'Quote', examples: [{ ...STAY_EXAMPLE, ...PRICE_EXAMPLE }] },
);
export type QuoteView = Static<typeof QuoteSchema>;

export const BookingSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    propertyId: Type.String({ format: 'uuid' }),
    guestId: Type.String({ format: 'uuid' }),
    hostId: Type.String({ format: 'uuid' }),
    checkIn: DateOnly,
    checkOut: DateOnly,
    guests: Type.Integer(),
    status: Type.Enum([...BOOKING_STATUSES]),
    ...PriceFields,
    refundedAmount: Money,
    cancellationPolicy: Type.Enum(['flexible', 'moderate', 'strict']),
    holdExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    requestExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description:
        'While the booking awaits the host: when the request expires unanswered (refunded in full)',
    }),
    message: Type.Union([Type.String(), Type.Null()], {
      description: "The guest's note to the host, as written when booking (null: none)",
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Booking', examples: [BOOKING_EXAMPLE] },
);
export type BookingView = Static<typeof BookingSchema>;

export const BookingDetailSchema = Type.Object(
  {
    ...BookingSchema.properties,
    events: Type.Array(
      Type.Object({
        from: Type.Union([Type.String(), Type.Null()]),
        to: Type.String(),
        actorId: Type.Union([Type.String(), Type.Null()]),
        reason: Type.Union([Type.String(), Type.Null()]),
        at: Type.String({ format: 'date-time' }),
      }),
      { description: 'Status changes, oldest first' },
    ),
  },
  {
    title: 'BookingDetail',
    examples: [
      {
        ...BOOKING_EXAMPLE,
        events: [
          {
            from: null,
            to: 'pending_payment',
            actorId: BOOKING_EXAMPLE.guestId,
            reason: null,
            at: '2026-05-02T10:00:00.000Z',
          },
        ],
      },
    ],
  },
);

export const ListBookingsQuery = Type.Object(
  {
    as: Type.Enum(['guest', 'host'], {
      default: 'guest',
      description: 'My trips (guest) or bookings of my listings (host)',
    }),
    when: Type.Optional(
      Type.Enum(['upcoming', 'past'], {
        description:
          'upcoming: checking out after today (soonest first); past: checked out (most recent first)',
      }),
    ),
    propertyId: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'Only bookings of this listing (as=host)',
        examples: [STAY_EXAMPLE.propertyId],
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' }),
    cursor: Type.Optional(
      Type.String({ maxLength: 512, description: 'The `nextCursor` of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

export const ReasonBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500, description: 'Shown to the other party' })) },
  { additionalProperties: false, examples: [{ reason: 'Our flight was cancelled' }] },
);

export const BookingCursor = Type.Object({ checkIn: DateOnly, id: Type.String({ format: 'uuid' }) });
