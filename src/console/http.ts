/**
 * What every console page and action shares: rendering a page inside the layout (with the signed-in
 * admin, the CSRF token, the flash message), post-redirect-get with a flash, bounded form and query
 * schemas, and turning a service's AppError into the page again with its message.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type TProperties, type TSchema, Type } from 'typebox';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { AppError } from '../platform/errors.js';
import type { JobQueue } from '../platform/queue/registry.js';
import { render } from './views.js';

export interface ConsoleOptions {
  ctx: ServiceContext;
  queue?: JobQueue | undefined;
}

export interface ConsoleDeps extends ConsoleOptions {
  /** Cookies are `Secure` in production. */
  secure: boolean;
}

export const SESSION_COOKIE = 'roost_admin';
export const FLASH_COOKIE = 'roost_flash';
export const COOKIE_PATH = '/admin';

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

/** The nav's sections: [label, path]. */
export const NAV = [
  ['Dashboard', '/admin'],
  ['Users', '/admin/users'],
  ['Listings', '/admin/listings'],
  ['Bookings', '/admin/bookings'],
  ['Money', '/admin/money'],
  ['Payouts', '/admin/payouts'],
  ['Reviews', '/admin/reviews'],
  ['Jobs', '/admin/jobs'],
  ['Audit', '/admin/audit'],
] as const;

export type Section = (typeof NAV)[number][0] | 'Account' | null;

export function cookieOptions(secure: boolean, maxAgeSeconds?: number) {
  return {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict' as const,
    secure,
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  };
}

/** The flash left by the previous action (cleared as it is shown). */
function takeFlash(req: FastifyRequest, reply: FastifyReply): Flash | null {
  const raw = req.cookies[FLASH_COOKIE];
  if (!raw) return null;
  reply.clearCookie(FLASH_COOKIE, { path: COOKIE_PATH });
  const kind = raw.startsWith('ok:') ? 'ok' : raw.startsWith('error:') ? 'error' : null;
  return kind ? { kind, text: raw.slice(kind.length + 1, kind.length + 1 + 500) } : null;
}

export interface PageOptions {
  title: string;
  section: Section;
  status?: number;
  /** Shown instead of (or when there is no) flash from a previous action. */
  flash?: Flash | null;
}

/** Renders `view` in the layout and sends it. */
export function sendPage(
  req: FastifyRequest,
  reply: FastifyReply,
  view: string,
  data: Record<string, unknown>,
  opts: PageOptions,
): FastifyReply {
  const previous = takeFlash(req, reply);
  const html = render(view, {
    ...data,
    title: opts.title,
    section: opts.section,
    nav: NAV,
    me: req.actor as Actor | null,
    csrf: reply.generateCsrf(),
    flash: opts.flash ?? previous,
    requestId: req.id,
  });
  return reply
    .code(opts.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(html);
}

/** Post-redirect-get: back to `to` with a flash message. */
export function redirectWith(
  reply: FastifyReply,
  to: string,
  flash: Flash | null,
  secure: boolean,
): FastifyReply {
  if (flash)
    reply.setCookie(FLASH_COOKIE, `${flash.kind}:${flash.text.slice(0, 500)}`, cookieOptions(secure, 60));
  return reply.redirect(to, 303);
}

/**
 * Runs an action: on success, back to `to` with `ok`; on a service's refusal (AppError), `rerender`
 * shows the page again with the problem's message and its status (so nothing is audited as done).
 */
export async function runAction(
  reply: FastifyReply,
  opts: {
    secure: boolean;
    to: string;
    ok: string;
    run: () => Promise<unknown>;
    rerender: (flash: Flash, status: number) => Promise<FastifyReply>;
  },
): Promise<FastifyReply> {
  try {
    await opts.run();
  } catch (err) {
    if (err instanceof AppError) {
      return opts.rerender({ kind: 'error', text: problemText(err) }, err.status);
    }
    throw err;
  }
  return redirectWith(reply, opts.to, { kind: 'ok', text: opts.ok }, opts.secure);
}

export function problemText(err: AppError): string {
  const fields = err.errors?.map((e) => `${e.field} ${e.message}`).join('; ');
  return fields && !err.message.includes(fields) ? `${err.message} (${fields})` : err.message;
}

// ----------------------------------------------------------------------------------------- schemas

/** A form body: the fields plus the CSRF token; nothing else. */
export const form = <P extends TProperties>(props: P) =>
  Type.Object({ ...props, _csrf: Type.String({ maxLength: 200 }) }, { additionalProperties: false });

/** A query string of optional filters; nothing else. */
export const query = <P extends TProperties>(props: P) => Type.Object(props, { additionalProperties: false });

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/** Optional text (an empty field is as good as absent). */
export const optText = (max = 200) => Type.Optional(Type.String({ maxLength: max }));
/** Optional id: a UUID or empty. */
export const optId = () => Type.Optional(Type.String({ maxLength: 36, pattern: `^(${UUID})?$` }));
/** Optional choice: one of `values`, or empty. */
export const optEnum = <const T extends readonly string[]>(values: T) =>
  Type.Optional(
    Type.Unsafe<T[number] | ''>(Type.Union([Type.Literal(''), ...values.map((v) => Type.Literal(v))])),
  );
/** Optional date (YYYY-MM-DD) or empty. */
export const optDate = () =>
  Type.Optional(Type.String({ maxLength: 10, pattern: '^(\\d{4}-\\d{2}-\\d{2})?$' }));
export const optCursor = () => Type.Optional(Type.String({ maxLength: 512 }));
export const idParams = Type.Object(
  { id: Type.String({ format: 'uuid', maxLength: 36 }) },
  { additionalProperties: false },
);
/** A required reason (audited). */
export const reason = (min = 3) => Type.String({ minLength: min, maxLength: 1000 });

/** '' → undefined. */
export const blank = <T extends string>(v: T | '' | undefined): T | undefined =>
  v === '' || v === undefined ? undefined : v;

/** The route options every console page or action shares (hidden from the OpenAPI document). */
export function adminRoute<S extends Record<string, TSchema>>(
  schema: S,
  audit?: { action: string; objectType: string },
) {
  return { schema: { ...schema, hide: true }, config: { admin: true, ...(audit ? { audit } : {}) } };
}

export const PAGE_SIZE = 25;
