import { type Static, Type } from 'typebox';

const Stars = Type.Integer({ minimum: 1, maximum: 5 });

const REVIEW_BODY_EXAMPLE = 'Spotless loft, great terrace and a very quiet street. Ana was quick to answer.';
/** The stars of the example review, as written (the create body) and as read (the review). */
const RATINGS_EXAMPLE = {
  rating: 5,
  cleanliness: 5,
  accuracy: 5,
  communication: 5,
  location: 4,
  checkIn: 5,
  value: 4,
};
export const REVIEW_EXAMPLE = {
  id: '9c1d3e5f-2a4b-4c6d-8e0f-1a3b5c7d9e2f',
  bookingId: 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d',
  propertyId: '7c2e4a10-3b8f-4d6e-a1c5-9f0b2d4e6a8c',
  guestId: 'b3e1c9a2-5f4d-4c7e-9a1b-2d3e4f5a6b7c',
  ...RATINGS_EXAMPLE,
  body: REVIEW_BODY_EXAMPLE,
  hostReply: 'Thank you, come back any time!',
  hostRepliedAt: '2026-07-16T08:12:00.000Z',
  hidden: false,
  createdAt: '2026-07-14T19:40:00.000Z',
  updatedAt: '2026-07-16T08:12:00.000Z',
};
export const GUEST_RATING_EXAMPLE = {
  id: '4e6f8a0b-2c3d-4e5f-8a9b-0c1d2e3f4a5b',
  bookingId: REVIEW_EXAMPLE.bookingId,
  hostId: '0d9f8e7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b',
  guestId: REVIEW_EXAMPLE.guestId,
  rating: 5,
  body: 'Left the place tidy and kept the house rules.',
  createdAt: '2026-07-15T10:00:00.000Z',
};
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
  {
    additionalProperties: false,
    examples: [
      {
        bookingId: REVIEW_EXAMPLE.bookingId,
        ...RATINGS_EXAMPLE,
        body: REVIEW_BODY_EXAMPLE,
      },
    ],
  },
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
  { additionalProperties: false, minProperties: 1, examples: [{ value: 5 }] },
);
export type UpdateReviewInput = Static<typeof UpdateReviewBody>;

export const ReplyBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false, examples: [{ body: 'Thank you, come back any time!' }] },
);
export const HideBody = Type.Object(
  { reason: Type.String({ minLength: 3, maxLength: 500, description: 'Kept for the moderation record' }) },
  { additionalProperties: false, examples: [{ reason: 'Contains a phone number (off-platform contact)' }] },
);
export const UnhideBody = Type.Object(
  {
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: 'Kept in the audit log' }),
    ),
  },
  { additionalProperties: false, examples: [{ reason: 'Appeal accepted: the number was the venue’s' }] },
);
export const GuestRatingBody = Type.Object(
  {
    bookingId: Type.String({ format: 'uuid' }),
    rating: Stars,
    body: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  {
    additionalProperties: false,
    examples: [{ bookingId: REVIEW_EXAMPLE.bookingId, rating: 5, body: GUEST_RATING_EXAMPLE.body }],
  },
);

export const ReviewSchema = Type.Object(
  {
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
  },
  { title: 'Review', examples: [REVIEW_EXAMPLE] },
);
export type ReviewView = Static<typeof ReviewSchema>;

export const GuestRatingSchema = Type.Object(
  {
    id: Type.String(),
    bookingId: Type.String(),
    hostId: Type.String(),
    guestId: Type.String(),
    rating: Type.Integer(),
    body: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'GuestRating', examples: [GUEST_RATING_EXAMPLE] },
);

export const ReviewsQuery = Type.Object(
  {
    sort: Type.Enum(['newest', 'highest'], {
      default: 'newest',
      description: 'Newest or highest rated first',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' }),
    cursor: Type.Optional(
      Type.String({ maxLength: 512, description: 'The `nextCursor` of the previous page' }),
    ),
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
