/** Schemas of the admin bookings API (src/modules/bookings/admin-bookings.routes.ts). */
import { Type } from 'typebox';
import { PageQuery } from '../../platform/pagination.js';
import { DateOnly } from '../../platform/schemas.js';
import { BOOKING_EXAMPLE, BookingSchema } from './bookings.schemas.js';
import { BOOKING_STATUSES } from './state.js';

const Uuid = (description: string) => Type.String({ format: 'uuid', description });
const Money = Type.Integer({ minimum: 0, description: 'Minor units of `currency`' });

export const AdminBookingSearchQuery = Type.Object(
  {
    id: Type.Optional(Uuid('This booking only')),
    guestId: Type.Optional(Uuid("The guest's user id")),
    guestEmail: Type.Optional(
      Type.String({ format: 'email', maxLength: 254, description: "The guest's account email (exact)" }),
    ),
    propertyId: Type.Optional(Uuid('The listing')),
    hostId: Type.Optional(Uuid("The listing's host")),
    status: Type.Optional(Type.Enum([...BOOKING_STATUSES])),
    from: Type.Optional({
      ...DateOnly,
      description: 'Stays overlapping [from, to): checking out after this day',
    }),
    to: Type.Optional({
      ...DateOnly,
      description: 'Stays overlapping [from, to): checking in before this day',
    }),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const ADMIN_BOOKING_SUMMARY_EXAMPLE = {
  id: BOOKING_EXAMPLE.id,
  propertyId: BOOKING_EXAMPLE.propertyId,
  propertyTitle: 'Sunny loft by the canal',
  guestId: BOOKING_EXAMPLE.guestId,
  hostId: BOOKING_EXAMPLE.hostId,
  checkIn: BOOKING_EXAMPLE.checkIn,
  checkOut: BOOKING_EXAMPLE.checkOut,
  status: 'confirmed' as const,
  total: BOOKING_EXAMPLE.total,
  refundedAmount: 0,
  currency: 'EUR',
  createdAt: BOOKING_EXAMPLE.createdAt,
};

export const AdminBookingSummarySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    propertyId: Type.String({ format: 'uuid' }),
    propertyTitle: Type.Union([Type.String(), Type.Null()], { description: 'Null if the listing is gone' }),
    guestId: Type.String({ format: 'uuid' }),
    hostId: Type.String({ format: 'uuid' }),
    checkIn: DateOnly,
    checkOut: DateOnly,
    status: Type.Enum([...BOOKING_STATUSES]),
    total: Money,
    refundedAmount: Money,
    currency: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'AdminBookingSummary', examples: [ADMIN_BOOKING_SUMMARY_EXAMPLE] },
);

const TimelineEvent = Type.Object({
  at: Type.String({ format: 'date-time' }),
  kind: Type.Enum(['status', 'payment', 'refund', 'ledger', 'message', 'audit']),
  summary: Type.String(),
  amount: Type.Optional(Type.Integer({ description: 'Minor units (ledger: the provider clearing entry)' })),
  currency: Type.Optional(Type.String()),
  actorId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

export const BookingTimelineSchema = Type.Object(
  { booking: BookingSchema, events: Type.Array(TimelineEvent, { description: 'Oldest first' }) },
  {
    title: 'BookingTimeline',
    description: 'The booking and everything that happened to it, oldest first',
    examples: [
      {
        booking: { ...BOOKING_EXAMPLE, status: 'cancelled_by_host', refundedAmount: BOOKING_EXAMPLE.total },
        events: [
          {
            at: '2026-05-02T10:00:00.000Z',
            kind: 'status',
            summary: 'created → pending_payment',
            actorId: BOOKING_EXAMPLE.guestId,
          },
          {
            at: '2026-05-02T10:01:00.000Z',
            kind: 'payment',
            summary: 'payment succeeded (sandbox)',
            amount: BOOKING_EXAMPLE.total,
            currency: 'EUR',
          },
          {
            at: '2026-05-03T09:00:00.000Z',
            kind: 'audit',
            summary: 'booking.cancel: Host double-booked the flat',
            actorId: '0193a5b2-1111-7e2f-8a3b-4c5d6e7f8091',
          },
        ],
      },
    ],
  },
);

const OnBehalfOf = Type.Enum(['host', 'guest'], {
  description: 'Whose cancellation it is: the booking becomes `cancelled_by_host` or `cancelled_by_guest`',
});
const RefundMode = Type.Enum(['policy', 'full'], {
  description:
    "`policy`: what that side's cancellation gives (the host's: everything; the guest's: the listing's " +
    'cancellation policy); `full`: everything paid',
});

export const CancellationPreviewQuery = Type.Object(
  { onBehalfOf: OnBehalfOf, refund: Type.Optional({ ...RefundMode, default: 'policy' }) },
  { additionalProperties: false },
);

export const CancellationPreviewSchema = Type.Object(
  {
    bookingId: Type.String({ format: 'uuid' }),
    to: Type.Enum(['cancelled_by_host', 'cancelled_by_guest']),
    paid: Money,
    refund: Money,
    currency: Type.String(),
    policy: Type.String({ description: "The listing's cancellation policy" }),
    explanation: Type.String({ description: 'The rule applied, in words' }),
  },
  {
    title: 'CancellationPreview',
    examples: [
      {
        bookingId: BOOKING_EXAMPLE.id,
        to: 'cancelled_by_guest',
        paid: 49840,
        refund: 49840,
        currency: 'EUR',
        policy: 'moderate',
        explanation:
          'moderate policy: 100% back if cancelled at least 5 day(s) before check-in (2026-07-10T15:00:00.000Z), 0% after; this is in time: 100%.',
      },
    ],
  },
);

export const AdminCancelBody = Type.Object(
  {
    onBehalfOf: OnBehalfOf,
    refund: RefundMode,
    reason: Type.String({
      minLength: 1,
      maxLength: 1000,
      description:
        'Why (kept in the audit log only; the parties and the booking history see “cancelled by Roost support on the host’s/guest’s behalf”)',
    }),
  },
  {
    additionalProperties: false,
    examples: [{ onBehalfOf: 'host', refund: 'full', reason: 'Host double-booked the flat' }],
  },
);

export const PartialRefundBody = Type.Object(
  {
    amount: Type.Integer({
      minimum: 1,
      maximum: 100_000_000_00,
      description: 'Minor units, at most what is still paid and not refunded',
    }),
    reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why (kept in the audit log)' }),
  },
  { additionalProperties: false, examples: [{ amount: 5000, reason: 'Hot water was out for a night' }] },
);

export const AdminRefundSchema = Type.Object(
  {
    refund: Type.Object({
      id: Type.String({ format: 'uuid' }),
      bookingId: Type.String({ format: 'uuid' }),
      amount: Money,
      currency: Type.String(),
      status: Type.Enum(['pending', 'succeeded', 'failed']),
      reason: Type.Union([Type.String(), Type.Null()]),
      failureReason: Type.Union([Type.String(), Type.Null()]),
      createdAt: Type.String({ format: 'date-time' }),
    }),
  },
  {
    title: 'AdminRefund',
    examples: [
      {
        refund: {
          id: '0193a5b2-3333-7e2f-8a3b-4c5d6e7f8091',
          bookingId: BOOKING_EXAMPLE.id,
          amount: 5000,
          currency: 'EUR',
          status: 'succeeded',
          reason: 'admin_refund',
          failureReason: null,
          createdAt: '2026-05-04T12:00:00.000Z',
        },
      },
    ],
  },
);

export const DashboardQuery = Type.Object(
  {
    days: Type.Integer({ minimum: 1, maximum: 90, default: 14, description: 'Days of per-day figures' }),
  },
  { additionalProperties: false },
);

export const DashboardSchema = Type.Object(
  {
    today: DateOnly,
    checkInsToday: Type.Integer({ minimum: 0 }),
    checkOutsToday: Type.Integer({ minimum: 0 }),
    currency: Type.Union([Type.String(), Type.Null()], {
      description: "The currency of `byDay[].revenue` (the window's largest); null without revenue",
    }),
    byDay: Type.Array(
      Type.Object({
        date: DateOnly,
        bookings: Type.Integer({ minimum: 0, description: 'Bookings created that day (UTC), any status' }),
        revenue: Type.Integer({
          description: 'Totals of that day’s bookings now confirmed or completed, in `currency`',
        }),
        revenueByCurrency: Type.Record(Type.String(), Type.Integer()),
      }),
      { description: 'Oldest first, ending today' },
    ),
    outboxBacklog: Type.Integer({ minimum: 0, description: 'pendingEmails + pendingRefunds' }),
    pendingEmails: Type.Integer({
      minimum: 0,
      description: 'Emails waiting to be sent (counted up to 10 000)',
    }),
    pendingRefunds: Type.Integer({ minimum: 0, description: 'Refunds promised and not carried out yet' }),
    ledger: Type.Object({
      balanced: Type.Boolean(),
      total: Type.Integer({ description: 'Sum of every ledger entry: 0' }),
    }),
    failedJobs: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'Jobs in the dead-letter set; null when the queue is not configured or not answering',
    }),
    payouts: Type.Object(
      {
        counts: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
          description:
            'Payouts by status (`scheduled`, `pending`, `paid`, `failed`, `netted`; absent: none). `failed`: failed for good, to look at',
        }),
        paid: Type.Array(
          Type.Object({
            currency: Type.String(),
            month: Type.Integer({ description: 'Paid out this month (UTC), minor units' }),
            today: Type.Integer({ description: 'Paid out today (UTC), minor units' }),
          }),
        ),
      },
      { description: 'Host payouts' },
    ),
  },
  {
    title: 'Dashboard',
    examples: [
      {
        today: '2026-05-04',
        checkInsToday: 3,
        checkOutsToday: 2,
        currency: 'EUR',
        byDay: [
          { date: '2026-05-03', bookings: 5, revenue: 149520, revenueByCurrency: { EUR: 149520 } },
          { date: '2026-05-04', bookings: 2, revenue: 49840, revenueByCurrency: { EUR: 49840 } },
        ],
        outboxBacklog: 4,
        pendingEmails: 3,
        pendingRefunds: 1,
        ledger: { balanced: true, total: 0 },
        failedJobs: 0,
        payouts: {
          counts: { scheduled: 12, pending: 2, paid: 340, failed: 1 },
          paid: [{ currency: 'EUR', month: 1_204_500, today: 86_100 }],
        },
      },
    ],
  },
);
