/**
 * Security headers, computed once. helmet decides the headers and their values (its maintained
 * defaults); it runs once per policy at start-up against a recording response, and every request then
 * gets the recorded, constant set — @fastify/helmet re-parsed the CSP directives and set each header
 * through the middleware chain on every request, which halved a bare Fastify's throughput.
 *
 * The API's policy (JSON only, so a CSP that allows nothing to load or frame it), and one for each page
 * Roost serves (Swagger UI under /docs, GraphiQL under /graphiql): their own files, nothing inline.
 */
import { createHash } from 'node:crypto';
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

/**
 * Pages served by the API (Swagger UI under /docs, GraphiQL under /graphiql): both are served by the app
 * from their npm packages, so everything they load is 'self' — no CDN, no inline script, no inline
 * style element. Fonts and a few icons come as data: URLs inside their CSS; their scripts call only the
 * API (connect-src 'self'). test/browser.test.ts loads both in Chromium and fails on any violation.
 */
const PAGE_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const pageHeaders = (directives: typeof PAGE_CSP) =>
  helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives },
    xFrameOptions: { action: 'deny' },
  });

/**
 * Swagger UI's top bar first draws its logo as an inline SVG holding this one <style> element (then
 * @fastify/swagger-ui swaps in an <img>): allowed by its hash, no other inline style.
 */
export const SWAGGER_LOGO_STYLE = '.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}';
const styleHash = (css: string) => `'sha256-${createHash('sha256').update(css).digest('base64')}'`;

export const GRAPHIQL_HEADERS = pageHeaders(PAGE_CSP);
export const DOCS_HEADERS = pageHeaders({ ...PAGE_CSP, styleSrc: ["'self'", styleHash(SWAGGER_LOGO_STYLE)] });

/**
 * The operator console (/admin, src/console): server-rendered HTML with no JavaScript at all, one
 * stylesheet of its own and inline SVG charts, so nothing may run and forms post only to itself.
 */
export const CONSOLE_HEADERS = helmetHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  },
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'same-origin' },
});

/** Each page's headers by URL prefix (the prefix itself, or followed by `/` or `?`). */
export const PAGES: Readonly<Record<string, HeaderSet>> = {
  '/docs': DOCS_HEADERS,
  '/graphiql': GRAPHIQL_HEADERS,
  '/admin': CONSOLE_HEADERS,
};

/**
 * Sends a page's headers on URLs under its prefix, `api` on everything else. One synchronous hook: a
 * few string comparisons and property writes per request.
 */
export function registerSecurityHeaders(
  app: FastifyInstance,
  opts: { pages?: Readonly<Record<string, HeaderSet>>; api?: HeaderSet } = {},
): void {
  const api = opts.api ?? API_HEADERS;
  const pages = Object.entries(opts.pages ?? PAGES);
  const headersFor = (url: string) => {
    for (const [prefix, headers] of pages) {
      if (url.startsWith(prefix)) {
        const next = url.charCodeAt(prefix.length);
        // End of URL, '/' or '?': '/docsfoo' is not under '/docs'.
        if (Number.isNaN(next) || next === 47 || next === 63) return headers;
      }
    }
    return api;
  };
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headersFor(request.url));
    done();
  });
}
