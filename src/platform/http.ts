import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { Type } from 'typebox';
import { ProblemSchema } from './errors.js';

/** The Fastify instance type every route module receives (TypeBox-typed requests and replies). */
export type RoostApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const ProblemRef = Type.Ref('Problem');

/** Standard problem responses for a route's OpenAPI description. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, ProblemRef])) as Record<number, typeof ProblemRef>;
}

export { ProblemSchema };

/** Where a request came from, recorded on sessions. */
export interface ClientInfo {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export function clientInfo(request: FastifyRequest): ClientInfo {
  return { ip: request.ip, userAgent: request.headers['user-agent'] };
}
