import { type Static, Type } from 'typebox';

const Stars = Type.Integer({ minimum: 1, maximum: 5 });
export const SUB_RATINGS = [
  'cleanliness',
  'accuracy',
  'communication',
  'location',
  'checkIn',
  'value',
] as const;

export const CreateReviewBody = Type.Object(
  {
    bookingId: Type.String({ format: 'uuid' }),
    rating: Stars,
    cleanliness: Stars,
    accuracy: Stars,
    communication: Stars,
    location: Stars,
    checkIn: Stars,
    value: Stars,
    body: Type.String({ minLength: 20, maxLength: 5000 }),
  },
  { additionalProperties: false },
);
export type CreateReviewInput = Static<typeof CreateReviewBody>;

export const UpdateReviewBody = Type.Object(
  {
    rating: Type.Optional(Stars),
    cleanliness: Type.Optional(Stars),
    accuracy: Type.Optional(Stars),
    communication: Type.Optional(Stars),
    location: Type.Optional(Stars),
    checkIn: Type.Optional(Stars),
    value: Type.Optional(Stars),
    body: Type.Optional(Type.String({ minLength: 20, maxLength: 5000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateReviewInput = Static<typeof UpdateReviewBody>;

export const ReplyBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);
export const HideBody = Type.Object(
  { reason: Type.String({ minLength: 3, maxLength: 500 }) },
  { additionalProperties: false },
);
export const GuestRatingBody = Type.Object(
  {
    bookingId: Type.String({ format: 'uuid' }),
    rating: Stars,
    body: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const ReviewSchema = Type.Object({
  id: Type.String(),
  bookingId: Type.String(),
  propertyId: Type.String(),
  guestId: Type.String(),
  rating: Type.Integer(),
  cleanliness: Type.Integer(),
  accuracy: Type.Integer(),
  communication: Type.Integer(),
  location: Type.Integer(),
  checkIn: Type.Integer(),
  value: Type.Integer(),
  body: Type.String(),
  hostReply: Type.Union([Type.String(), Type.Null()]),
  hostRepliedAt: Type.Union([Type.String(), Type.Null()]),
  hidden: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type ReviewView = Static<typeof ReviewSchema>;

export const GuestRatingSchema = Type.Object({
  id: Type.String(),
  bookingId: Type.String(),
  hostId: Type.String(),
  guestId: Type.String(),
  rating: Type.Integer(),
  body: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const ReviewsQuery = Type.Object(
  {
    sort: Type.Enum(['newest', 'highest'], { default: 'newest' }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

/** The keyset cursor of each sort order: what its value must be, so a crafted cursor is a 400. */
export const ReviewCursors = {
  newest: Type.Object({
    v: Type.String({ format: 'date-time', maxLength: 30 }),
    id: Type.String({ format: 'uuid' }),
  }),
  highest: Type.Object({ v: Type.Integer({ minimum: 1, maximum: 5 }), id: Type.String({ format: 'uuid' }) }),
};
