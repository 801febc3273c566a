import { type Static, Type } from 'typebox';

/** A user as the API shows them (also the example of the responses that carry one). */
export const USER_EXAMPLE = {
  id: 'b3e1c9a2-5f4d-4c7e-9a1b-2d3e4f5a6b7c',
  email: 'ana.garcia@example.com',
  firstName: 'Ana',
  lastName: 'García',
  phone: '+34 612 345 678',
  role: 'guest' as const,
  emailVerified: true,
  suspended: false,
  createdAt: '2026-03-14T09:26:53.000Z',
};
/** An access token as login, refresh and become-host answer it (a JWT; shortened). */
export const ACCESS_TOKEN_EXAMPLE =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiM2UxYzlhMi01ZjRkIiwicm9sZSI6Imd1ZXN0In0.4qZ9mV0sY1bX7cK2nR8tW3eH6jL5pA0dF9gU1iO2yTs';

export const RoleSchema = Type.Enum(['guest', 'host', 'admin']);

export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String({ format: 'email' }),
    firstName: Type.String(),
    lastName: Type.String(),
    phone: Type.Union([Type.String(), Type.Null()]),
    role: RoleSchema,
    emailVerified: Type.Boolean(),
    suspended: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'User', examples: [USER_EXAMPLE] },
);
export type UserView = Static<typeof UserSchema>;

/** become-host's answer: the account as a host, and a fresh access token for the same session. */
export const BecameHostSchema = Type.Object(
  {
    user: UserSchema,
    accessToken: Type.String(),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  },
  {
    title: 'BecameHost',
    examples: [
      {
        user: { ...USER_EXAMPLE, role: 'host' },
        accessToken: ACCESS_TOKEN_EXAMPLE,
        tokenType: 'Bearer',
        expiresIn: 900,
      },
    ],
  },
);
export type BecameHost = Static<typeof BecameHostSchema>;

export const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
export const Phone = Type.String({
  pattern: '^\\+?[0-9 ()-]{6,32}$',
  maxLength: 33,
  description: 'E.164 or national format',
});

export const UpdateMeBody = Type.Object(
  {
    firstName: Type.Optional(Name),
    lastName: Type.Optional(Name),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    examples: [{ firstName: 'Ana María', phone: '+34 612 345 678' }],
  },
);

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
    newPassword: Type.String({
      maxLength: 256,
      description: '10–128 characters with at least one letter and one digit',
    }),
  },
  {
    additionalProperties: false,
    examples: [{ currentPassword: 'correct-horse-42', newPassword: 'battery-staple-2026' }],
  },
);

export const ListUsersQuery = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    email: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 254,
        description: 'Part of the email address',
        examples: ['garcia'],
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' }),
    cursor: Type.Optional(
      Type.String({ maxLength: 512, description: 'The `nextCursor` of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

export const ChangeRoleBody = Type.Object(
  {
    role: RoleSchema,
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1000, description: 'Why (kept in the audit log)' }),
    ),
  },
  { additionalProperties: false, examples: [{ role: 'host', reason: 'Verified host application' }] },
);

export const UserCursor = Type.Object({ id: Type.String({ format: 'uuid' }) });
