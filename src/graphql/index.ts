/**
 * GraphQL at /graphql (GraphiQL at /graphiql outside production), on the same Fastify app, the same
 * bearer token and the same services as REST. Depth-limited, introspection configurable, automatic
 * persisted queries, and errors carrying the REST problem codes in `extensions`.
 */
import { createRequire } from 'node:module';
import mercurius from 'mercurius';
import type { ServiceContext } from '../platform/context.js';
import { AppError } from '../platform/errors.js';
import type { RoostApp } from '../platform/http.js';
import { createLoaders, createResolvers } from './resolvers.js';
import { schema } from './schema.js';

// mercurius runs graphql-js as CommonJS; a validation rule must come from that same instance.
const { NoSchemaIntrospectionCustomRule } = createRequire(import.meta.url)(
  'graphql',
) as typeof import('graphql');

export async function graphqlPlugin(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const production = ctx.config.NODE_ENV === 'production';
  const introspection = ctx.config.GRAPHQL_INTROSPECTION ?? !production;
  await app.register(mercurius, {
    schema,
    resolvers: createResolvers(),
    loaders: createLoaders(),
    context: () => ({ ctx }),
    graphiql: !production,
    queryDepth: ctx.config.GRAPHQL_MAX_DEPTH,
    validationRules: introspection ? [] : [NoSchemaIntrospectionCustomRule],
    persistedQueryProvider: mercurius.persistedQueryDefaults.automatic(5000),
    allowBatchedQueries: false,
    errorFormatter: (execution, context) => {
      const formatted = mercurius.defaultErrorFormatter(execution, context);
      if (execution.data === undefined || execution.data === null) {
        // Refused before execution (syntax, validation, depth, introspection): mercurius' own messages.
        const errors = (formatted.response.errors ?? []).map((e) => ({
          ...e,
          extensions: { code: 'graphql_validation_error', status: 400, ...(e.extensions ?? {}) },
        }));
        const anyApp = (execution.errors ?? []).some(
          (e) => (e as { originalError?: unknown }).originalError instanceof AppError,
        );
        if (!anyApp) return { statusCode: formatted.statusCode, response: { data: null, errors } };
      }
      const errors = (execution.errors ?? []).map((err) => {
        const original = (err as { originalError?: unknown }).originalError;
        if (original instanceof AppError) {
          return {
            message: original.message,
            locations: err.locations,
            path: err.path,
            extensions: {
              code: original.code,
              status: original.status,
              ...(original.errors ? { errors: original.errors } : {}),
            },
          };
        }
        if (original && !(original as { extensions?: unknown }).extensions && err.path) {
          // An unexpected failure inside a resolver: log it, tell the client nothing internal.
          context?.reply?.log.error({ err: original }, 'graphql resolver failed');
          return {
            message: 'An unexpected error occurred',
            locations: err.locations,
            path: err.path,
            extensions: { code: 'internal_error', status: 500 },
          };
        }
        return {
          message: err.message,
          locations: err.locations,
          path: err.path,
          extensions: { code: 'graphql_validation_error', status: 400, ...(err.extensions ?? {}) },
        };
      });
      return { statusCode: formatted.statusCode, response: { data: execution.data ?? null, errors } };
    },
  });
}
