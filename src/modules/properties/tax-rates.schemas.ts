/** The admin API over taxes by jurisdiction (`tax_rates`): what it takes and what it shows. */
import { type Static, Type } from 'typebox';
import { MAX_TAX_RATES_LISTED } from './tax-rates.repository.js';

const countryCode = (description: string) =>
  Type.String({ pattern: '^[A-Z]{2}$', minLength: 2, maxLength: 2, description, examples: ['ES'] });

export const TAX_RATE_EXAMPLE = {
  id: '5b0e7c1a-3f2d-4a8e-9c61-0d4f2b7a9e13',
  countryCode: 'ES',
  region: 'Catalonia',
  name: 'Tourist tax',
  kind: 'per_night' as const,
  rateBps: null,
  amount: 250,
  currency: 'EUR',
  perGuest: true,
  createdAt: '2026-05-04T09:30:00.000Z',
  updatedAt: '2026-05-04T09:30:00.000Z',
};

export const TaxRateSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    countryCode: Type.String(),
    region: Type.Union([Type.String(), Type.Null()], {
      description:
        'The region it applies in (matched case-insensitively with the listing’s); null: the whole country',
    }),
    name: Type.String({ description: 'As quotes, bookings and receipts show it' }),
    kind: Type.Enum(['percent', 'per_night']),
    rateBps: Type.Union([Type.Integer(), Type.Null()], {
      description: 'A percentage tax: basis points of the accommodation (null for a per-night tax)',
    }),
    amount: Type.Union([Type.Integer(), Type.Null()], {
      description: 'A per-night tax: minor units per night, or per guest per night (null for a percentage)',
    }),
    currency: Type.Union([Type.String(), Type.Null()], {
      description:
        'A per-night tax: its currency; it applies only to listings priced in it (null for a percentage)',
    }),
    perGuest: Type.Boolean({
      description: 'A per-night tax charged per guest (always false for a percentage)',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'TaxRate', examples: [TAX_RATE_EXAMPLE] },
);
export type TaxRateView = Static<typeof TaxRateSchema>;

export const TaxRateListSchema = Type.Object(
  {
    items: Type.Array(TaxRateSchema, {
      description: `By country, region (country-wide first) and name; at most ${MAX_TAX_RATES_LISTED}`,
    }),
  },
  {
    title: 'TaxRateList',
    examples: [
      {
        items: [
          {
            ...TAX_RATE_EXAMPLE,
            id: '0c2d9e4f-6a1b-4c3d-8e5f-7a9b1c2d3e4f',
            region: null,
            name: 'IVA',
            kind: 'percent',
            rateBps: 1000,
            amount: null,
            currency: null,
            perGuest: false,
          },
          TAX_RATE_EXAMPLE,
        ],
      },
    ],
  },
);

export const TaxRateListQuery = Type.Object(
  { country: Type.Optional(countryCode('Only this country’s rates (ISO 3166-1 alpha-2, upper case)')) },
  { additionalProperties: false },
);

/**
 * A rate as an admin writes it (create, and replace: the whole rate). Which fields a kind takes is checked
 * by the service, with the field's path: `rateBps` for a percentage; `amount`, `currency` and optionally
 * `perGuest` for a per-night tax.
 */
export const TaxRateBody = Type.Object(
  {
    countryCode: countryCode('ISO 3166-1 alpha-2 country code, upper case'),
    region: Type.Optional(
      Type.String({
        maxLength: 100,
        description:
          'A region as listings spell it (trimmed; matched case-insensitively); empty or absent: the whole country',
        examples: ['Catalonia'],
      }),
    ),
    name: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '\\S',
      description: 'Unique within its country and region (case-insensitively); trimmed',
      examples: ['Tourist tax'],
    }),
    kind: Type.Enum(['percent', 'per_night'], {
      description:
        '`percent`: a share of the accommodation; `per_night`: an amount per night (or per guest per night)',
    }),
    rateBps: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 5000,
        description: 'Percent only (required): basis points of the accommodation, 1000 = 10%',
      }),
    ),
    amount: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000_000,
        description: 'Per night only (required): minor units per night (per guest per night with `perGuest`)',
      }),
    ),
    currency: Type.Optional(
      Type.String({
        pattern: '^[A-Z]{3}$',
        minLength: 3,
        maxLength: 3,
        description: 'Per night only (required): ISO 4217 code; applies to listings priced in it',
        examples: ['EUR'],
      }),
    ),
    perGuest: Type.Optional(
      Type.Boolean({ description: 'Per night only: charged per guest (default false)' }),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        countryCode: 'ES',
        region: 'Catalonia',
        name: 'Tourist tax',
        kind: 'per_night',
        amount: 250,
        currency: 'EUR',
        perGuest: true,
      },
      { countryCode: 'ES', name: 'IVA', kind: 'percent', rateBps: 1000 },
    ],
  },
);
export type TaxRateInput = Static<typeof TaxRateBody>;
