import { Type } from 'typebox';
import { Name, Phone, UserSchema } from './users.schemas.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
/** Length and content rules are applied by the service (with a precise message); this caps the size. */
const Password = Type.String({ minLength: 1, maxLength: 256 });
const OpaqueToken = Type.String({ minLength: 16, maxLength: 256 });

export const RegisterBody = Type.Object(
  {
    email: Email,
    password: Type.String({
      maxLength: 256,
      description: '10–128 characters with at least one letter and one digit',
    }),
    firstName: Name,
    lastName: Name,
    phone: Type.Optional(Phone),
  },
  { additionalProperties: false },
);

export const LoginBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });
export const RefreshBody = Type.Object({ refreshToken: OpaqueToken }, { additionalProperties: false });
export const TokenBody = Type.Object({ token: OpaqueToken }, { additionalProperties: false });
export const EmailBody = Type.Object({ email: Email }, { additionalProperties: false });
export const ResetPasswordBody = Type.Object(
  { token: OpaqueToken, password: Type.String({ maxLength: 256 }) },
  { additionalProperties: false },
);

export const SessionSchema = Type.Object(
  {
    accessToken: Type.String(),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
    refreshToken: Type.String(),
    refreshTokenExpiresAt: Type.String({ format: 'date-time' }),
    user: UserSchema,
  },
  { title: 'Session' },
);

export const Accepted = Type.Object({ status: Type.Literal('accepted') });
