import { type Static, Type } from 'typebox';
import { DateOnly } from '../../platform/schemas.js';
import { BOOKING_STATUSES } from './state.js';

export { DateOnly };

const Money = Type.Integer({ minimum: 0, description: 'Minor units of `currency`' });
const Night = Type.Object({ date: DateOnly, price: Money });

export const StayBody = Type.Object(
  {
    propertyId: Type.String({ format: 'uuid' }),
    checkIn: DateOnly,
    checkOut: DateOnly,
    guests: Type.Integer({ minimum: 1, maximum: 50 }),
  },
  { additionalProperties: false },
);

export const CreateBookingBody = Type.Object(
  {
    ...StayBody.properties,
    message: Type.Optional(Type.String({ maxLength: 2000, description: 'A note to the host' })),
  },
  { additionalProperties: false },
);

export const QuoteSchema = Type.Object({
  propertyId: Type.String(),
  checkIn: DateOnly,
  checkOut: DateOnly,
  guests: Type.Integer(),
  currency: Type.String(),
  nights: Type.Integer(),
  nightly: Type.Array(Night),
  nightsSubtotal: Money,
  cleaningFee: Money,
  serviceFee: Money,
  taxes: Money,
  total: Money,
});
export type QuoteView = Static<typeof QuoteSchema>;

export const BookingSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  propertyId: Type.String({ format: 'uuid' }),
  guestId: Type.String({ format: 'uuid' }),
  hostId: Type.String({ format: 'uuid' }),
  checkIn: DateOnly,
  checkOut: DateOnly,
  guests: Type.Integer(),
  status: Type.Enum([...BOOKING_STATUSES]),
  currency: Type.String(),
  nights: Type.Integer(),
  nightly: Type.Array(Night),
  nightsSubtotal: Money,
  cleaningFee: Money,
  serviceFee: Money,
  taxes: Money,
  total: Money,
  refundedAmount: Money,
  cancellationPolicy: Type.Enum(['flexible', 'moderate', 'strict']),
  holdExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type BookingView = Static<typeof BookingSchema>;

export const BookingDetailSchema = Type.Object({
  ...BookingSchema.properties,
  events: Type.Array(
    Type.Object({
      from: Type.Union([Type.String(), Type.Null()]),
      to: Type.String(),
      actorId: Type.Union([Type.String(), Type.Null()]),
      reason: Type.Union([Type.String(), Type.Null()]),
      at: Type.String({ format: 'date-time' }),
    }),
  ),
});

export const ListBookingsQuery = Type.Object(
  {
    as: Type.Enum(['guest', 'host'], {
      default: 'guest',
      description: 'My trips (guest) or bookings of my listings (host)',
    }),
    when: Type.Optional(Type.Enum(['upcoming', 'past'])),
    propertyId: Type.Optional(Type.String({ format: 'uuid' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const ReasonBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

export const BookingCursor = Type.Object({ checkIn: DateOnly, id: Type.String({ format: 'uuid' }) });
