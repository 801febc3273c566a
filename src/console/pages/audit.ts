/** The audit log, filterable: actor, action, object type/id, changes only, dates. */
import { Type } from 'typebox';
import { listAudit } from '../../modules/audit/audit.service.js';
import type { RoostApp } from '../../platform/http.js';
import {
  adminRoute,
  blank,
  type ConsoleDeps,
  optCursor,
  optDate,
  optId,
  PAGE_SIZE,
  query,
  sendPage,
} from '../http.js';

const AuditQuery = query({
  actorId: optId(),
  action: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_.]*$' })),
  objectType: Type.Optional(Type.String({ maxLength: 32, pattern: '^[a-z_]*$' })),
  objectId: Type.Optional(Type.String({ maxLength: 64 })),
  requestId: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9._-]*$' })),
  changesOnly: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('1')])),
  from: optDate(),
  to: optDate(),
  cursor: optCursor(),
});

const DAY_MS = 86_400_000;

export function auditPages(app: RoostApp, { ctx }: ConsoleDeps) {
  app.get('/audit', adminRoute({ querystring: AuditQuery }), async (req, reply) => {
    const q = req.query;
    const from = blank(q.from);
    const to = blank(q.to);
    const page = await listAudit(ctx, req.actor!, {
      actorId: blank(q.actorId),
      action: blank(q.action),
      objectType: blank(q.objectType),
      objectId: blank(q.objectId),
      requestId: blank(q.requestId),
      changesOnly: q.changesOnly === '1',
      from: from ? new Date(`${from}T00:00:00Z`) : undefined,
      // Through the whole `to` day.
      to: to ? new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS) : undefined,
      limit: PAGE_SIZE,
      cursor: blank(q.cursor),
    });
    return sendPage(req, reply, 'audit', { q, page }, { title: 'Audit log', section: 'Audit' });
  });
}
