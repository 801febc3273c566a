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
    minNights: Type.Optional(editable.minNights),
    maxNights: Type.Optional(editable.maxNights),
    checkInTime: Type.Optional(editable.checkInTime),
    checkOutTime: Type.Optional(editable.checkOutTime),
    cancellationPolicy: Type.Optional(editable.cancellationPolicy),
    instantBook: Type.Optional(editable.instantBook),
    amenities: Type.Optional(editable.amenities),
    houseRules: Type.Optional(editable.houseRules),
  },
  { additionalProperties: false },
);
export type CreatePropertyInput = Static<typeof CreatePropertyBody>;

export const UpdatePropertyBody = Type.Object(
  Object.fromEntries(Object.entries(editable).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof typeof editable]: ReturnType<typeof Type.Optional<(typeof editable)[K]>>;
  },
  { additionalProperties: false, minProperties: 1 },
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

export const PropertySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  hostId: Type.String({ format: 'uuid' }),
  title: Type.String(),
  description: Type.String(),
  propertyType: PropertyTypeSchema,
  address: Type.Object({
    street: Type.String(),
    city: Type.String(),
    region: Type.Union([Type.String(), Type.Null()]),
    countryCode: Type.String(),
    postalCode: Type.Union([Type.String(), Type.Null()]),
  }),
  latitude: Type.Number(),
  longitude: Type.Number(),
  maxGuests: Type.Integer(),
  bedrooms: Type.Integer(),
  beds: Type.Integer(),
  bathrooms: Type.Number(),
  nightlyPrice: Type.Integer(),
  currency: Type.String(),
  cleaningFee: Type.Integer(),
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
});
export type PropertyView = Static<typeof PropertySchema>;

export const SearchQuery = Type.Object(
  {
    city: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    country: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$', maxLength: 2 })),
    bbox: Type.Optional(
      Type.String({
        pattern: '^-?\\d+(\\.\\d+)?,-?\\d+(\\.\\d+)?,-?\\d+(\\.\\d+)?,-?\\d+(\\.\\d+)?$',
        maxLength: 100,
        description: 'minLng,minLat,maxLng,maxLat',
      }),
    ),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lng: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    radiusKm: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 500 })),
    checkIn: Type.Optional(DateOnly),
    checkOut: Type.Optional(DateOnly),
    guests: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    minPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    maxPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    type: Type.Optional(PropertyTypeSchema),
    amenities: Type.Optional(
      Type.String({ maxLength: 1000, description: 'Comma-separated codes; all must be present' }),
    ),
    instantBook: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    sort: Type.Enum(['relevance', 'price_asc', 'price_desc', 'rating', 'distance', 'newest'], {
      default: 'newest',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type SearchQueryInput = Static<typeof SearchQuery>;

export const SearchResultSchema = Type.Object({
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
  distanceKm: Type.Optional(Type.Number()),
  stay: Type.Optional(
    Type.Object({
      checkIn: DateOnly,
      checkOut: DateOnly,
      nights: Type.Integer(),
      nightsSubtotal: Type.Integer(),
      cleaningFee: Type.Integer(),
      serviceFee: Type.Integer(),
      taxes: Type.Integer(),
      total: Type.Integer(),
    }),
  ),
});
export type SearchResultView = Static<typeof SearchResultSchema>;

export const CalendarQuery = Type.Object({ from: DateOnly, to: DateOnly }, { additionalProperties: false });

export const CalendarDaySchema = Type.Object({
  date: DateOnly,
  state: Type.Enum(['available', 'booked', 'blocked']),
  price: Type.Integer(),
});

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
  { additionalProperties: false, minProperties: 3 },
);

export const MyPropertiesQuery = Type.Object(
  {
    status: Type.Optional(StatusSchema),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
