import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { type TSchema, Type } from 'typebox';
import { type Problem, ProblemSchema, problem } from './errors.js';
import { encodeCursor, pageOf } from './pagination.js';

/** The Fastify instance type every route module receives (TypeBox-typed requests and replies). */
export type RoostApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const ProblemRef = Type.Ref('Problem');

/** The media type every error is sent with (src/platform/errors.ts sendProblem). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** What each problem status means across the API, and a realistic problem of that status. */
const PROBLEMS: Record<number, { description: string; example: Omit<Problem, 'type' | 'title' | 'status'> }> =
  {
    400: {
      description: 'The request is invalid: `errors` names each offending field and where it was',
      example: {
        detail: 'checkOut must be after checkIn',
        code: 'validation_error',
        errors: [{ field: 'checkOut', message: 'must be after checkIn', in: 'body' }],
      },
    },
    401: {
      description: 'No valid access token (missing, expired, or its session was revoked)',
      example: { detail: 'Authentication is required', code: 'unauthorized' },
    },
    402: {
      description: 'The payment was declined by the provider',
      example: { detail: 'The payment was declined (card_declined)', code: 'payment_failed' },
    },
    403: {
      description: 'Signed in, but not allowed to do this (wrong role, not the owner, or suspended)',
      example: { detail: 'You are not allowed to do this', code: 'forbidden' },
    },
    404: {
      description: 'No such resource, or not one the caller may see',
      example: { detail: 'Resource not found', code: 'not_found' },
    },
    409: {
      description: 'The resource is not in a state that allows this (see `code`)',
      example: { detail: 'These dates were just booked by someone else', code: 'dates_unavailable' },
    },
    413: {
      description: 'The request body (or the uploaded file) is too large',
      example: { detail: 'request file too large', code: 'payload_too_large' },
    },
    415: {
      description: 'The content is not of a type this endpoint accepts',
      example: { detail: 'Photos must be JPEG, PNG or WebP images', code: 'unsupported_image' },
    },
    422: {
      description: 'The request is well-formed but cannot be processed (e.g. an idempotency key reused)',
      example: {
        detail: 'This Idempotency-Key was already used with a different request',
        code: 'idempotency_key_reused',
      },
    },
    429: {
      description: 'Too many requests: wait for `retry-after` seconds',
      example: { detail: 'Too many attempts; try again in 42 s', code: 'rate_limited' },
    },
    502: {
      description: 'An upstream provider did not answer; the operation settles when it does',
      example: {
        detail:
          'The payment provider did not answer; the payment stays processing and is settled when it does',
        code: 'provider_unavailable',
      },
    },
    503: {
      description: 'A dependency is unavailable: try again shortly',
      example: { detail: 'The job queue is not answering; try again shortly', code: 'queue_unavailable' },
    },
  };

const RETRY_AFTER = { type: 'integer', minimum: 0, description: 'Seconds to wait before trying again' };

/**
 * Standard problem responses for a route: described as `application/problem+json` (the Problem
 * component), with an example of each. Fastify serializes an error reply with the schema of its status
 * and media type, so the content form is what is sent, too.
 */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => {
      const known = PROBLEMS[status];
      if (!known) throw new Error(`problemResponses: no description for status ${status}`);
      const { code, detail, errors } = known.example;
      // Built like the real ones (type, title), as sent to a request with this id.
      const example: Problem = {
        ...problem(status, code, detail, errors),
        requestId: '6f1c2a4e-8d1b-4f4e-9a55-2b7f0c3d9e10',
      };
      return [
        status,
        {
          description: known.description,
          ...(status === 429 ? { headers: { 'retry-after': RETRY_AFTER } } : {}),
          content: { [PROBLEM_MEDIA_TYPE]: { schema: ProblemRef, example } },
        },
      ];
    }),
    // Typed as the schema they carry, for the route's reply typing.
  ) as unknown as Record<number, typeof ProblemRef>;
}

/** A response schema with the description OpenAPI shows for it (e.g. `described(UserSchema, 'The user')`). */
export function described<S extends TSchema>(schema: S, description: string): S {
  return { ...schema, description };
}

/**
 * A keyset page of `item` as a response, with an example page made of the item's own example (a full
 * page, so `nextCursor` is set).
 */
export function pageResponse<S extends TSchema>(item: S, description: string) {
  const example = (item as { examples?: unknown[] }).examples?.[0];
  const page = pageOf(item);
  const nextCursor = encodeCursor({ id: (example as { id?: string } | undefined)?.id ?? 'example' });
  return {
    ...page,
    description,
    ...(example === undefined ? {} : { examples: [{ items: [example], nextCursor }] }),
  } as typeof page;
}

/** Path parameters of a route on one object: `{ id }`, a UUID, described with an example. */
export function idParams(what: string, example: string) {
  return Type.Object({ id: Type.String({ format: 'uuid', description: what, examples: [example] }) });
}

/** A 204 response: no body. */
export function noContent(description: string) {
  return Type.Null({ description });
}

/** `security` of an operation anyone may call (no token needed). */
export const publicSecurity: { bearerAuth: string[] }[] = [];
/** `security` of an operation anyone may call, which shows more to a signed-in caller. */
export const optionalBearerSecurity: { bearerAuth?: string[] }[] = [{}, { bearerAuth: [] }];

export { ProblemSchema };

/** Where a request came from, recorded on sessions. */
export interface ClientInfo {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export function clientInfo(request: FastifyRequest): ClientInfo {
  return { ip: request.ip, userAgent: request.headers['user-agent'] };
}
