import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, noContent, pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import { optionalBody, ReasonBody } from './admin-users.routes.js';
import { changePassword, setSuspended } from './auth.service.js';
import {
  BecameHostSchema,
  ChangePasswordBody,
  ChangeRoleBody,
  ListUsersQuery,
  UpdateMeBody,
  USER_EXAMPLE,
  UserSchema,
} from './users.schemas.js';
import * as users from './users.service.js';

const UserIdParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'The user id', examples: [USER_EXAMPLE.id] }),
});

export async function usersRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['users'];
  const security = bearerSecurity;

  app.get(
    '/me',
    {
      schema: {
        tags,
        security,
        operationId: 'getMe',
        summary: 'Get the signed-in user',
        description: 'The account the access token belongs to.',
        response: { 200: described(UserSchema, 'The signed-in user'), ...problemResponses(401) },
      },
    },
    async (req) => users.getMe(ctx, requireActor(req)),
  );

  app.patch(
    '/me',
    {
      schema: {
        tags,
        security,
        operationId: 'updateMe',
        summary: 'Update my name or phone',
        description:
          'Changes the given fields only (at least one). `phone: null` removes the phone number. The email ' +
          'address and the role cannot be changed here.',
        body: UpdateMeBody,
        response: { 200: described(UserSchema, 'The updated account'), ...problemResponses(400, 401) },
      },
    },
    async (req) => users.updateMe(ctx, requireActor(req), req.body),
  );

  app.post(
    '/me/password',
    {
      schema: {
        tags,
        security,
        operationId: 'changePassword',
        summary: 'Change my password',
        description:
          'Needs the current password. Signs out every other session of the account (this one stays ' +
          'signed in). 400 `validation_error` for a new password that breaks the rules, ' +
          '`invalid_credentials` for a wrong current password.',
        body: ChangePasswordBody,
        response: { 204: noContent('Password changed'), ...problemResponses(400, 401) },
      },
    },
    async (req, reply) => {
      await changePassword(ctx, requireActor(req), req.body);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/me/become-host',
    {
      schema: {
        tags,
        security,
        operationId: 'becomeHost',
        summary: 'Become a host',
        description:
          'Turns a guest account into a host account, which can create listings. Answers a fresh access ' +
          'token carrying the new role (the refresh token stays valid). 409 `already_host` for a host or admin.',
        response: {
          200: described(BecameHostSchema, 'The account as a host, and a new access token'),
          ...problemResponses(401, 409),
        },
      },
    },
    async (req) => users.becomeHost(ctx, requireActor(req)),
  );

  app.get(
    '/',
    {
      schema: {
        tags: ['admin'],
        security,
        operationId: 'listUsers',
        summary: 'List users',
        description:
          'Admin only. Users in order of sign-up, optionally filtered by role and by part of the email address; ' +
          'keyset pages (pass `nextCursor` as `cursor`).',
        querystring: ListUsersQuery,
        response: {
          200: pageResponse(UserSchema, 'A page of users'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => users.listUsers(ctx, requireActor(req), req.query),
  );

  app.patch(
    '/:id/role',
    {
      schema: {
        tags: ['admin'],
        security,
        operationId: 'changeUserRole',
        summary: "Change a user's role",
        description:
          'Admin only. Sets the role (guest, host or admin); takes effect on their next request. 409 ' +
          '`cannot_demote_self` when an admin would remove their own admin role. Recorded in the audit ' +
          'log (`user.role`) with the optional reason.',
        params: UserIdParams,
        body: ChangeRoleBody,
        response: {
          200: described(UserSchema, 'The user with the new role'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => users.changeRole(ctx, requireActor(req), req.params.id, req.body.role, req.body.reason),
  );

  for (const [path, suspend] of [
    ['suspend', true],
    ['unsuspend', false],
  ] as const) {
    app.post(
      `/:id/${path}`,
      {
        preValidation: optionalBody,
        schema: {
          tags: ['admin'],
          security,
          operationId: suspend ? 'suspendUser' : 'unsuspendUser',
          summary: suspend ? 'Suspend a user' : 'Reinstate a suspended user',
          description: suspend
            ? 'Admin only. Signs the user out everywhere and refuses their sign-in until reinstated ' +
              '(403 `account_suspended`). 409 `cannot_suspend_self` for the admin themselves.'
            : 'Admin only. Lets a suspended user sign in again.',
          params: UserIdParams,
          body: ReasonBody,
          response: {
            200: described(UserSchema, suspend ? 'The user, suspended' : 'The user, reinstated'),
            ...problemResponses(400, 401, 403, 404, 409),
          },
        },
      },
      async (req) => setSuspended(ctx, requireActor(req), req.params.id, suspend, req.body.reason),
    );
  }
}
