/**
 * Input hygiene, in one place for both APIs: values no schema keyword catches and no database should
 * see. Strings with NUL (PostgreSQL refuses them in text) or unpaired UTF-16 surrogates (not encodable
 * as UTF-8), and numbers that are not finite (Ajv coerces `1e309` and `Infinity` in a query string to
 * Infinity, which even passes `type: integer`) or subnormal (PostgreSQL refuses `3.5e-323`). The REST hook runs after schema validation (so coerced
 * values are seen) and before any handler; GraphQL checks its variables and document the same way.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, type FieldError } from './errors.js';

export interface UnsafeValue {
  /** Dotted path of the value, as in validation errors (`address.city`, `amenities.2`). */
  field: string;
  message: string;
}

/** The smallest positive normal double; below it (but above 0) numbers are subnormal. */
const MIN_NORMAL = 2.2250738585072014e-308;

/** Deepest structure walked; a deeper one is refused rather than recursed into. */
const MAX_DEPTH = 64;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one (code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function unsafeString(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(s)) return 'must be well-formed Unicode (no unpaired surrogates)';
  return null;
}

/** The first value in a JSON-like structure that must not reach a service, or null. Iterative. */
export function findUnsafeValue(root: unknown, prefix: string[] = []): UnsafeValue | null {
  const stack: { value: unknown; path: string[] }[] = [{ value: root, path: prefix }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    const field = () => path.join('.') || '(root)';
    if (typeof value === 'string') {
      const problem = unsafeString(value);
      if (problem) return { field: field(), message: problem };
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { field: field(), message: 'must be a finite number' };
      // Subnormal doubles (e.g. 3.5e-323) are refused by PostgreSQL's float8 input: no input needs one.
      if (value !== 0 && Math.abs(value) < MIN_NORMAL) {
        return { field: field(), message: 'must be zero or at least 1e-300 in magnitude' };
      }
    } else if (value !== null && typeof value === 'object') {
      if (path.length - prefix.length >= MAX_DEPTH)
        return { field: field(), message: 'is nested too deeply' };
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--)
          stack.push({ value: value[i], path: [...path, String(i)] });
      } else if (!Buffer.isBuffer(value)) {
        for (const [k, v] of Object.entries(value)) {
          const keyProblem = unsafeString(k);
          if (keyProblem)
            return {
              field: [...path, k.replace(/[^\x20-\x7e]/g, '?')].join('.'),
              message: `name ${keyProblem}`,
            };
          stack.push({ value: v, path: [...path, k] });
        }
      }
    }
  }
  return null;
}

export function unsafeInputError(found: UnsafeValue, where: string): AppError {
  const error: FieldError = { field: found.field, message: found.message, in: where };
  return new AppError(400, 'validation_error', `${found.field} ${found.message}`, [error]);
}

const PARTS = [
  ['params', 'params'],
  ['query', 'querystring'],
  ['body', 'body'],
] as const;

/** The first unsafe value of a request's params, query string or body, as a 400 problem. */
export function checkRequestInput(request: FastifyRequest): AppError | null {
  for (const [part, where] of PARTS) {
    const found = findUnsafeValue(request[part]);
    if (found) return unsafeInputError(found, where);
  }
  return null;
}

/**
 * Every REST route: refuse unsafe values after validation, before the handler. `skip` names routes
 * that check their own input (GraphQL checks variables and literals itself, to answer in its shape).
 */
export function registerInputHygiene(app: FastifyInstance, opts: { skip?: (url: string) => boolean } = {}) {
  app.addHook('preHandler', (request, _reply, done) => {
    if (opts.skip?.(request.routeOptions.url ?? '')) return done();
    done(checkRequestInput(request) ?? undefined);
  });
}

/**
 * A POST with `content-type: application/json` and no body at all (what many HTTP clients send for an
 * action like "become host") has no body rather than a malformed one: routes that need no body take it,
 * routes that need one answer `validation_error` ("body is required"). Anything else goes to Fastify's
 * own JSON parser (prototype-poisoning protection included), so `{"a":` is still `malformed_json`.
 */
export function acceptEmptyJsonBodies(app: FastifyInstance) {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') done(null, undefined);
    else json(req, body as string, done);
  });
}
