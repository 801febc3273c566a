/**
 * The operator console (issue 16): server-rendered pages under /admin, served by the API process
 * itself. No JavaScript on any page (plain forms, post-redirect-get), so its CSP allows nothing but its
 * own stylesheet (src/platform/security-headers.ts, CONSOLE_HEADERS).
 *
 * Sign-in is an HTTP-only, SameSite=Strict cookie naming a session of the sessions store (a
 * `refresh_tokens` row of kind `console`); every request resolves it through the session gate, so
 * suspension, "sign out everywhere" and a role change apply at once. Only admins get in (a second
 * factor, TOTP, when they turned it on). Every form carries a CSRF token (@fastify/csrf-protection,
 * secret in a cookie); urlencoded bodies are parsed in this scope only. Every page and action is an
 * admin route (`config.admin`): audited by src/platform/audit.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  consoleSessionOf,
  endConsoleSession,
  startConsoleSession,
} from '../modules/accounts/auth.service.js';
import { recordAdminAction } from '../platform/audit.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { AppError } from '../platform/errors.js';
import type { RoostApp } from '../platform/http.js';
import {
  COOKIE_PATH,
  type ConsoleDeps,
  type ConsoleOptions,
  cookieOptions,
  form,
  problemText,
  redirectWith,
  SESSION_COOKIE,
  sendPage,
} from './http.js';
import { accountPages } from './pages/account.js';
import { auditPages } from './pages/audit.js';
import { bookingPages } from './pages/bookings.js';
import { dashboardPages } from './pages/dashboard.js';
import { jobPages } from './pages/jobs.js';
import { listingPages } from './pages/listings.js';
import { moneyPages } from './pages/money.js';
import { payoutPages } from './pages/payouts.js';
import { reviewPages } from './pages/reviews.js';
import { userPages } from './pages/users.js';
import { ASSETS_DIR } from './views.js';

const LoginBody = form({
  email: Type.String({ maxLength: 254 }),
  password: Type.String({ maxLength: 200 }),
  totp: Type.Optional(Type.String({ maxLength: 10 })),
});

/** The admin a console cookie signs in, as of now (undefined: no cookie, unknown, expired or revoked). */
async function consoleActor(ctx: ServiceContext, req: FastifyRequest): Promise<Actor | undefined> {
  const token = req.cookies[SESSION_COOKIE];
  if (!token || token.length > 100) return undefined;
  const claims = await consoleSessionOf(ctx, token);
  if (!claims) return undefined;
  try {
    const actor = await ctx.sessions.resolve(claims);
    actor.origin = { requestId: req.id, ip: req.ip };
    return actor;
  } catch (err) {
    if (err instanceof AppError) return undefined; // suspended or signed out everywhere
    throw err;
  }
}

export async function consolePlugin(app: RoostApp, opts: ConsoleOptions): Promise<void> {
  const { ctx } = opts;
  const deps: ConsoleDeps = { ...opts, secure: ctx.config.NODE_ENV === 'production' };
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await app.register(csrf, {
    cookieKey: 'roost_csrf',
    cookieOpts: cookieOptions(deps.secure),
    getToken: (req) => (req.body as { _csrf?: unknown } | undefined)?._csrf as string | undefined,
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/admin/assets/')) reply.header('cache-control', 'no-store');
    // The console signs in by its cookie only: a bearer token means nothing here.
    req.actor = null;
    if (!req.routeOptions.config?.admin) return;
    const actor = await consoleActor(ctx, req);
    if (!actor) {
      if (req.cookies[SESSION_COOKIE]) reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH });
      return reply.redirect('/admin/login', 303);
    }
    req.actor = actor;
    if (actor.role !== 'admin') {
      return errorPage(req, reply, 403, 'Forbidden', 'The operator console is for admins only.');
    }
  });
  // Every form post needs its CSRF token, before anything else is read from it.
  app.addHook('preValidation', (req, reply, done) => {
    if (req.method !== 'POST') return done();
    app.csrfProtection(req, reply, done);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const details = err.validation.map(
        (v) =>
          `${v.instancePath.replace(/^\//, '') || (v.params as { missingProperty?: string }).missingProperty || 'input'} ${v.message ?? 'is invalid'}`,
      );
      return errorPage(
        req,
        reply,
        400,
        'Bad request',
        `The ${err.validationContext ?? 'input'} is invalid: ${details.join('; ')}`,
      );
    }
    if (err.code === 'FST_CSRF_MISSING_SECRET' || err.code === 'FST_CSRF_INVALID_TOKEN') {
      return errorPage(
        req,
        reply,
        403,
        'Forbidden',
        'The form has expired or did not come from this console: go back, reload and try again.',
      );
    }
    if (err instanceof AppError) return errorPage(req, reply, err.status, err.code, problemText(err));
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'console page failed');
    return errorPage(
      req,
      reply,
      status,
      status === 500 ? 'Something went wrong' : 'Error',
      status === 500 ? `Request ${req.id} failed; see the logs.` : err.message,
    );
  });
  app.setNotFoundHandler((req, reply) => errorPage(req, reply, 404, 'Not found', 'No such page.'));

  const css = await readFile(join(ASSETS_DIR, 'console.css'), 'utf8');
  app.get('/assets/console.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(css),
  );

  app.get('/login', { schema: { hide: true } }, async (req, reply) => {
    if (await consoleActor(ctx, req)) return reply.redirect('/admin', 303);
    return sendPage(req, reply, 'login', { email: '' }, { title: 'Sign in', section: null });
  });

  app.post(
    '/login',
    {
      schema: { hide: true, body: LoginBody },
      config: {
        rateLimit: { max: ctx.config.RATE_LIMIT_AUTH_MAX, timeWindow: ctx.config.RATE_LIMIT_AUTH_WINDOW_MS },
      },
    },
    async (req, reply) => {
      const { email, password, totp } = req.body;
      let session: Awaited<ReturnType<typeof startConsoleSession>>;
      try {
        session = await startConsoleSession(
          ctx,
          { email, password, totp: totp || undefined, ip: req.ip, userAgent: req.headers['user-agent'] },
          (trx, actor) =>
            recordAdminAction(
              ctx,
              trx,
              { ...actor, origin: { requestId: req.id, ip: req.ip } },
              {
                action: 'admin.login',
                objectType: 'session',
                objectId: actor.sessionId,
              },
            ),
        );
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return sendPage(
          req,
          reply,
          'login',
          { email, needTotp: err.code === 'totp_required' },
          {
            title: 'Sign in',
            section: null,
            status: err.status,
            flash: { kind: 'error', text: err.message },
          },
        );
      }
      reply.setCookie(
        SESSION_COOKIE,
        session.token,
        cookieOptions(deps.secure, ctx.config.ADMIN_SESSION_HOURS * 3600),
      );
      return reply.redirect('/admin', 303);
    },
  );

  app.post('/logout', { schema: { hide: true, body: form({}) } }, async (req, reply) => {
    const actor = await consoleActor(ctx, req);
    if (actor) {
      await endConsoleSession(ctx, actor, (trx) =>
        recordAdminAction(ctx, trx, actor, {
          action: 'admin.logout',
          objectType: 'session',
          objectId: actor.sessionId,
        }),
      );
    }
    reply.clearCookie(SESSION_COOKIE, { path: COOKIE_PATH });
    return redirectWith(reply, '/admin/login', { kind: 'ok', text: 'Signed out.' }, deps.secure);
  });

  dashboardPages(app, deps);
  userPages(app, deps);
  listingPages(app, deps);
  bookingPages(app, deps);
  moneyPages(app, deps);
  payoutPages(app, deps);
  reviewPages(app, deps);
  jobPages(app, deps);
  auditPages(app, deps);
  accountPages(app, deps);
}

function errorPage(req: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string) {
  return sendPage(req, reply, 'error', { status, message }, { title, section: null, status });
}
