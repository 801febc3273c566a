/**
 * The audit trail of admin actions. A service that carries out an admin action appends its row with
 * `recordAdminAction`, inside the transaction that makes the change (so the row exists exactly when the
 * change does); admin routes that change nothing (lists, detail pages, exports) get one `view` row from
 * the HTTP hook (audit.hook.ts). The table is append-only in the database itself (migration 0013).
 *
 * Snapshots (`before`, `after`) hold ids, states and amounts — never names, emails or phone numbers —
 * so erasing a person (src/flows/privacy.ts) never has to touch this table.
 */
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { DB } from '../../db/schema/index.js';
import { afterCommit } from '../../db/transaction.js';
import { type Actor, assertRole } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import * as repo from './audit.repository.js';

export interface AuditEntry {
  /** What was done, `object.verb`: `user.suspend`, `booking.cancel`, `review.hide`, `view`… */
  action: string;
  /** `user`, `listing`, `booking`, `review`, `job`, `payment`, `page`… */
  objectType: string;
  objectId?: string | null | undefined;
  before?: Record<string, unknown> | null | undefined;
  after?: Record<string, unknown> | null | undefined;
  reason?: string | null | undefined;
}

/** Actors (one per request) whose request has committed its audit row. */
const written = new WeakSet<Actor>();
/** Per transaction attempt: the actors whose row this attempt has inserted (a retry starts afresh). */
const inAttempt = new WeakMap<Kysely<DB>, WeakSet<Actor>>();

/** Whether this actor's request has already written its audit row (the hook then writes none). */
export function hasAuditRow(actor: Actor): boolean {
  return written.has(actor);
}

/**
 * Append one audit row for `actor`'s request. Pass the transaction that makes the change: the row
 * commits or rolls back with it, and a retried transaction writes it again. Within one request only the
 * first row counts (a flow that composes two audited services still yields one row).
 */
export async function recordAdminAction(
  ctx: ServiceContext,
  db: Kysely<DB>,
  actor: Actor,
  entry: AuditEntry,
): Promise<void> {
  if (written.has(actor)) return;
  let mine = inAttempt.get(db);
  if (mine?.has(actor)) return;
  if (!mine) {
    mine = new WeakSet();
    inAttempt.set(db, mine);
  }
  mine.add(actor);
  await repo.insertAuditRow(db, {
    id: newId(),
    actor_id: actor.userId,
    action: entry.action,
    object_type: entry.objectType,
    object_id: entry.objectId ?? null,
    before: entry.before ? JSON.stringify(entry.before) : null,
    after: entry.after ? JSON.stringify(entry.after) : null,
    reason: entry.reason ?? null,
    request_id: actor.origin?.requestId ?? null,
    ip: actor.origin?.ip ?? null,
    created_at: ctx.now(),
  });
  afterCommit(db, () => written.add(actor));
}

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
