/**
 * Builds the Fastify application (no listen): plugins, error handling, OpenAPI and every module's routes.
 * Tests build it with `app.inject`; src/server.ts builds it and listens.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import { consolePlugin } from './console/index.js';
import type { Database } from './db/database.js';
import { graphqlPlugin } from './graphql/index.js';
import { adminUsersRoutes } from './modules/accounts/admin-users.routes.js';
import { createAuthLimits } from './modules/accounts/auth.limits.js';
import { authRoutes } from './modules/accounts/auth.routes.js';
import { emailLinkRoutes } from './modules/accounts/email-links.routes.js';
import { privacyRoutes } from './modules/accounts/privacy.routes.js';
import { usersRoutes } from './modules/accounts/users.routes.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { adminBookingsRoutes, adminDashboardRoutes } from './modules/bookings/admin-bookings.routes.js';
import { bookingsRoutes } from './modules/bookings/bookings.routes.js';
import { bookingChangesRoutes } from './modules/bookings/changes.routes.js';
import { devRoutes } from './modules/bookings/dev.routes.js';
import { healthRoutes, redisReadiness } from './modules/health/health.routes.js';
import { indexRoutes } from './modules/health/index.routes.js';
import { createMessageLimit } from './modules/messaging/messaging.limits.js';
import { bookingThreadRoutes, messagingRoutes } from './modules/messaging/messaging.routes.js';
import { notificationsRoutes } from './modules/notifications/notifications.routes.js';
import { streamRoutes } from './modules/notifications/stream.routes.js';
import { adminMoneyRoutes } from './modules/payments/admin-money.routes.js';
import { bookingPaymentsRoutes, paymentsRoutes } from './modules/payments/payments.routes.js';
import { hostPayoutsRoutes } from './modules/payments/payouts.routes.js';
import { adminPayoutsRoutes, hostPayoutRoutes } from './modules/payouts/payouts.routes.js';
import { adminListingsRoutes } from './modules/properties/admin-listings.routes.js';
import { arrivalRoutes } from './modules/properties/arrival.routes.js';
import { mediaRoutes, photosRoutes } from './modules/properties/photos.routes.js';
import { propertiesRoutes } from './modules/properties/properties.routes.js';
import { taxRatesRoutes } from './modules/properties/tax-rates.routes.js';
import { receiptsRoutes } from './modules/receipts/receipts.routes.js';
import { adminReviewsRoutes } from './modules/reviews/admin-reviews.routes.js';
import { reviewsRoutes } from './modules/reviews/reviews.routes.js';
import { registerAdminAudit } from './platform/audit.js';
import { authPlugin } from './platform/auth.js';
import { FailSoftCache, MemoryCache, RedisCache, redisGuard } from './platform/cache.js';
import type { Config } from './platform/config.js';
import type { ServiceContext } from './platform/context.js';
import { ProblemSchema, problem, registerErrorHandling, sendProblem } from './platform/errors.js';
import { type EventBus, LocalEventBus, RedisEventBus } from './platform/events.js';
import { LocalFileStore } from './platform/file-store.js';
import type { RoostApp } from './platform/http.js';
import { acceptEmptyJsonBodies, registerInputHygiene } from './platform/input.js';
import { registerMetrics } from './platform/metrics.js';
import { registerOpenApi } from './platform/openapi.js';
import { jobsRoutes } from './platform/queue/jobs.routes.js';
import type { JobQueue } from './platform/queue/registry.js';
import { failSoftRateLimitStore } from './platform/rate-limit.js';
import { RequestLog, requestLogger } from './platform/request-log.js';
import { registerSecurityHeaders } from './platform/security-headers.js';
import { registerHttpTracing } from './platform/tracing.js';
import { createServiceContext } from './services.js';

export interface AppOptions {
  config: Config;
  database: Database;
  /** Override the logger (tests pass `false`). */
  logger?: FastifyServerOptions['logger'];
  /** Override the clock (tests of time-dependent rules). */
  now?: () => Date;
  /** Redis (when REDIS_URL is set): shared rate limits, cache, readiness. The caller owns it. */
  redis?: Redis | undefined;
  /** The job queue, for the admin dead-letter view and metrics. */
  queue?: JobQueue | undefined;
  /**
   * Real-time events (default: over `redis` when given, else within this process). The app closes it
   * when it closes.
   */
  events?: EventBus | undefined;
}

/** Whether a request may change data: any method but GET/HEAD/OPTIONS, except a GraphQL query. */
function changesData(method: string, url: string, body: unknown): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  if (!url.startsWith('/graphql')) return true;
  const query = (body as { query?: unknown } | null)?.query;
  return typeof query !== 'string' || /\bmutation\b/.test(query);
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const UUID_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function buildApp(opts: AppOptions): Promise<{ app: RoostApp; ctx: ServiceContext }> {
  const { config, database } = opts;
  const logger = opts.logger ?? requestLogger(config.LOG_LEVEL);
  const app = Fastify({
    logger,
    // One line per request, written when it completes, instead of Fastify's two.
    logController: new RequestLog(typeof logger === 'object' ? logger : false),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // Requests Fastify refuses before routing (an undecodable URL, a bad content type) get problems too.
    frameworkErrors: (error, req, reply) => {
      const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
      const code = error.code === 'FST_ERR_BAD_URL' ? 'bad_url' : 'bad_request';
      void sendProblem(req, reply, problem(status, code, error.message));
    },
    ajv: {
      customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false },
      // ajv-formats' `uuid` also accepts `urn:uuid:…`, which the databases refuse: ids are the bare form.
      onCreate: (ajv) => void ajv.addFormat('uuid', UUID_FORMAT),
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const ctx = createServiceContext(config, database, {
    now: opts.now,
    // Redis failing or slow never fails a request: see FailSoftCache / RedisGuard (src/platform/cache.ts).
    cache: opts.redis
      ? new FailSoftCache(new RedisCache(opts.redis), redisGuard(opts.redis, { log: app.log }))
      : new MemoryCache(),
    events: opts.events ?? (opts.redis ? new RedisEventBus(opts.redis) : new LocalEventBus()),
  });

  // Tracing on (OTEL_EXPORTER_OTLP_ENDPOINT): a server span per request, first of all hooks; off: nothing.
  registerHttpTracing(app);
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  registerSecurityHeaders(app); // the API's headers, and each page's (/docs, /graphiql) under its prefix
  registerErrorHandling(app);
  registerInputHygiene(app, { skip: (url) => url.startsWith('/graphql') });
  acceptEmptyJsonBodies(app);
  app.addSchema(ProblemSchema);

  if (config.CORS_ORIGINS) {
    const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim());
    await app.register(cors, {
      origin: origins.includes('*') ? true : origins,
      credentials: !origins.includes('*'),
      exposedHeaders: ['x-request-id', 'retry-after'],
    });
  }
  // With Redis, limits are counted there, so several API processes share them; while Redis fails or is
  // slow, each process counts in its own memory instead (src/platform/rate-limit.ts).
  await app.register(rateLimit, {
    global: false,
    ...(opts.redis ? { store: failSoftRateLimitStore(redisGuard(opts.redis), 'roost:rl:') } : {}),
  });
  await app.register(authPlugin, { tokens: ctx.tokens, sessions: ctx.sessions });
  if (ctx.replicas) {
    // Read-your-writes: a signed-in caller whose change succeeded reads the primary for a while
    // (DATABASE_READ_STICKY_MS). Marked before the response leaves, so the caller's next request sees it.
    app.addHook('onSend', async (req, reply, payload) => {
      if (req.actor && reply.statusCode < 400 && changesData(req.method, req.url, req.body)) {
        await ctx.wrote(req.actor);
      }
      return payload;
    });
  }

  // Every admin route (API and console) writes exactly one audit row (src/platform/audit.ts).
  registerAdminAudit(app, ctx);

  await registerOpenApi(app, { development: config.NODE_ENV !== 'production' });

  registerMetrics(app, { database, queue: opts.queue });
  const redis = opts.redis;
  await app.register(indexRoutes);
  await app.register(healthRoutes, {
    prefix: '/health',
    ctx,
    checks: redis ? { redis: redisReadiness(redisGuard(redis)) } : {},
  });
  // One sign-in rate-limit policy for both APIs.
  const authLimits = createAuthLimits(app, config);
  await app.register(authRoutes, { prefix: '/api/v1/auth', ctx, limits: authLimits });
  await app.register(emailLinkRoutes, { prefix: '/api/v1/auth', ctx, limits: authLimits });
  await app.register(usersRoutes, { prefix: '/api/v1/users', ctx });
  await app.register(propertiesRoutes, { prefix: '/api/v1/properties', ctx });
  const files = new LocalFileStore(config.UPLOADS_DIR);
  await app.register(photosRoutes, { prefix: '/api/v1/properties', ctx, files });
  await app.register(mediaRoutes, { prefix: '/media', files });
  // Data export and account erasure (users/me/export, DELETE users/me, and the admin forms).
  await app.register(privacyRoutes, { prefix: '/api/v1', ctx, files });
  await app.register(bookingsRoutes, { prefix: '/api/v1/bookings', ctx });
  await app.register(bookingPaymentsRoutes, { prefix: '/api/v1/bookings', ctx });
  await app.register(bookingChangesRoutes, { prefix: '/api/v1/bookings', ctx });
  await app.register(receiptsRoutes, { prefix: '/api/v1', ctx });
  await app.register(paymentsRoutes, { prefix: '/api/v1/payments', ctx });
  await app.register(reviewsRoutes, { prefix: '/api/v1', ctx });
  // One message rate limit for both APIs.
  const messageLimit = createMessageLimit(app, config);
  await app.register(messagingRoutes, { prefix: '/api/v1/conversations', ctx, messageLimit });
  await app.register(bookingThreadRoutes, { prefix: '/api/v1/bookings', ctx });
  await app.register(arrivalRoutes, { prefix: '/api/v1/bookings', ctx });
  await app.register(notificationsRoutes, { prefix: '/api/v1/notifications', ctx });
  await app.register(streamRoutes, { prefix: '/api/v1', ctx });
  // Development-only helpers (the demo walk-through's clock); absent in production.
  if (config.NODE_ENV !== 'production') await app.register(devRoutes, { prefix: '/api/v1/dev', ctx });
  await app.register(graphqlPlugin, { ctx, authLimits, messageLimit });
  await app.register(auditRoutes, { prefix: '/api/v1/admin/audit', ctx });
  await app.register(adminBookingsRoutes, { prefix: '/api/v1/admin/bookings', ctx });
  await app.register(adminDashboardRoutes, { prefix: '/api/v1/admin/dashboard', ctx, queue: opts.queue });
  await app.register(adminMoneyRoutes, { prefix: '/api/v1/admin/money', ctx });
  await app.register(hostPayoutsRoutes, { prefix: '/api/v1/host/payouts', ctx });
  await app.register(hostPayoutRoutes, { prefix: '/api/v1/host', ctx });
  await app.register(adminPayoutsRoutes, { prefix: '/api/v1/admin/payouts', ctx });
  await app.register(adminUsersRoutes, { prefix: '/api/v1/admin/users', ctx });
  await app.register(adminListingsRoutes, { prefix: '/api/v1/admin/listings', ctx });
  await app.register(taxRatesRoutes, { prefix: '/api/v1/admin/tax-rates', ctx });
  await app.register(adminReviewsRoutes, { prefix: '/api/v1/admin/reviews', ctx });
  if (opts.queue) await app.register(jobsRoutes, { prefix: '/api/v1/admin/jobs', queue: opts.queue });
  // The operator console: server-rendered pages, outside the OpenAPI document (src/console).
  await app.register(consolePlugin, { prefix: '/admin', ctx, queue: opts.queue });

  app.addHook('onClose', async () => {
    await ctx.events.close();
    await database.close();
  });
  return { app, ctx };
}
