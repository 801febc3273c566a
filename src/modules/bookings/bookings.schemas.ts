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
  discountPct: 0,
  discount: 0,
  extraGuestFees: 0,
  cleaningFee: 3500,
  serviceFee: 5340,
  taxLines: [
    { name: 'IVA', kind: 'percent' as const, rateBps: 1000, amount: 4450 },
    { name: 'Tourist tax', kind: 'per_night' as const, rateBps: null, amount: 600 },
  ],
  taxes: 5050,
  total: 54890,
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

export const TaxLineSchema = Type.Object(
  {
    name: Type.String({ description: 'As the jurisdiction names it' }),
    kind: Type.Enum(['percent', 'per_night']),
    rateBps: Type.Union([Type.Integer(), Type.Null()], {
      description: 'A percentage tax: its rate in basis points of the accommodation',
    }),
    amount: Money,
  },
  { title: 'TaxLine' },
);

/**
 * The price of a stay, night by night, as a quote and a booking both carry it. The accommodation is
 * nightsSubtotal − discount + extraGuestFees + cleaningFee; total = accommodation + serviceFee + taxes.
 */
const PriceFields = {
  currency: Type.String(),
  nights: Type.Integer(),
  nightly: Type.Array(Night, {
    description: 'Each night: its calendar override, else the weekend (Fri, Sat) or nightly price',
  }),
  nightsSubtotal: Money,
  discountPct: Type.Integer({
    minimum: 0,
    maximum: 90,
    description: 'The length-of-stay discount applied: weekly (7+ nights) or monthly (28+), 0 if none',
  }),
  discount: Type.Integer({ minimum: 0, description: 'Taken off the nights (minor units)' }),
  extraGuestFees: Type.Integer({
    minimum: 0,
    description: 'Guests above those the price includes × the extra-guest fee × nights',
  }),
  cleaningFee: Money,
  serviceFee: Type.Integer({ minimum: 0, description: "The guest's service fee (added to the total)" }),
  taxLines: Type.Array(TaxLineSchema, { description: "Each tax of the listing's jurisdiction, by name" }),
  taxes: Type.Integer({ minimum: 0, description: 'The sum of taxLines' }),
  total: Type.Integer({ minimum: 0, description: 'What the guest pays' }),
};

export const QuoteSchema = Type.Object(
  {
    propertyId: Type.String(),
    checkIn: DateOnly,
    checkOut: DateOnly,
    guests: Type.Integer(),
    ...PriceFields,
    hostFee: Type.Integer({
      minimum: 0,
      description: "The host's service fee: deducted from their payout, not paid by the guest",
    }),
    hostPayout: Type.Integer({ minimum: 0, description: 'What the host earns: accommodation − hostFee' }),
  },
  { title: 'Quote', examples: [{ ...STAY_EXAMPLE, ...PRICE_EXAMPLE, hostFee: 1335, hostPayout: 43165 }] },
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
