import { type Static, Type } from 'typebox';
import { DateOnly } from '../../platform/schemas.js';

export const PropertyTypeSchema = Type.Enum(['entire_place', 'private_room', 'shared_room']);
export const PolicySchema = Type.Enum(['flexible', 'moderate', 'strict']);
export const StatusSchema = Type.Enum(['draft', 'listed', 'unlisted']);
const Time = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  maxLength: 5,
  description: 'HH:MM, 24-hour',
});
const Money = Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'Minor units of `currency`' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3, description: 'ISO 4217 code' });

/** The listing the examples of this module describe. */
const ADDRESS_EXAMPLE = {
  street: 'Carrer de Verdi 32',
  city: 'Barcelona',
  region: 'Catalonia',
  countryCode: 'ES',
  postalCode: '08012',
};
const LISTING_EXAMPLE = {
  title: 'Sunny loft in Gràcia',
  description: 'A bright top-floor loft with a terrace, five minutes from Fontana metro.',
  propertyType: 'entire_place' as const,
  address: ADDRESS_EXAMPLE,
  latitude: 41.4036,
  longitude: 2.1585,
  maxGuests: 3,
  bedrooms: 1,
  beds: 2,
  bathrooms: 1,
  nightlyPrice: 12000,
  currency: 'EUR',
  cleaningFee: 3500,
  weekendPrice: 14000,
  weeklyDiscountPct: 10,
  monthlyDiscountPct: 25,
  guestsIncluded: 2,
  extraGuestFee: 1500,
  minNights: 2,
  maxNights: 28,
  checkInTime: '15:00',
  checkOutTime: '11:00',
  cancellationPolicy: 'moderate' as const,
  instantBook: true,
  amenities: ['wifi', 'kitchen', 'air_conditioning', 'balcony'],
  houseRules: 'No parties. Quiet hours 22:00–08:00.',
};
const PHOTO_EXAMPLE = {
  id: '3f5a7c9e-1b2d-4f6a-8c0e-2d4f6a8c0e1b',
  url: '/media/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg',
  contentType: 'image/jpeg',
  position: 0,
  isCover: true,
  caption: 'The terrace at sunset',
};
export const PROPERTY_EXAMPLE = {
  id: '7c2e4a10-3b8f-4d6e-a1c5-9f0b2d4e6a8c',
  hostId: '0d9f8e7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b',
  ...LISTING_EXAMPLE,
  status: 'listed' as const,
  ratingAvg: 4.8,
  ratingCount: 37,
  photos: [PHOTO_EXAMPLE],
  createdAt: '2026-02-11T08:30:00.000Z',
  updatedAt: '2026-04-28T17:05:41.000Z',
};

export const AddressSchema = Type.Object(
  {
    street: Type.String({ minLength: 1, maxLength: 200 }),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    region: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    countryCode: Type.String({ pattern: '^[A-Z]{2}$', maxLength: 2, description: 'ISO 3166-1 alpha-2' }),
    postalCode: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const editable = {
  title: Type.String({ minLength: 3, maxLength: 120 }),
  description: Type.String({ maxLength: 10_000 }),
  propertyType: PropertyTypeSchema,
  address: AddressSchema,
  latitude: Type.Number({ minimum: -90, maximum: 90 }),
  longitude: Type.Number({ minimum: -180, maximum: 180 }),
  maxGuests: Type.Integer({ minimum: 1, maximum: 50 }),
  bedrooms: Type.Integer({ minimum: 0, maximum: 50 }),
  beds: Type.Integer({ minimum: 0, maximum: 100 }),
  bathrooms: Type.Number({ minimum: 0, maximum: 50, multipleOf: 0.5 }),
  nightlyPrice: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'Minor units' }),
  currency: Currency,
  cleaningFee: Money,
  weekendPrice: Type.Union([Type.Integer({ minimum: 1, maximum: 100_000_000 }), Type.Null()], {
    description: 'Friday and Saturday nights, minor units (null: the nightly price). Calendar overrides win.',
  }),
  weeklyDiscountPct: Type.Integer({
    minimum: 0,
    maximum: 90,
    description: 'Percent off the nights of a stay of 7 nights or more',
  }),
  monthlyDiscountPct: Type.Integer({
    minimum: 0,
    maximum: 90,
    description: 'Percent off the nights of a stay of 28 nights or more (the larger of the two applies)',
  }),
  guestsIncluded: Type.Integer({
    minimum: 1,
    maximum: 50,
    description: 'Guests the price includes; each guest above pays extraGuestFee per night',
  }),
  extraGuestFee: Money,
  minNights: Type.Integer({ minimum: 1, maximum: 365 }),
  maxNights: Type.Union([Type.Integer({ minimum: 1, maximum: 1000 }), Type.Null()]),
  checkInTime: Time,
  checkOutTime: Time,
  cancellationPolicy: PolicySchema,
  instantBook: Type.Boolean(),
  amenities: Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { maxItems: 100, uniqueItems: true }),
  houseRules: Type.Union([Type.String({ maxLength: 5000 }), Type.Null()]),
};

export const CreatePropertyBody = Type.Object(
  {
    title: editable.title,
    description: Type.Optional(editable.description),
    propertyType: editable.propertyType,
    address: editable.address,
    latitude: editable.latitude,
    longitude: editable.longitude,
    maxGuests: editable.maxGuests,
    bedrooms: editable.bedrooms,
    beds: editable.beds,
    bathrooms: editable.bathrooms,
    nightlyPrice: editable.nightlyPrice,
    currency: editable.currency,
    cleaningFee: Type.Optional(editable.cleaningFee),
    weekendPrice: Type.Optional(editable.weekendPrice),
    weeklyDiscountPct: Type.Optional(editable.weeklyDiscountPct),
    monthlyDiscountPct: Type.Optional(editable.monthlyDiscountPct),
    guestsIncluded: Type.Optional(editable.guestsIncluded),
    extraGuestFee: Type.Optional(editable.extraGuestFee),
    minNights: Type.Optional(editable.minNights),
    maxNights: Type.Optional(editable.maxNights),
    checkInTime: Type.Optional(editable.checkInTime),
    checkOutTime: Type.Optional(editable.checkOutTime),
    cancellationPolicy: Type.Optional(editable.cancellationPolicy),
    instantBook: Type.Optional(editable.instantBook),
    amenities: Type.Optional(editable.amenities),
    houseRules: Type.Optional(editable.houseRules),
  },
  { additionalProperties: false, examples: [LISTING_EXAMPLE] },
);
export type CreatePropertyInput = Static<typeof CreatePropertyBody>;

export const UpdatePropertyBody = Type.Object(
  Object.fromEntries(Object.entries(editable).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof typeof editable]: ReturnType<typeof Type.Optional<(typeof editable)[K]>>;
  },
  { additionalProperties: false, minProperties: 1, examples: [{ nightlyPrice: 13500, instantBook: false }] },
);
export type UpdatePropertyInput = Partial<Static<typeof CreatePropertyBody>>;

const PhotoSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  contentType: Type.String(),
  position: Type.Integer(),
  isCover: Type.Boolean(),
  caption: Type.Union([Type.String(), Type.Null()]),
});

/** A listing's address as the API shows it (the listing, a stay's arrival details). */
export const AddressView = Type.Object({
  street: Type.String(),
  city: Type.String(),
  region: Type.Union([Type.String(), Type.Null()]),
  countryCode: Type.String(),
  postalCode: Type.Union([Type.String(), Type.Null()]),
});

export const PropertySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    hostId: Type.String({ format: 'uuid' }),
    title: Type.String(),
    description: Type.String(),
    propertyType: PropertyTypeSchema,
    address: AddressView,
    latitude: Type.Number(),
    longitude: Type.Number(),
    maxGuests: Type.Integer(),
    bedrooms: Type.Integer(),
    beds: Type.Integer(),
    bathrooms: Type.Number(),
    nightlyPrice: Type.Integer(),
    currency: Type.String(),
    cleaningFee: Type.Integer(),
    weekendPrice: Type.Union([Type.Integer(), Type.Null()]),
    weeklyDiscountPct: Type.Integer(),
    monthlyDiscountPct: Type.Integer(),
    guestsIncluded: Type.Integer(),
    extraGuestFee: Type.Integer(),
    minNights: Type.Integer(),
    maxNights: Type.Union([Type.Integer(), Type.Null()]),
    checkInTime: Type.String(),
    checkOutTime: Type.String(),
    cancellationPolicy: PolicySchema,
    instantBook: Type.Boolean(),
    status: StatusSchema,
    amenities: Type.Array(Type.String()),
    houseRules: Type.Union([Type.String(), Type.Null()]),
    ratingAvg: Type.Number(),
    ratingCount: Type.Integer(),
    photos: Type.Array(PhotoSchema),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Property', examples: [PROPERTY_EXAMPLE] },
);
export type PropertyView = Static<typeof PropertySchema>;

export const SearchQuery = Type.Object(
  {
    city: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'City name', examples: ['Barcelona'] }),
    ),
    country: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z]{2}$',
        maxLength: 2,
        description: 'ISO 3166-1 alpha-2 country code',
        examples: ['ES'],
      }),
    ),
    bbox: Type.Optional(
      Type.String({
        pattern: '^-?\\d+(\\.\\d+)?,-?\\d+(\\.\\d+)?,-?\\d+(\\.\\d+)?,-?\\d+(\\.\\d+)?$',
        maxLength: 100,
        description: 'Map viewport: minLng,minLat,maxLng,maxLat',
        examples: ['2.05,41.32,2.23,41.47'],
      }),
    ),
    lat: Type.Optional(
      Type.Number({
        minimum: -90,
        maximum: 90,
        description: 'Centre latitude (with lng)',
        examples: [41.3874],
      }),
    ),
    lng: Type.Optional(
      Type.Number({
        minimum: -180,
        maximum: 180,
        description: 'Centre longitude (with lat)',
        examples: [2.1686],
      }),
    ),
    radiusKm: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 500,
        description: 'Only homes within this distance of lat/lng',
        examples: [5],
      }),
    ),
    checkIn: Type.Optional(
      Type.String({ ...DateOnly, description: 'With checkOut: only homes free for the stay, priced for it' }),
    ),
    checkOut: Type.Optional(Type.String({ ...DateOnly, description: 'Day of departure (with checkIn)' })),
    guests: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 50,
        description: 'Homes for at least this many guests',
        examples: [2],
      }),
    ),
    minPrice: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'Lowest nightly price (minor units)' }),
    ),
    maxPrice: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100_000_000,
        description: 'Highest nightly price (minor units)',
        examples: [20000],
      }),
    ),
    type: Type.Optional(PropertyTypeSchema),
    amenities: Type.Optional(
      Type.String({
        maxLength: 1000,
        description: 'Comma-separated amenity codes; all must be present',
        examples: ['wifi,kitchen'],
      }),
    ),
    instantBook: Type.Optional(Type.Boolean({ description: 'Only homes booked without host approval' })),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Free text over title and description',
        examples: ['terrace'],
      }),
    ),
    sort: Type.Enum(['relevance', 'price_asc', 'price_desc', 'rating', 'distance', 'newest'], {
      default: 'newest',
      description: '`relevance` needs q; `distance` needs lat and lng',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' }),
    cursor: Type.Optional(
      Type.String({ maxLength: 1024, description: 'The `nextCursor` of the previous page (same filters)' }),
    ),
  },
  { additionalProperties: false },
);
export type SearchQueryInput = Static<typeof SearchQuery>;

export const SearchResultSchema = Type.Object(
  {
    id: Type.String(),
    hostId: Type.String(),
    title: Type.String(),
    propertyType: PropertyTypeSchema,
    city: Type.String(),
    countryCode: Type.String(),
    latitude: Type.Number(),
    longitude: Type.Number(),
    maxGuests: Type.Integer(),
    bedrooms: Type.Integer(),
    nightlyPrice: Type.Integer(),
    currency: Type.String(),
    cleaningFee: Type.Integer(),
    instantBook: Type.Boolean(),
    ratingAvg: Type.Number(),
    ratingCount: Type.Integer(),
    coverPhoto: Type.Union(
      [
        Type.Object({
          id: Type.String(),
          url: Type.String({ description: 'Path of the image under this API (`/media/{key}`)' }),
          contentType: Type.String(),
          caption: Type.Union([Type.String(), Type.Null()]),
        }),
        Type.Null(),
      ],
      { description: 'The photo marked as cover (else the first); null for a listing without photos' },
    ),
    distanceKm: Type.Optional(Type.Number()),
    stay: Type.Optional(
      Type.Object(
        {
          checkIn: DateOnly,
          checkOut: DateOnly,
          nights: Type.Integer(),
          guests: Type.Integer({ description: 'The guests priced (the `guests` asked, else 1)' }),
          nightsSubtotal: Type.Integer(),
          discountPct: Type.Integer(),
          discount: Type.Integer(),
          extraGuestFees: Type.Integer(),
          cleaningFee: Type.Integer(),
          serviceFee: Type.Integer(),
          taxLines: Type.Array(
            Type.Object({
              name: Type.String(),
              kind: Type.Enum(['percent', 'per_night']),
              rateBps: Type.Union([Type.Integer(), Type.Null()]),
              amount: Type.Integer(),
            }),
          ),
          taxes: Type.Integer(),
          total: Type.Integer(),
        },
        {
          description:
            'The price of the stay searched for (with checkIn and checkOut): the same engine, and so the same ' +
            'total, as a quote for those dates and guests',
        },
      ),
    ),
  },
  {
    title: 'SearchResult',
    examples: [
      {
        id: PROPERTY_EXAMPLE.id,
        hostId: PROPERTY_EXAMPLE.hostId,
        title: PROPERTY_EXAMPLE.title,
        propertyType: PROPERTY_EXAMPLE.propertyType,
        city: ADDRESS_EXAMPLE.city,
        countryCode: ADDRESS_EXAMPLE.countryCode,
        latitude: PROPERTY_EXAMPLE.latitude,
        longitude: PROPERTY_EXAMPLE.longitude,
        maxGuests: PROPERTY_EXAMPLE.maxGuests,
        bedrooms: PROPERTY_EXAMPLE.bedrooms,
        nightlyPrice: PROPERTY_EXAMPLE.nightlyPrice,
        currency: PROPERTY_EXAMPLE.currency,
        cleaningFee: PROPERTY_EXAMPLE.cleaningFee,
        instantBook: PROPERTY_EXAMPLE.instantBook,
        ratingAvg: PROPERTY_EXAMPLE.ratingAvg,
        ratingCount: PROPERTY_EXAMPLE.ratingCount,
        coverPhoto: {
          id: PHOTO_EXAMPLE.id,
          url: PHOTO_EXAMPLE.url,
          contentType: PHOTO_EXAMPLE.contentType,
          caption: PHOTO_EXAMPLE.caption,
        },
        distanceKm: 2.3,
        stay: {
          checkIn: '2026-07-10',
          checkOut: '2026-07-13',
          nights: 3,
          guests: 2,
          nightsSubtotal: 41000,
          discountPct: 0,
          discount: 0,
          extraGuestFees: 0,
          cleaningFee: 3500,
          serviceFee: 5340,
          taxLines: [{ name: 'IVA', kind: 'percent', rateBps: 1000, amount: 4450 }],
          taxes: 4450,
          total: 53290,
        },
      },
    ],
  },
);
export type SearchResultView = Static<typeof SearchResultSchema>;

export const CalendarQuery = Type.Object(
  {
    from: Type.String({ ...DateOnly, description: 'First night', examples: ['2026-07-01'] }),
    to: Type.String({
      ...DateOnly,
      description: 'Day after the last night (exclusive)',
      examples: ['2026-07-04'],
    }),
  },
  { additionalProperties: false },
);

export const CalendarDaySchema = Type.Object({
  date: DateOnly,
  state: Type.Enum(['available', 'booked', 'blocked']),
  price: Type.Integer({
    description: 'The nightly price that night (override or listing price), minor units',
  }),
});

/** A calendar as GET and PUT …/calendar answer it. */
export const CalendarSchema = Type.Object(
  {
    propertyId: Type.String(),
    from: Type.String(),
    to: Type.String(),
    days: Type.Array(CalendarDaySchema),
  },
  {
    title: 'Calendar',
    examples: [
      {
        propertyId: PROPERTY_EXAMPLE.id,
        from: '2026-07-01',
        to: '2026-07-04',
        days: [
          { date: '2026-07-01', state: 'available', price: 12000 },
          { date: '2026-07-02', state: 'booked', price: 12000 },
          { date: '2026-07-03', state: 'blocked', price: 14500 },
        ],
      },
    ],
  },
);

export const CalendarUpdateBody = Type.Object(
  {
    from: DateOnly,
    to: Type.String({ ...DateOnly, description: 'Last night of the range (inclusive)' }),
    blocked: Type.Optional(Type.Boolean()),
    price: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: 100_000_000 }), Type.Null()], {
        description: 'Nightly price override; null clears it',
      }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 3,
    examples: [{ from: '2026-07-03', to: '2026-07-05', blocked: false, price: 14500 }],
  },
);

export const MyPropertiesQuery = Type.Object(
  {
    status: Type.Optional(StatusSchema),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' }),
    cursor: Type.Optional(
      Type.String({ maxLength: 512, description: 'The `nextCursor` of the previous page' }),
    ),
  },
  { additionalProperties: false },
);
