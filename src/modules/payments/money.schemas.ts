/** Schemas of the money API (admin-money.routes.ts, payouts.routes.ts). */
import { Type } from 'typebox';
import { PageQuery } from '../../platform/pagination.js';

const HOST_ID = '0d9f8e7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b';
const BOOKING_ID = 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d';

const Entry = Type.Object({
  account: Type.String({
    description: '`provider_clearing`, `host_payable:<host id>`, `platform_revenue`, `taxes_payable`',
  }),
  amount: Type.Integer({ description: 'Signed minor units: debits positive, credits negative' }),
  currency: Type.String(),
});

export const LedgerTransactionSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    kind: Type.String({ description: '`guest_charge`, `refund`, `payout` or `adjustment`' }),
    bookingId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    referenceType: Type.String({ description: 'What it records: `payment` or `refund`…' }),
    referenceId: Type.String({ format: 'uuid' }),
    currency: Type.String(),
    memo: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    entries: Type.Array(Entry, { description: 'They sum to zero' }),
  },
  {
    title: 'LedgerTransaction',
    examples: [
      {
        id: '0193a5b2-4444-7e2f-8a3b-4c5d6e7f8091',
        kind: 'guest_charge',
        bookingId: BOOKING_ID,
        referenceType: 'payment',
        referenceId: '0193a5b2-5555-7e2f-8a3b-4c5d6e7f8091',
        currency: 'EUR',
        memo: null,
        createdAt: '2026-05-02T10:01:00.000Z',
        entries: [
          { account: 'provider_clearing', amount: 49840, currency: 'EUR' },
          { account: `host_payable:${HOST_ID}`, amount: -44500, currency: 'EUR' },
          { account: 'platform_revenue', amount: -5340, currency: 'EUR' },
        ],
      },
    ],
  },
);

export const LedgerQuery = Type.Object(
  {
    bookingId: Type.Optional(
      Type.String({ format: 'uuid', description: "Only this booking's transactions" }),
    ),
    kind: Type.Optional(Type.Enum(['guest_charge', 'refund', 'payout', 'adjustment'])),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const BalancesSchema = Type.Object(
  {
    accounts: Type.Array(
      Type.Object({ account: Type.String(), currency: Type.String(), balance: Type.Integer() }),
      { description: 'Every account with a non-zero balance, per currency' },
    ),
    total: Type.Integer({ description: 'The sum of every entry: 0 when the books balance' }),
    balanced: Type.Boolean({ description: 'Every currency sums to zero' }),
  },
  {
    title: 'LedgerBalances',
    examples: [
      {
        accounts: [
          { account: `host_payable:${HOST_ID}`, currency: 'EUR', balance: -44500 },
          { account: 'platform_revenue', currency: 'EUR', balance: -5340 },
          { account: 'provider_clearing', currency: 'EUR', balance: 49840 },
        ],
        total: 0,
        balanced: true,
      },
    ],
  },
);

export const Month = Type.String({
  pattern: '^2[0-9]{3}-(0[1-9]|1[0-2])$',
  maxLength: 7,
  description: 'YYYY-MM (UTC)',
  examples: ['2026-05'],
});

export const PayoutReportSchema = Type.Object(
  {
    month: Month,
    rows: Type.Array(
      Type.Object({
        hostId: Type.String({ format: 'uuid' }),
        month: Type.String(),
        currency: Type.String(),
        net: Type.Integer({
          description: 'Owed to the host for the month: charges minus refunds (minor units)',
        }),
      }),
      { description: 'One row per host and currency' },
    ),
  },
  {
    title: 'PayoutReport',
    examples: [
      { month: '2026-05', rows: [{ hostId: HOST_ID, month: '2026-05', currency: 'EUR', net: 44500 }] },
    ],
  },
);
