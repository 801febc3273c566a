/**
 * Privacy tools over REST (issue 16): a user downloads all their data and erases their account; an
 * admin does both for any user. The work is in src/flows/privacy.ts.
 */
import { Type } from 'typebox';
import { eraseUser, exportUserData } from '../../flows/privacy.js';
import { assertRole, bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import type { FileStore } from '../../platform/file-store.js';
import { described, noContent, problemResponses, type RoostApp } from '../../platform/http.js';
import { PASSWORD_MAX } from '../../platform/passwords.js';
import { rateLimitGuard } from '../../platform/rate-limit.js';
import { USER_EXAMPLE } from './users.schemas.js';

const Rows = (description: string) =>
  Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 1_000_000, description });

const EXPORT_EXAMPLE = {
  format: 'roost-export/1',
  exportedAt: '2026-11-26T18:00:00.000Z',
  user: {
    id: USER_EXAMPLE.id,
    email: 'ada@example.com',
    firstName: 'Ada',
    lastName: 'Lovelace',
    phone: '+447700900123',
    role: 'host',
    emailVerifiedAt: '2026-01-02T10:00:00.000Z',
    suspendedAt: null,
    twoFactorEnabledAt: null,
    createdAt: '2026-01-02T09:58:00.000Z',
    updatedAt: '2026-01-02T10:00:00.000Z',
  },
  sessions: [
    {
      id: '01937d1c-1111-7000-8000-000000000001',
      sessionId: '01937d1c-1111-7000-8000-000000000002',
      kind: 'api',
      createdAt: '2026-11-20T08:00:00.000Z',
      expiresAt: '2026-12-20T08:00:00.000Z',
      rotatedAt: null,
      revokedAt: null,
      revokedReason: null,
      userAgent: 'RoostApp/3.1 (iOS)',
      ip: '203.0.113.7',
    },
  ],
  accountTokens: [],
  emails: [
    {
      id: '01937d1c-2222-7000-8000-000000000001',
      template: 'verify_email',
      status: 'sent',
      createdAt: '2026-01-02T09:58:00.000Z',
      sentAt: '2026-01-02T09:58:05.000Z',
    },
  ],
  idempotencyKeys: [],
  listings: [],
  bookings: { asGuest: [], asHost: [], changesRequested: [], changesDecided: [], statusChangesMade: [] },
  payments: [],
  refunds: [],
  payoutAccounts: [],
  payouts: [],
  reviews: { written: [], received: [], guestRatingsGiven: [], guestRatingsReceived: [] },
  conversations: [],
  preApprovals: [],
  supportReads: [],
  notifications: [],
  notificationPreferences: [],
};

export const UserExportSchema = Type.Object(
  {
    format: Type.String({ description: 'The document format and its version' }),
    exportedAt: Type.String({ format: 'date-time' }),
    user: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The profile (no password hash, no second-factor secret)',
    }),
    sessions: Rows('Sign-in sessions (no token hashes)'),
    accountTokens: Rows('One-time links issued (email verification, password reset): when, not the token'),
    emails: Rows('Emails written to the user: template, status, when'),
    idempotencyKeys: Rows('Idempotency keys the user sent (request replay records)'),
    listings: Rows('Listings they host, with photo metadata, amenities and calendar overrides'),
    bookings: Type.Object({
      asGuest: Rows('Bookings they made, each with its status history'),
      asHost: Rows('Bookings of their listings, each with its status history'),
      changesRequested: Rows('Changes of a stay (dates, guests) they asked for'),
      changesDecided: Rows('Changes of a stay they accepted or declined (as host, or as an admin)'),
      statusChangesMade: Rows('Status changes they made on bookings (as an admin, too)'),
    }),
    payments: Rows('Payments of their bookings (as guest or host)'),
    refunds: Rows('Refunds of their bookings'),
    payoutAccounts: Rows('Their payout account at the payment provider (as host)'),
    payouts: Rows('Payouts made to them (as host)'),
    reviews: Type.Object({
      written: Rows('Reviews they wrote as guest'),
      received: Rows('Reviews of their listings'),
      guestRatingsGiven: Rows('Ratings they gave guests as host'),
      guestRatingsReceived: Rows('Ratings hosts gave them'),
    }),
    conversations: Rows('Conversations they take part in, with every message'),
    preApprovals: Rows('Pre-approvals they gave or received'),
    supportReads: Rows('Conversations they read as an admin (support)'),
    notifications: Rows('Their notification feed'),
    notificationPreferences: Rows('Their email preferences per category'),
  },
  {
    additionalProperties: false,
    description: 'Everything Roost holds about the user',
    examples: [EXPORT_EXAMPLE],
  },
);

const EraseMeBody = Type.Object(
  {
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX, description: 'The current password' }),
    confirm: Type.Literal('DELETE', { description: 'The word DELETE, to confirm' }),
  },
  { additionalProperties: false, examples: [{ password: 'correct-horse-42', confirm: 'DELETE' }] },
);

const EraseUserBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 1000, description: 'Why (kept in the audit log)' }),
  },
  { additionalProperties: false, examples: [{ reason: 'Erasure requested by email, ticket #4521' }] },
);

const UserIdParams = Type.Object(
  { id: Type.String({ format: 'uuid', description: 'The user id', examples: [USER_EXAMPLE.id] }) },
  { additionalProperties: false },
);

const ERASE_DESCRIPTION =
  'Anonymizes the person in place: name, email and phone, the text of their messages and reviews, ' +
  'their listings’ address, arrival details and photos; signs them out everywhere. Bookings, payments, ' +
  'refunds and the ledger stay (they refer to the user by id only). 409 `has_upcoming_stay` while they ' +
  'have a stay to come as guest, `host_has_upcoming_stays` while their listings do.';

const attachment = (id: string) => `attachment; filename="roost-export-${id}.json"`;

/** Registered under `/api/v1`. */
export async function privacyRoutes(
  app: RoostApp,
  { ctx, files }: { ctx: ServiceContext; files?: FileStore | undefined },
) {
  const security = bearerSecurity;
  // An export reads every table about the user: a few an hour is plenty.
  const exportLimit = rateLimitGuard(app, {
    name: 'user-export',
    max: 10,
    windowMs: 3_600_000,
    key: (r) => r.actor?.userId ?? r.ip,
  });

  app.get(
    '/users/me/export',
    {
      preHandler: exportLimit,
      schema: {
        tags: ['users'],
        security,
        operationId: 'exportMyData',
        summary: 'Download all my data',
        description:
          'Everything Roost holds about the signed-in user, as one JSON document (sent as an attachment): ' +
          'profile, sessions, listings, bookings (as guest and host) with payments and refunds, reviews, ' +
          'conversations with their messages, notifications and emails. At most 10 an hour.',
        response: {
          200: described(UserExportSchema, 'The export'),
          ...problemResponses(401, 429),
        },
      },
    },
    async (req, reply) => {
      const actor = requireActor(req);
      const doc = await exportUserData(ctx, actor, actor.userId);
      reply.header('content-disposition', attachment(actor.userId));
      return doc;
    },
  );

  app.delete(
    '/users/me',
    {
      schema: {
        tags: ['users'],
        security,
        operationId: 'eraseMe',
        summary: 'Delete my account',
        description: `Needs the current password (403 \`invalid_credentials\` when wrong) and \`confirm: "DELETE"\`. ${ERASE_DESCRIPTION} Cannot be undone.`,
        body: EraseMeBody,
        response: { 204: noContent('The account is erased'), ...problemResponses(400, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const actor = requireActor(req);
      await eraseUser(ctx, actor, actor.userId, { password: req.body.password, files });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/admin/users/:id/export',
    {
      schema: {
        tags: ['admin'],
        security,
        operationId: 'exportUserData',
        summary: "Download a user's data",
        description: 'Admin only. The same document a user downloads for themself (recorded as a `view`).',
        params: UserIdParams,
        response: {
          200: described(UserExportSchema, 'The export'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req, reply) => {
      const actor = requireActor(req);
      assertRole(actor, 'admin'); // anyone else: 403 (their own data is at /users/me/export)
      const doc = await exportUserData(ctx, actor, req.params.id);
      reply.header('content-disposition', attachment(req.params.id));
      return doc;
    },
  );

  app.delete(
    '/admin/users/:id',
    {
      schema: {
        tags: ['admin'],
        security,
        operationId: 'eraseUser',
        summary: "Erase a user's account",
        description: `Admin only, with a reason (audit log). ${ERASE_DESCRIPTION} 409 \`cannot_erase_self\` for the admin themself, \`already_erased\` when done before.`,
        params: UserIdParams,
        body: EraseUserBody,
        response: { 204: noContent('The account is erased'), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await eraseUser(ctx, requireActor(req), req.params.id, {
        admin: true,
        reason: req.body.reason,
        files,
      });
      return reply.code(204).send(null);
    },
  );
}
