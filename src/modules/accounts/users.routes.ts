import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { problemResponses, type RoostApp } from '../../platform/http.js';
import { pageOf } from '../../platform/pagination.js';
import { changePassword, setSuspended } from './auth.service.js';
import {
  ChangePasswordBody,
  ChangeRoleBody,
  ListUsersQuery,
  UpdateMeBody,
  UserSchema,
} from './users.schemas.js';
import * as users from './users.service.js';

export async function usersRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['users'];
  const security = bearerSecurity;

  app.get(
    '/me',
    {
      schema: {
        tags,
        security,
        summary: 'The signed-in user',
        response: { 200: UserSchema, ...problemResponses(401) },
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
        summary: 'Update name or phone',
        body: UpdateMeBody,
        response: { 200: UserSchema, ...problemResponses(400, 401) },
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
        summary: 'Change password; signs out every other session',
        body: ChangePasswordBody,
        response: { 204: { type: 'null' }, ...problemResponses(400, 401) },
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
        summary: 'Turn a guest account into a host account',
        response: { 200: UserSchema, ...problemResponses(401, 409) },
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
        summary: 'List users (admin)',
        querystring: ListUsersQuery,
        response: { 200: pageOf(UserSchema), ...problemResponses(400, 401, 403) },
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
        summary: "Change a user's role (admin)",
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: ChangeRoleBody,
        response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => users.changeRole(ctx, requireActor(req), req.params.id, req.body.role),
  );

  for (const [path, suspend] of [
    ['suspend', true],
    ['unsuspend', false],
  ] as const) {
    app.post(
      `/:id/${path}`,
      {
        schema: {
          tags: ['admin'],
          security,
          summary: suspend
            ? 'Suspend a user (admin): signs them out everywhere and refuses sign-in'
            : 'Reinstate a suspended user (admin)',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
          response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => setSuspended(ctx, requireActor(req), req.params.id, suspend),
    );
  }
}
