/**
 * One audit row for every admin route, whatever the service did. Admin routes are those tagged `admin`
 * in their schema (the admin REST API) and those whose route config says `admin: true` (the console).
 * After a successful response:
 * - the service already appended the action's row (recordAdminAction, in its transaction): nothing;
 * - the route declares its action in `config.audit` (an effect outside the database, e.g. a job retried
 *   in Redis): that row;
 * - otherwise a `view` row (lists, detail pages, exports: who looked at what).
 * Written before the response leaves, so a client that has its answer can read its row.
 */
import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../../platform/context.js';
import type { RoostApp } from '../../platform/http.js';
import { type AuditEntry, hasAuditRow, recordAdminAction } from './audit.service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An admin route (the console's): audited like the admin-tagged API routes. */
    admin?: boolean;
    /** The audit row of a route whose effect is outside the database (defaults: a `view` row). */
    audit?: Pick<AuditEntry, 'action' | 'objectType'>;
  }
}

function adminRoute(config: FastifyContextConfig | undefined, schema: unknown): boolean {
  if (config?.admin) return true;
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
