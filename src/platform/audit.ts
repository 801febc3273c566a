/**
 * The audit trail of admin actions: the write side, below every module. A service that carries out an
 * admin action appends its row with `recordAdminAction`, inside the transaction that makes the change
 * (so the row exists exactly when the change does). Every admin route — tagged `admin` in its schema
 * (the admin REST API), or `config.admin` (the console), or declaring `config.audit` — writes exactly one
 * row: after a successful response, a route whose service wrote none gets its declared action (an effect
 * outside the database, e.g. a job retried in Redis) or a `view` row (lists, detail pages: who looked at
 * what). Written before the response leaves, so a client that has its answer can read its row.
 *
 * The table is append-only in the database itself (migration 0013); reading it is src/modules/audit.
 * Snapshots (`before`, `after`) hold ids, states and amounts — never names, emails or phone numbers —
 * so erasing a person (src/flows/privacy.ts) never has to touch this table.
 */
import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.js';
import { afterCommit } from '../db/transaction.js';
import type { Actor } from './auth.js';
import type { ServiceContext } from './context.js';
import { newId } from './crypto.js';
import type { RoostApp } from './http.js';

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
  await db
    .insertInto('audit_log')
    .values({
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
    })
    .execute();
  afterCommit(db, () => written.add(actor));
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An admin route (the console's): audited like the admin-tagged API routes. */
    admin?: boolean;
    /**
     * The audit row of a route whose effect is outside the database (defaults: a `view` row). Makes
     * the route an admin route (audited) whatever its tags.
     */
    audit?: Pick<AuditEntry, 'action' | 'objectType'>;
  }
}

function adminRoute(config: FastifyContextConfig | undefined, schema: unknown): boolean {
  if (config?.admin || config?.audit) return true;
  const tags = (schema as { tags?: string[] } | undefined)?.tags;
  return Array.isArray(tags) && tags.includes('admin');
}

export function isAdminRoute(req: FastifyRequest): boolean {
  return adminRoute(req.routeOptions.config, req.routeOptions.schema);
}

/** Every admin route of each app, as `METHOD /path` (what the audit coverage test walks). */
const registered = new WeakMap<object, string[]>();

export function adminRoutesOf(app: RoostApp): readonly string[] {
  return registered.get(app) ?? [];
}

/** Installs the per-route rule above; call it before any route is registered. */
export function registerAdminAudit(app: RoostApp, ctx: ServiceContext): void {
  const routes: string[] = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    if (!adminRoute(route.config as FastifyContextConfig | undefined, route.schema)) return;
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const actor = req.actor;
    if (actor?.role !== 'admin' || reply.statusCode >= 400 || !isAdminRoute(req)) return payload;
    if (hasAuditRow(actor)) return payload;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const objectId = typeof params['id'] === 'string' ? params['id'] : null;
    const declared = req.routeOptions.config?.audit;
    const route = `${req.method} ${req.routeOptions.url ?? req.url}`;
    await recordAdminAction(ctx, ctx.db, actor, {
      action: declared?.action ?? 'view',
      objectType: declared?.objectType ?? 'route',
      objectId,
      after: { route },
    });
    return payload;
  });
}
