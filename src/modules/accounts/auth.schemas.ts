import { Type } from 'typebox';
import { ACCESS_TOKEN_EXAMPLE, Name, Phone, USER_EXAMPLE, UserSchema } from './users.schemas.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
/** Length and content rules are applied by the service (with a precise message); this caps the size. */
const Password = Type.String({ minLength: 1, maxLength: 256 });
export const OpaqueToken = Type.String({ minLength: 16, maxLength: 256 });

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
  {
    additionalProperties: false,
    examples: [
      {
        email: 'ana.garcia@example.com',
        password: 'correct-horse-42',
        firstName: 'Ana',
        lastName: 'García',
        phone: '+34 612 345 678',
      },
    ],
  },
);

const REFRESH_TOKEN_EXAMPLE = 'h3Zt9Qm1LwXc0aR7uYb2Ne5Kd8Jf4Gs6Hp1Vq3Tr0Ui';
const EMAIL_TOKEN_EXAMPLE = 'Xk2pN9wQ4rT7vY0bM3cF6hJ8lZ1sD5gA-eU_iO2nB4x';

export const LoginBody = Type.Object(
  { email: Email, password: Password },
  {
    additionalProperties: false,
    examples: [{ email: 'ana.garcia@example.com', password: 'correct-horse-42' }],
  },
);
export const RefreshBody = Type.Object(
  { refreshToken: OpaqueToken },
  { additionalProperties: false, examples: [{ refreshToken: REFRESH_TOKEN_EXAMPLE }] },
);
export const TokenBody = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 256, description: 'The token from the email link' }) },
  { additionalProperties: false, examples: [{ token: EMAIL_TOKEN_EXAMPLE }] },
);
export const EmailBody = Type.Object(
  { email: Email },
  { additionalProperties: false, examples: [{ email: 'ana.garcia@example.com' }] },
);
export const ResetPasswordBody = Type.Object(
  {
    token: Type.String({ minLength: 16, maxLength: 256, description: 'The token from the reset email' }),
    password: Type.String({
      maxLength: 256,
      description: '10–128 characters with at least one letter and one digit',
    }),
  },
  {
    additionalProperties: false,
    examples: [{ token: EMAIL_TOKEN_EXAMPLE, password: 'battery-staple-2026' }],
  },
);

export const SessionSchema = Type.Object(
  {
    accessToken: Type.String({ description: 'Send as `Authorization: Bearer <accessToken>`' }),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
    refreshToken: Type.String({ description: 'Single use: `POST /api/v1/auth/refresh` answers a new one' }),
    refreshTokenExpiresAt: Type.String({ format: 'date-time' }),
    user: UserSchema,
  },
  {
    title: 'Session',
    examples: [
      {
        accessToken: ACCESS_TOKEN_EXAMPLE,
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: REFRESH_TOKEN_EXAMPLE,
        refreshTokenExpiresAt: '2026-04-13T09:30:00.000Z',
        user: USER_EXAMPLE,
      },
    ],
  },
);

export const Accepted = Type.Object(
  { status: Type.Literal('accepted') },
  { examples: [{ status: 'accepted' }] },
);
