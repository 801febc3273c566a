/** The admin API over users: search, one user's full picture, sign them out everywhere. */
import { Type } from 'typebox';
import { userDetail } from '../../flows/admin-users.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, idParams, pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import { PageQuery } from '../../platform/pagination.js';
import { signOutEverywhere } from './auth.service.js';
import { RoleSchema, USER_EXAMPLE } from './users.schemas.js';
import { adminSearchUsers } from './users.service.js';

const Nullable = (s: ReturnType<typeof Type.String>) => Type.Union([s, Type.Null()]);

const ADMIN_USER_EXAMPLE = {
  id: USER_EXAMPLE.id,
  email: USER_EXAMPLE.email,
  firstName: USER_EXAMPLE.firstName,
  lastName: USER_EXAMPLE.lastName,
  role: USER_EXAMPLE.role,
  suspended: false,
  deleted: false,
  createdAt: USER_EXAMPLE.createdAt,
};

const adminUserFields = {
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  firstName: Type.String(),
  lastName: Type.String(),
  role: RoleSchema,
  suspended: Type.Boolean(),
  deleted: Type.Boolean({ description: 'The account was erased (anonymized)' }),
  createdAt: Type.String({ format: 'date-time' }),
};

export const AdminUserSummarySchema = Type.Object(adminUserFields, {
  title: 'AdminUserSummary',
  examples: [ADMIN_USER_EXAMPLE],
});

const SESSION_EXAMPLE = {
  id: '0193a5b2-3333-7e2f-8a3b-4c5d6e7f8091',
  kind: 'api' as const,
  createdAt: '2026-11-20T08:00:00.000Z',
  lastUsedAt: '2026-11-26T07:45:00.000Z',
  ip: '203.0.113.7',
  userAgent: 'Roost/3.2 (iPhone; iOS 18.1)',
};

export const SessionSummarySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'The session (refresh-token family) id' }),
    kind: Type.Enum(['api', 'console'], {
      description: '`api`: refresh tokens; `console`: operator console',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When it last refreshed its tokens',
    }),
    ip: Nullable(Type.String()),
    userAgent: Nullable(Type.String()),
  },
  { title: 'SessionSummary', examples: [SESSION_EXAMPLE] },
);

const BOOKING_SUMMARY_EXAMPLE = {
  id: '0193a5b2-4444-7e2f-8a3b-4c5d6e7f8091',
  propertyId: '0193a5b2-5555-7e2f-8a3b-4c5d6e7f8091',
  checkIn: '2026-12-18',
  checkOut: '2026-12-22',
  status: 'confirmed',
  total: 68_400,
  currency: 'EUR',
};

const LISTING_SUMMARY_EXAMPLE = {
  id: '0193a5b2-5555-7e2f-8a3b-4c5d6e7f8091',
  title: 'Sunny loft by the Turia gardens',
  city: 'Valencia',
  countryCode: 'ES',
  hostId: USER_EXAMPLE.id,
  status: 'listed' as const,
  unlistedReason: null,
  nightlyPrice: 14_500,
  currency: 'EUR',
  createdAt: '2026-04-02T10:00:00.000Z',
};

/** A listing in a user's admin view (the same fields as `GET /api/v1/admin/listings` lists). */
const UserListingSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  title: Type.String(),
  city: Type.String(),
  countryCode: Type.String(),
  hostId: Type.String({ format: 'uuid' }),
  status: Type.Enum(['draft', 'listed', 'unlisted']),
  unlistedReason: Type.Union([Type.String(), Type.Null()], {
    description: 'Why an admin took it down (null unless an admin did)',
  }),
  nightlyPrice: Type.Integer({ description: 'Minor units (cents)' }),
  currency: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

const AdminUserDetailSchema = Type.Object(
  {
    user: Type.Object({
      ...adminUserFields,
      phone: Nullable(Type.String()),
      emailVerified: Type.Boolean(),
      totpEnabled: Type.Boolean({ description: 'Has a second factor (admins)' }),
    }),
    sessions: Type.Array(SessionSummarySchema, { description: 'Open sessions, newest first' }),
    bookings: Type.Array(
      Type.Object({
        id: Type.String({ format: 'uuid' }),
        propertyId: Type.String({ format: 'uuid' }),
        checkIn: Type.String({ format: 'date' }),
        checkOut: Type.String({ format: 'date' }),
        status: Type.String(),
        total: Type.Integer({ description: 'Minor units' }),
        currency: Type.String(),
      }),
      { description: 'Their latest stays as a guest (at most 20), by check-in, newest first' },
    ),
    listings: Type.Array(UserListingSchema, {
      description: 'Their listings as a host (at most 20), newest first',
    }),
  },
  {
    title: 'AdminUserDetail',
    examples: [
      {
        user: { ...ADMIN_USER_EXAMPLE, phone: USER_EXAMPLE.phone, emailVerified: true, totpEnabled: false },
        sessions: [SESSION_EXAMPLE],
        bookings: [BOOKING_SUMMARY_EXAMPLE],
        listings: [LISTING_SUMMARY_EXAMPLE],
      },
    ],
  },
);

export const AdminUsersQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 254,
        description: 'Part of the email address, first name or last name (case-insensitive)',
        examples: ['garcia'],
      }),
    ),
    role: Type.Optional(RoleSchema),
    status: Type.Optional(
      Type.Enum(['active', 'suspended', 'deleted'], {
        description: '`active`: neither suspended nor erased',
      }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);

/** An optional reason, kept in the audit log. */
export const ReasonBody = Type.Object(
  {
    reason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1000, description: 'Why (kept in the audit log)' }),
    ),
  },
  { additionalProperties: false, examples: [{ reason: 'Account takeover reported by the user' }] },
);

/** A bodiless POST validates as `{}` (the reason is optional). */
export const optionalBody = async (req: { body: unknown }) => {
  req.body ??= {};
};

const UserIdParams = idParams('The user id', USER_EXAMPLE.id);

export async function adminUsersRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['admin'];
  const security = bearerSecurity;

  app.get(
    '/',
    {
      schema: {
        tags,
        security,
        operationId: 'adminSearchUsers',
        summary: 'Search users',
        description:
          'Admin only. Users newest first, by part of the email or name, role and status ' +
          '(`active`, `suspended`, `deleted`); keyset pages (pass `nextCursor` as `cursor`).',
        querystring: AdminUsersQuery,
        response: {
          200: pageResponse(AdminUserSummarySchema, 'A page of users'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => adminSearchUsers(ctx, requireActor(req), req.query),
  );

  app.get(
    '/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'adminGetUser',
        summary: 'One user, for an admin',
        description:
          'Admin only. The account, its open sessions (never their tokens), its latest 20 bookings as a ' +
          'guest and its listings as a host.',
        params: UserIdParams,
        response: {
          200: described(AdminUserDetailSchema, 'The user'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => userDetail(ctx, requireActor(req), req.params.id),
  );

  app.post(
    '/:id/sign-out-everywhere',
    {
      preValidation: optionalBody,
      schema: {
        tags,
        security,
        operationId: 'adminSignOutEverywhere',
        summary: 'Sign a user out everywhere',
        description:
          'Admin only. Revokes every session of the user (API refresh tokens and console sessions): their ' +
          'access tokens stop working at once and refresh tokens are refused. The account stays usable ' +
          '(they can sign in again). Recorded in the audit log with the optional reason.',
        params: UserIdParams,
        body: ReasonBody,
        response: {
          200: Type.Object(
            { revoked: Type.Integer({ minimum: 0, description: 'How many sessions were open' }) },
            { description: 'The sessions were revoked', examples: [{ revoked: 2 }] },
          ),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => signOutEverywhere(ctx, requireActor(req), req.params.id, req.body.reason),
  );
}
