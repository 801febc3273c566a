/** Schemas of receipts (guest) and payout statements (host), as JSON; the PDFs render the same objects. */
import { type Static, Type } from 'typebox';
import { DateOnly } from '../../platform/schemas.js';

const BOOKING_ID = 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d';
const HOST_ID = '0d9f8e7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b';
const GUEST_ID = 'b3e1c9a2-5f4d-4c7e-9a1b-2d3e4f5a6b7c';
const PROPERTY_ID = '7c2e4a10-3b8f-4d6e-a1c5-9f0b2d4e6a8c';

const Minor = Type.Integer({ description: 'Minor units of `currency` (cents; yen for JPY)' });
const Formatted = Type.String({ description: 'The amount as people read it, e.g. `€1,234.50`, `¥12,000`' });
const Instant = Type.String({ format: 'date-time' });

export const PlatformSchema = Type.Object(
  {
    name: Type.String(),
    address: Type.String(),
    taxId: Type.Union([Type.String(), Type.Null()], { description: 'PLATFORM_TAX_ID (null: not set)' }),
    supportEmail: Type.String(),
  },
  { description: 'Who issues the document (PLATFORM_* configuration)' },
);
export type PlatformView = Static<typeof PlatformSchema>;

const PLATFORM_EXAMPLE = {
  name: 'Roost',
  address: 'Roost Marketplace Ltd, 1 Example Street, Lisbon, Portugal',
  taxId: null,
  supportEmail: 'support@roost.dev',
};

const ReceiptLine = Type.Object(
  {
    kind: Type.Enum(['nights', 'discount', 'extra_guests', 'cleaning_fee', 'service_fee', 'tax'], {
      description:
        '`nights`: consecutive nights at one price; `discount`: the weekly or monthly discount (a negative ' +
        'amount); `tax`: one tax, by name and rate (a stay may carry several)',
    }),
    description: Type.String({ description: 'e.g. `2 nights × €145.00 (11 – 12 Jul 2026)`' }),
    quantity: Type.Integer({ minimum: 1, description: 'Nights (for `nights`), else 1' }),
    unitAmount: Minor,
    amount: Type.Integer({ description: 'quantity × unitAmount (minor units); the lines sum to `total`' }),
    formattedAmount: Formatted,
    from: Type.Union([DateOnly, Type.Null()], { description: '`nights`: the first of these nights' }),
    to: Type.Union([DateOnly, Type.Null()], { description: '`nights`: the last of these nights' }),
    name: Type.Union([Type.String(), Type.Null()], { description: '`tax`: the tax’s name' }),
    rateBps: Type.Union([Type.Integer(), Type.Null()], {
      description: '`tax`: its rate in basis points of `basis` (700 = 7 %), null when not known',
    }),
    basis: Type.Union([Type.Integer(), Type.Null()], {
      description:
        '`tax`: the amount a percentage tax was computed on (the accommodation: nights − discount + extra ' +
        'guests + cleaning fee); null for a per-night tax',
    }),
  },
  { title: 'ReceiptLine' },
);
export type ReceiptLineView = Static<typeof ReceiptLine>;

const RECEIPT_EXAMPLE = {
  receiptNumber: 'R-2026-0F2B4A6C8E1D',
  bookingId: BOOKING_ID,
  bookingStatus: 'confirmed' as const,
  issuedAt: '2026-05-02T10:03:12.000Z',
  generatedAt: '2026-05-03T08:00:00.000Z',
  platform: PLATFORM_EXAMPLE,
  guest: { id: GUEST_ID, firstName: 'Ana' },
  listing: {
    id: PROPERTY_ID,
    title: 'Sunny loft in Gràcia',
    city: 'Barcelona',
    region: null,
    countryCode: 'ES',
  },
  stay: { checkIn: '2026-07-10', checkOut: '2026-07-13', nights: 3, guests: 2 },
  currency: 'EUR',
  currencyExponent: 2,
  lines: [
    {
      kind: 'nights' as const,
      description: '1 night × €120.00 (10 Jul 2026)',
      quantity: 1,
      unitAmount: 12000,
      amount: 12000,
      formattedAmount: '€120.00',
      from: '2026-07-10',
      to: '2026-07-10',
      name: null,
      rateBps: null,
      basis: null,
    },
    {
      kind: 'nights' as const,
      description: '2 nights × €145.00 (11 – 12 Jul 2026)',
      quantity: 2,
      unitAmount: 14500,
      amount: 29000,
      formattedAmount: '€290.00',
      from: '2026-07-11',
      to: '2026-07-12',
      name: null,
      rateBps: null,
      basis: null,
    },
    {
      kind: 'cleaning_fee' as const,
      description: 'Cleaning fee',
      quantity: 1,
      unitAmount: 3500,
      amount: 3500,
      formattedAmount: '€35.00',
      from: null,
      to: null,
      name: null,
      rateBps: null,
      basis: null,
    },
    {
      kind: 'service_fee' as const,
      description: 'Roost service fee',
      quantity: 1,
      unitAmount: 5340,
      amount: 5340,
      formattedAmount: '€53.40',
      from: null,
      to: null,
      name: null,
      rateBps: null,
      basis: null,
    },
    {
      kind: 'tax' as const,
      description: 'Taxes (7%)',
      quantity: 1,
      unitAmount: 3115,
      amount: 3115,
      formattedAmount: '€31.15',
      from: null,
      to: null,
      name: 'Taxes',
      rateBps: 700,
      basis: 44500,
    },
  ],
  total: 52955,
  formattedTotal: '€529.55',
  payments: [
    {
      id: '5a8b1c3d-7e9f-4a2b-8c4d-6e0f1a3b5c7d',
      date: '2026-05-02T10:03:12.000Z',
      provider: 'sandbox',
      reference: '••••5c7d',
      amount: 52955,
      formattedAmount: '€529.55',
    },
  ],
  refunds: [
    {
      id: '8d2e4f6a-0b1c-4d3e-9f5a-7b8c9d0e1f2a',
      date: '2026-06-20T16:45:00.000Z',
      amount: 10000,
      formattedAmount: '€100.00',
      reason: 'cancelled_by_guest',
      status: 'succeeded' as const,
    },
  ],
  paid: 52955,
  refunded: 10000,
  refundPending: 0,
  netPaid: 42955,
  formattedPaid: '€529.55',
  formattedRefunded: '€100.00',
  formattedNetPaid: '€429.55',
};

export const ReceiptSchema = Type.Object(
  {
    receiptNumber: Type.String({
      description: 'Stable per booking: `R-<year the booking was made>-<last 12 hex digits of its id>`',
    }),
    bookingId: Type.String({ format: 'uuid' }),
    bookingStatus: Type.String({ description: 'The booking’s status when the receipt was generated' }),
    issuedAt: Type.String({ format: 'date-time', description: 'When the booking was paid (stable)' }),
    generatedAt: Type.String({ format: 'date-time', description: 'When this copy was made' }),
    platform: PlatformSchema,
    guest: Type.Object(
      { id: Type.String({ format: 'uuid' }), firstName: Type.String() },
      { description: 'The addressee: the guest who booked' },
    ),
    listing: Type.Object({
      id: Type.String({ format: 'uuid' }),
      title: Type.String(),
      city: Type.Union([Type.String(), Type.Null()], { description: 'null once the listing was deleted' }),
      region: Type.Union([Type.String(), Type.Null()]),
      countryCode: Type.Union([Type.String(), Type.Null()]),
    }),
    stay: Type.Object({
      checkIn: DateOnly,
      checkOut: DateOnly,
      nights: Type.Integer(),
      guests: Type.Integer(),
    }),
    currency: Type.String(),
    currencyExponent: Type.Integer({ description: 'Digits of the minor unit: EUR 2, JPY 0' }),
    lines: Type.Array(ReceiptLine, {
      description: 'Nights (consecutive equal prices collapsed), fees, taxes',
    }),
    total: Minor,
    formattedTotal: Formatted,
    payments: Type.Array(
      Type.Object({
        id: Type.String({ format: 'uuid' }),
        date: Instant,
        provider: Type.String(),
        reference: Type.String({ description: 'The provider’s reference, masked: `••••` and its last 4' }),
        amount: Minor,
        formattedAmount: Formatted,
      }),
      { description: 'Succeeded charges (failed attempts moved no money)' },
    ),
    refunds: Type.Array(
      Type.Object({
        id: Type.String({ format: 'uuid' }),
        date: Instant,
        amount: Minor,
        formattedAmount: Formatted,
        reason: Type.String(),
        status: Type.Enum(['pending', 'succeeded'], {
          description: 'pending: promised, not yet confirmed by the provider (not in `refunded`)',
        }),
      }),
    ),
    paid: Minor,
    refunded: Type.Integer({ description: 'Succeeded refunds' }),
    refundPending: Type.Integer({ description: 'Refunds promised and not yet confirmed' }),
    netPaid: Type.Integer({ description: 'paid − refunded' }),
    formattedPaid: Formatted,
    formattedRefunded: Formatted,
    formattedNetPaid: Formatted,
  },
  { title: 'Receipt', examples: [RECEIPT_EXAMPLE] },
);
export type ReceiptView = Static<typeof ReceiptSchema>;

const StatementLine = Type.Object({
  bookingId: Type.String({ format: 'uuid' }),
  guestFirstName: Type.String(),
  listingTitle: Type.String(),
  checkIn: DateOnly,
  checkOut: DateOnly,
  currency: Type.String(),
  charged: Type.Integer({ description: 'Host share of the guest’s payments recorded this month' }),
  refunded: Type.Integer({ description: 'Host share given back by refunds recorded this month' }),
  net: Type.Integer({ description: 'charged − refunded' }),
  formattedNet: Formatted,
});

const StatementTotal = Type.Object({
  currency: Type.String(),
  charged: Type.Integer(),
  refunded: Type.Integer(),
  adjustments: Type.Integer({ description: 'Ledger adjustments to the host’s account (credit positive)' }),
  earnings: Type.Integer({ description: 'charged − refunded + adjustments' }),
  paidOut: Type.Integer({ description: 'Sum of `payouts` in this currency' }),
  net: Type.Integer({
    description:
      'earnings − paidOut: the change in what is owed to the host this month; equals the `net` of ' +
      '`GET /api/v1/host/payouts/report` for this month and currency',
  }),
  formattedEarnings: Formatted,
  formattedPaidOut: Formatted,
  formattedNet: Formatted,
});

const STATEMENT_EXAMPLE = {
  statementNumber: 'S-2026-05-1A0F9E8D7C6B',
  month: '2026-05',
  generatedAt: '2026-06-01T08:00:00.000Z',
  platform: PLATFORM_EXAMPLE,
  host: { id: HOST_ID, firstName: 'Marta' },
  lines: [
    {
      bookingId: BOOKING_ID,
      guestFirstName: 'Ana',
      listingTitle: 'Sunny loft in Gràcia',
      checkIn: '2026-07-10',
      checkOut: '2026-07-13',
      currency: 'EUR',
      charged: 44500,
      refunded: 0,
      net: 44500,
      formattedNet: '€445.00',
    },
  ],
  payouts: [],
  totals: [
    {
      currency: 'EUR',
      charged: 44500,
      refunded: 0,
      adjustments: 0,
      earnings: 44500,
      paidOut: 0,
      net: 44500,
      formattedEarnings: '€445.00',
      formattedPaidOut: '€0.00',
      formattedNet: '€445.00',
    },
  ],
};

export const PayoutStatementSchema = Type.Object(
  {
    statementNumber: Type.String({ description: '`S-<month>-<last 12 hex digits of the host id>`' }),
    month: Type.String({ description: 'YYYY-MM (UTC): money recorded in the ledger that month' }),
    generatedAt: Instant,
    platform: PlatformSchema,
    host: Type.Object({ id: Type.String({ format: 'uuid' }), firstName: Type.String() }),
    lines: Type.Array(StatementLine, {
      description: 'One per booking and currency with a charge or refund recorded in the month',
    }),
    payouts: Type.Array(
      Type.Object({
        transactionId: Type.String({ format: 'uuid' }),
        date: Instant,
        currency: Type.String(),
        amount: Type.Integer({ description: 'Paid out to the host (positive)' }),
        formattedAmount: Formatted,
      }),
      {
        description:
          'Payouts to the host recorded in the month (ledger `payout` transactions); empty until payouts ' +
          'are made',
      },
    ),
    totals: Type.Array(StatementTotal, { description: 'One per currency' }),
  },
  { title: 'PayoutStatement', examples: [STATEMENT_EXAMPLE] },
);
export type PayoutStatementView = Static<typeof PayoutStatementSchema>;
