/**
 * One error shape for every failure: RFC 9457 problem details with a stable `code`.
 * Services throw AppError; the Fastify error handler turns anything thrown into a problem response.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { isStatementTimeout } from '../db/session.js';

export interface FieldError {
  /** Dotted path of the offending field, e.g. `address.city` or `amenities.2`. */
  field: string;
  message: string;
  /** Where the field was: body, querystring, params or headers. */
  in?: string;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, errors?: FieldError[]) =>
  new AppError(400, code, message, errors);
/** A validation failure on one field, with the same shape as schema validation errors. */
export const invalidField = (field: string, message: string, code = 'validation_error') =>
  new AppError(400, code, message, [{ field, message, in: 'body' }]);
export const unauthorized = (message = 'Authentication is required', code = 'unauthorized') =>
  new AppError(401, code, message);
export const forbidden = (message = 'You are not allowed to do this', code = 'forbidden') =>
  new AppError(403, code, message);
export const notFound = (what = 'Resource', code = 'not_found') =>
  new AppError(404, code, `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const unprocessable = (code: string, message: string) => new AppError(422, code, message);

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({ field: Type.String(), message: Type.String(), in: Type.Optional(Type.String()) }),
      ),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);
export type Problem = Static<typeof ProblemSchema>;

export function problem(status: number, code: string, detail: string, errors?: FieldError[]): Problem {
  return {
    type: `https://roost.dev/problems/${code.replaceAll('_', '-')}`,
    title: TITLES[status] ?? STATUS_CODES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, body: Problem) {
  return reply
    .code(body.status)
    .type('application/problem+json')
    .send({ ...body, instance: request.url.split('?')[0], requestId: String(request.id) });
}

/** Ajv error objects, as Fastify attaches them to a validation error. */
interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function toFieldErrors(issues: ValidationIssue[], where: string | undefined): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const parts = issue.instancePath.split('/').filter(Boolean);
    if (issue.keyword === 'required' && typeof issue.params['missingProperty'] === 'string') {
      parts.push(issue.params['missingProperty']);
    }
    if (issue.keyword === 'additionalProperties' && typeof issue.params['additionalProperty'] === 'string') {
      parts.push(issue.params['additionalProperty']);
    }
    const field = parts.join('.') || '(root)';
    let message = issue.message ?? 'is invalid';
    if (issue.keyword === 'required') message = 'is required';
    if (issue.keyword === 'additionalProperties') message = 'is not an allowed property';
    if (issue.keyword === 'enum' && Array.isArray(issue.params['allowedValues'])) {
      message = `must be one of: ${(issue.params['allowedValues'] as unknown[]).join(', ')}`;
    }
    // One message per field: a union (e.g. string-or-null) fails once per branch, which only confuses.
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, message, ...(where ? { in: where } : {}) });
  }
  return out;
}

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed_json'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request'],
  FST_REQ_FILE_TOO_LARGE: [413, 'payload_too_large'],
  FST_PARTS_LIMIT: [413, 'payload_too_large'],
  FST_FILES_LIMIT: [413, 'payload_too_large'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'unsupported_media_type'],
};

const REQUEST_PARTS = ['querystring', 'params', 'headers'] as const;

/**
 * Services name a field without knowing the transport (`invalidField` says `body`): on a REST route,
 * a field the route's schema declares in its query string (or params, headers) and not in its body is
 * reported there, e.g. a search's `checkOut` is `in: querystring`.
 */
function locateField(request: FastifyRequest, error: FieldError): FieldError {
  if (error.in !== 'body') return error;
  const schema = request.routeOptions.schema as
    | Partial<Record<'body' | (typeof REQUEST_PARTS)[number], { properties?: Record<string, unknown> }>>
    | undefined;
  const name = error.field.split('.')[0] ?? '';
  if (!schema || schema.body?.properties?.[name]) return error;
  const part = REQUEST_PARTS.find((p) => schema[p]?.properties?.[name] !== undefined);
  return part ? { ...error, in: part } : error;
}

export function registerErrorHandling(app: FastifyInstance) {
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      problem(404, 'route_not_found', `No route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      const errors = error.errors?.map((e) => locateField(request, e));
      return sendProblem(request, reply, problem(error.status, error.code, error.message, errors));
    }
    if (error.validation) {
      const errors = toFieldErrors(error.validation as ValidationIssue[], error.validationContext);
      const first = errors[0];
      const detail = first ? `${first.field} ${first.message}` : 'The request is invalid';
      return sendProblem(request, reply, problem(400, 'validation_error', detail, errors));
    }
    if (isStatementTimeout(error)) {
      // DATABASE_STATEMENT_TIMEOUT_MS cancelled a statement: the database is overloaded or the query
      // is pathological. Unavailable (retry later), not an unexpected error.
      request.log.warn({ err: error }, 'database statement timed out');
      return sendProblem(
        request,
        reply,
        problem(503, 'database_timeout', 'The database took too long to answer; try again shortly'),
      );
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return sendProblem(request, reply, problem(known[0], known[1], error.message));
    const status = error.statusCode ?? 500;
    if (status === 429) {
      return sendProblem(request, reply, problem(429, 'rate_limited', error.message || 'Too many requests'));
    }
    if (status >= 400 && status < 500) {
      const code = (error.code ?? 'bad_request').toLowerCase();
      return sendProblem(request, reply, problem(status, code, error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, problem(500, 'internal_error', 'An unexpected error occurred'));
  });
}
