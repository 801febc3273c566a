import type { Kysely, Selectable } from 'kysely';
import type { AuditLogTable } from '../../db/schema/audit.js';
import type { DB } from '../../db/schema/index.js';

export type AuditRow = Selectable<AuditLogTable>;

export interface AuditFilter {
  actorId?: string | undefined;
  action?: string | undefined;
  objectType?: string | undefined;
  objectId?: string | undefined;
  requestId?: string | undefined;
  /** Leave out `view` rows (reads of admin pages and routes). */
  changesOnly?: boolean | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset: rows strictly older than this (created_at, id). */
  before?: { at: Date; id: string } | undefined;
  limit: number;
}

/** Newest first, keyset-paged on (created_at, id). */
export function listAuditRows(db: Kysely<DB>, f: AuditFilter): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (f.actorId) q = q.where('actor_id', '=', f.actorId);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.objectType) q = q.where('object_type', '=', f.objectType);
  if (f.objectId) q = q.where('object_id', '=', f.objectId);
  if (f.requestId) q = q.where('request_id', '=', f.requestId);
  if (f.changesOnly) q = q.where('action', '<>', 'view');
  if (f.from) q = q.where('created_at', '>=', f.from);
  if (f.to) q = q.where('created_at', '<', f.to);
  const cursor = f.before;
  if (cursor) {
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', cursor.at),
        eb.and([eb('created_at', '=', cursor.at), eb('id', '<', cursor.id)]),
      ]),
    );
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}
