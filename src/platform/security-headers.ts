/**
 * Security headers, computed once. helmet decides the headers and their values (its maintained
 * defaults); it runs once per policy at start-up against a recording response, and every request then
 * gets the recorded, constant set — @fastify/helmet re-parsed the CSP directives and set each header
 * through the middleware chain on every request, which halved a bare Fastify's throughput.
 *
 * Two policies: the API's (JSON only, so a CSP that allows nothing to load or frame it), and the one for
 * the pages Roost serves (Swagger UI under /docs, GraphiQL), which need their own scripts and styles.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

export type HeaderSet = Readonly<Record<string, string>>;

/** The headers helmet sets with `options`, as a plain lower-case map. */
export function helmetHeaders(options: HelmetOptions = {}): HeaderSet {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let done = false;
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  // Every helmet policy configured with constant values completes synchronously; a nonce or
  // per-request directive would not, and has no place here.
  if (!done) throw new Error('helmet did not complete synchronously: the policy depends on the request');
  return Object.freeze(headers);
}

/** JSON responses: nothing may be loaded by, or frame, what the API returns. */
export const API_HEADERS = helmetHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
});

/** Pages served by the API (Swagger UI, GraphiQL): their own scripts, styles and inline images. */
export const PAGE_HEADERS = helmetHeaders({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
    },
  },
});

/**
 * Sends `pages` on URLs under one of `pagePrefixes`, `api` on everything else. One synchronous hook:
 * a few property writes per request.
 */
export function registerSecurityHeaders(
  app: FastifyInstance,
  opts: { pagePrefixes: readonly string[]; api?: HeaderSet; pages?: HeaderSet },
): void {
  const api = opts.api ?? API_HEADERS;
  const pages = opts.pages ?? PAGE_HEADERS;
  const isPage = (url: string) => opts.pagePrefixes.some((p) => url.startsWith(p));
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(isPage(request.url) ? pages : api);
    done();
  });
}
