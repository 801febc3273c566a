/** Users: search, detail (bookings, listings, sessions), suspend, role, sign out everywhere, export, erase. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { userDetail } from '../../flows/admin-users.js';
import { eraseUser, exportUserData } from '../../flows/privacy.js';
import { setSuspended, signOutEverywhere } from '../../modules/accounts/auth.service.js';
import { adminSearchUsers, changeRole } from '../../modules/accounts/users.service.js';
import { LocalFileStore } from '../../platform/file-store.js';
import type { RoostApp } from '../../platform/http.js';
import {
  adminRoute,
  blank,
  type ConsoleDeps,
  type Flash,
  form,
  idParams,
  optCursor,
  optEnum,
  optText,
  PAGE_SIZE,
  query,
  reason,
  runAction,
  sendPage,
} from '../http.js';

const ROLES = ['guest', 'host', 'admin'] as const;
const STATUSES = ['active', 'suspended', 'deleted'] as const;

const UsersQuery = query({
  q: optText(254),
  role: optEnum(ROLES),
  status: optEnum(STATUSES),
  cursor: optCursor(),
});

export function userPages(app: RoostApp, deps: ConsoleDeps) {
  const { ctx, secure } = deps;
  const files = new LocalFileStore(ctx.config.UPLOADS_DIR);

  app.get('/users', adminRoute({ querystring: UsersQuery }), async (req, reply) => {
    const q = req.query;
    const page = await adminSearchUsers(ctx, req.actor!, {
      q: blank(q.q),
      role: blank(q.role),
      status: blank(q.status),
      limit: PAGE_SIZE,
      cursor: blank(q.cursor),
    });
    return sendPage(req, reply, 'users', { q, page }, { title: 'Users', section: 'Users' });
  });

  async function showUser(
    req: FastifyRequest,
    reply: FastifyReply,
    id: string,
    flash?: Flash,
    status?: number,
  ) {
    const detail = await userDetail(ctx, req.actor!, id);
    return sendPage(
      req,
      reply,
      'user',
      { detail, roles: ROLES },
      {
        title: `User ${detail.user.email}`,
        section: 'Users',
        flash: flash ?? null,
        ...(status ? { status } : {}),
      },
    );
  }

  app.get('/users/:id', adminRoute({ params: idParams }), (req, reply) =>
    showUser(req, reply, req.params.id),
  );

  const Reason = form({ reason: reason() });
  for (const suspend of [true, false]) {
    app.post(
      `/users/:id/${suspend ? 'suspend' : 'unsuspend'}`,
      adminRoute({ params: idParams, body: Reason }),
      (req, reply) =>
        runAction(reply, {
          secure,
          to: `/admin/users/${req.params.id}`,
          ok: suspend ? 'User suspended and signed out everywhere.' : 'User reinstated.',
          run: () => setSuspended(ctx, req.actor!, req.params.id, suspend, req.body.reason),
          rerender: (flash, status) => showUser(req, reply, req.params.id, flash, status),
        }),
    );
  }

  app.post(
    '/users/:id/role',
    adminRoute({
      params: idParams,
      body: form({ role: Type.Union(ROLES.map((r) => Type.Literal(r))), reason: reason() }),
    }),
    (req, reply) =>
      runAction(reply, {
        secure,
        to: `/admin/users/${req.params.id}`,
        ok: `Role changed to ${req.body.role}.`,
        run: () => changeRole(ctx, req.actor!, req.params.id, req.body.role, req.body.reason),
        rerender: (flash, status) => showUser(req, reply, req.params.id, flash, status),
      }),
  );

  app.post('/users/:id/sign-out', adminRoute({ params: idParams, body: Reason }), (req, reply) =>
    runAction(reply, {
      secure,
      to: `/admin/users/${req.params.id}`,
      ok: 'Signed out everywhere.',
      run: () => signOutEverywhere(ctx, req.actor!, req.params.id, req.body.reason),
      rerender: (flash, status) => showUser(req, reply, req.params.id, flash, status),
    }),
  );

  app.get(
    '/users/:id/export',
    adminRoute({ params: idParams }, { action: 'user.export', objectType: 'user' }),
    async (req, reply) => {
      const data = await exportUserData(ctx, req.actor!, req.params.id);
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="roost-user-${req.params.id}.json"`)
        .send(JSON.stringify(data, null, 2));
    },
  );

  app.post(
    '/users/:id/erase',
    adminRoute({ params: idParams, body: form({ reason: reason(), confirm: Type.Literal('erase') }) }),
    (req, reply) =>
      runAction(reply, {
        secure,
        to: `/admin/users/${req.params.id}`,
        ok: 'The account was erased.',
        run: () => eraseUser(ctx, req.actor!, req.params.id, { admin: true, reason: req.body.reason, files }),
        rerender: (flash, status) => showUser(req, reply, req.params.id, flash, status),
      }),
  );
}
