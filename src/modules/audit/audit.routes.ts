import { assertRole, bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import { AuditEntrySchema, AuditQuerySchema } from './audit.schemas.js';
import { listAudit } from './audit.service.js';

/** GET /api/v1/admin/audit: the audit log, filtered, newest first. */
export async function auditRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  app.get(
    '/',
    {
      schema: {
        tags: ['admin'],
        security: bearerSecurity,
        operationId: 'listAuditLog',
        summary: 'Read the audit log',
        description:
          'Admin only: every admin action (console and API) — who, what, the object, before and after, ' +
          'reason, request id and IP — newest first, keyset-paged. Append-only: nothing can change or ' +
          'remove a row (the database refuses). Reading it is itself recorded (a `view` row).',
        querystring: AuditQuerySchema,
        response: {
          200: pageResponse(AuditEntrySchema, 'A page of audit rows'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      assertRole(actor, 'admin');
      const q = req.query;
      return listAudit(ctx, actor, {
        ...q,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      });
    },
  );
}
