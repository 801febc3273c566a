import { type Static, Type } from 'typebox';

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
  { title: 'User' },
);
export type UserView = Static<typeof UserSchema>;

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
  { additionalProperties: false, minProperties: 1 },
);

export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: 256 }),
    newPassword: Type.String({ maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const ListUsersQuery = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export const ChangeRoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });

export const UserCursor = Type.Object({ id: Type.String({ format: 'uuid' }) });
