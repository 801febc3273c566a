/** Schemas of the payouts API (payouts.routes.ts). */
import { type Static, Type } from 'typebox';
import { PageQuery } from '../../platform/pagination.js';

const PAYOUT_ID = '0193a5b2-7777-7e2f-8a3b-4c5d6e7f8091';
const BOOKING_ID = 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d';
const HOST_ID = '0d9f8e7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b';
const LISTING_ID = '7c1e5a3b-2d4f-4a6b-8c9d-0e1f2a3b4c5d';

const Currency = Type.String({ pattern: '^[A-Z]{3}$', minLength: 3, maxLength: 3, description: 'ISO 4217' });
const Month = Type.String({
  pattern: '^2[0-9]{3}-(0[1-9]|1[0-2])$',
  maxLength: 7,
  description: 'YYYY-MM (UTC)',
  examples: ['2026-05'],
});

export const PayoutAccountSchema = Type.Object(
  {
    hostId: Type.String({ format: 'uuid' }),
    provider: Type.String({ description: '`sandbox` or `stripe`' }),
    status: Type.Enum(['pending', 'enabled', 'restricted'], {
      description:
        '`pending`: onboarding at the provider not finished; `enabled`: payouts are released to it; ' +
        '`restricted`: the provider needs more information (payouts wait)',
    }),
    currency: Currency,
    onboardingUrl: Type.Union([Type.String(), Type.Null()], {
      description: 'Where to finish onboarding at the provider (single use); null once enabled',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  {
    title: 'PayoutAccount',
    examples: [
      {
        hostId: HOST_ID,
        provider: 'stripe',
        status: 'pending',
        currency: 'EUR',
        onboardingUrl: 'https://connect.stripe.com/setup/e/acct_1Q2w3E4r5T6y7U8i/AbCdEf',
        createdAt: '2026-05-02T10:00:00.000Z',
        updatedAt: '2026-05-02T10:00:00.000Z',
      },
    ],
  },
);

export const PayoutAccountBody = Type.Object(
  {
    country: Type.Optional(
      Type.String({ pattern: '^[A-Z]{2}$', minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' }),
    ),
    currency: Type.Optional({ ...Currency, description: 'The payout currency (default EUR)' }),
  },
  { additionalProperties: false, examples: [{ country: 'PT', currency: 'EUR' }] },
);

export const PayoutStatusEnum = Type.Enum(['scheduled', 'pending', 'paid', 'failed', 'netted'], {
  description:
    '`scheduled`: released, the transfer is under way (retried by the job); `pending`: accepted by the ' +
    'provider, not settled yet; `paid`; `failed`: failed for good (the amount is owed again; admins ' +
    'can retry it); `netted`: nothing to transfer, a debt from refunds took it',
});

export const HostPayoutItemSchema = Type.Object(
  {
    bookingId: Type.String({ format: 'uuid' }),
    propertyId: Type.String({ format: 'uuid' }),
    checkIn: Type.String({ format: 'date' }),
    checkOut: Type.String({ format: 'date' }),
    payoutId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: 'Null while the payout is upcoming',
    }),
    status: Type.Union([Type.Literal('upcoming'), PayoutStatusEnum]),
    amount: Type.Integer({
      description: 'Minor units: paid (or to be paid), or for an upcoming one what the stay earns now',
    }),
    accommodation: Type.Integer({
      description:
        "The stay's accommodation as priced (nights − discount + extra guests + cleaning), before the host's service fee",
    }),
    hostFee: Type.Integer({
      description:
        "The host's service fee taken from it (HOST_SERVICE_FEE_BPS when booked); accommodation − hostFee is the host's share",
    }),
    currency: Currency,
    releaseAt: Type.String({ format: 'date-time', description: 'Check-in + PAYOUT_DELAY_HOURS' }),
    paidAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    failureReason: Type.Union([Type.String(), Type.Null()]),
  },
  {
    title: 'HostPayoutItem',
    examples: [
      {
        bookingId: BOOKING_ID,
        propertyId: LISTING_ID,
        checkIn: '2026-05-10',
        checkOut: '2026-05-14',
        payoutId: PAYOUT_ID,
        status: 'paid',
        amount: 44500,
        accommodation: 44500,
        hostFee: 0,
        currency: 'EUR',
        releaseAt: '2026-05-11T15:00:00.000Z',
        paidAt: '2026-05-11T15:05:00.000Z',
        failureReason: null,
      },
    ],
  },
);

export const HostPayoutsQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Enum(['upcoming', 'processing', 'paid', 'failed'], {
        description:
          '`upcoming` (default): paid stays not released yet, soonest first; `processing`: released, the ' +
          'transfer under way; `paid` (netted ones included); `failed`',
      }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const HostPayoutsCsvQuery = Type.Object(
  {
    month: Type.Optional({ ...Month, description: 'Only payouts released in this month (UTC)' }),
    limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000, description: 'At most this many rows' }),
  },
  { additionalProperties: false },
);

export const AdminPayoutSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    bookingId: Type.String({ format: 'uuid' }),
    hostId: Type.String({ format: 'uuid' }),
    amount: Type.Integer({ description: 'Minor units' }),
    currency: Currency,
    status: PayoutStatusEnum,
    provider: Type.String(),
    providerRef: Type.Union([Type.String(), Type.Null()]),
    attempts: Type.Integer({ description: 'Transfer attempts of the current release' }),
    lastError: Type.Union([Type.String(), Type.Null()]),
    releaseAt: Type.String({ format: 'date-time' }),
    paidAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  {
    title: 'Payout',
    examples: [
      {
        id: PAYOUT_ID,
        bookingId: BOOKING_ID,
        hostId: HOST_ID,
        amount: 44500,
        currency: 'EUR',
        status: 'failed',
        provider: 'stripe',
        providerRef: null,
        attempts: 5,
        lastError: 'account_closed',
        releaseAt: '2026-05-11T15:00:00.000Z',
        paidAt: null,
        createdAt: '2026-05-11T15:00:03.000Z',
        updatedAt: '2026-05-11T17:00:00.000Z',
      },
    ],
  },
);

export const AdminPayoutsQuery = Type.Object(
  {
    status: Type.Optional(PayoutStatusEnum),
    hostId: Type.Optional(Type.String({ format: 'uuid' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const RetryBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false, examples: [{ reason: 'Host fixed their bank details' }] },
);

export type PayoutAccountView = Static<typeof PayoutAccountSchema>;
export type HostPayoutItem = Static<typeof HostPayoutItemSchema>;
export type AdminPayoutView = Static<typeof AdminPayoutSchema>;
