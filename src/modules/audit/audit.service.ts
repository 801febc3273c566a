/**
 * Reading the audit trail of admin actions (the console's audit page, GET /api/v1/admin/audit, a
 * booking's timeline). Rows are written by src/platform/audit.ts, below every module.
 */
import { Type } from 'typebox';
import { type Actor, assertRole } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import * as repo from './audit.repository.js';

export interface AuditView {
  id: string;
  actorId: string;
  action: string;
  objectType: string;
  objectId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  requestId: string | null;
  ip: string | null;
  createdAt: string;
}

const json = (v: unknown): Record<string, unknown> | null =>
  v == null
    ? null
    : typeof v === 'string'
      ? (JSON.parse(v) as Record<string, unknown>)
      : (v as Record<string, unknown>);

export function toAuditView(row: repo.AuditRow): AuditView {
  return {
    id: row.id,
    actorId: row.actor_id,
    action: row.action,
    objectType: row.object_type,
    objectId: row.object_id,
    before: json(row.before),
    after: json(row.after),
    reason: row.reason,
    requestId: row.request_id,
    ip: row.ip,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

const AuditCursor = Type.Tuple([Type.String({ maxLength: 40 }), Type.String({ maxLength: 40 })]);

export type AuditQuery = Omit<repo.AuditFilter, 'before' | 'limit'> & {
  limit: number;
  cursor?: string | undefined;
};

/** The audit log, newest first, filtered (admin). */
export async function listAudit(
  ctx: ServiceContext,
  actor: Actor,
  q: AuditQuery,
): Promise<{ items: AuditView[]; nextCursor: string | null }> {
  assertRole(actor, 'admin');
  const cursor = q.cursor ? decodeCursor<[string, string]>(q.cursor, AuditCursor) : undefined;
  const rows = await repo.listAuditRows(ctx.db, {
    ...q,
    before: cursor ? { at: new Date(cursor[0]), id: cursor[1] } : undefined,
    limit: q.limit + 1,
  });
  return toPage(rows, q.limit, toAuditView, (r) => [new Date(r.created_at).toISOString(), r.id]);
}

/** The audit rows about one object, oldest first, at most `limit` (a booking's timeline…; no access check). */
export async function auditOf(
  ctx: ServiceContext,
  objectType: string,
  objectId: string,
  limit = 200,
): Promise<AuditView[]> {
  const rows = await repo.listAuditRows(ctx.db, { objectType, objectId, limit });
  return rows.map(toAuditView).reverse();
}
