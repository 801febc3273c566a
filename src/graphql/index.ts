/**
 * GraphQL at /graphql (GraphiQL at /graphiql outside production, served by the app: ./graphiql.ts), on
 * the same Fastify app, the same bearer token and the same services as REST. Bounded before anything
 * runs: document size, depth, a query cost limit (aliases and page sizes count), argument scalars, and
 * the same input hygiene as REST (NUL, unpaired surrogates, non-finite numbers) for variables and
 * literals. Introspection is configurable, and with it off, so are field suggestions. Errors carry the
 * REST problem codes in `extensions`.
 */
import type { DocumentNode, GraphQLSchema } from 'graphql';
import mercurius from 'mercurius';
import type { AuthLimits } from '../modules/accounts/auth.limits.js';
import type { ServiceContext } from '../platform/context.js';
import { AppError } from '../platform/errors.js';
import type { RoostApp } from '../platform/http.js';
import { findUnsafeValue, unsafeString } from '../platform/input.js';
import type { RateLimitGuard } from '../platform/rate-limit.js';
import { documentCost } from './cost.js';
import { documentDepth } from './depth.js';
import { registerGraphiql } from './graphiql.js';
import { graphql } from './graphql-js.js';
import { createLoaders, createResolvers } from './resolvers.js';
import { badUserInput } from './scalars.js';
import { schema } from './schema.js';
import { registerSubscriptions, subscriptionOptions } from './subscriptions.js';

const { GraphQLError, NoSchemaIntrospectionCustomRule, specifiedRules, validate, visit } = graphql;

/** "Did you mean …?" hints name fields and types: they leak the schema when introspection is off. */
const SUGGESTION = / ?Did you mean .*\?$/;

/** The first unsafe literal in a document (strings with NUL/unpaired surrogates, non-finite floats). */
function unsafeLiteral(document: DocumentNode): string | null {
  let problem: string | null = null;
  visit(document, {
    StringValue(node) {
      const unsafe = problem ? null : unsafeString(node.value);
      if (unsafe) problem = `a string argument ${unsafe}`;
    },
    FloatValue(node) {
      if (!Number.isFinite(Number(node.value))) problem ??= 'a number argument must be finite';
    },
  });
  return problem;
}

export async function graphqlPlugin(
  app: RoostApp,
  {
    ctx,
    authLimits,
    messageLimit,
  }: { ctx: ServiceContext; authLimits: AuthLimits; messageLimit?: RateLimitGuard | undefined },
) {
  const { config } = ctx;
  const production = config.NODE_ENV === 'production';
  const introspection = config.GRAPHQL_INTROSPECTION ?? !production;
  const strip = (message: string) => (introspection ? message : message.replace(SUGGESTION, ''));
  await app.register(mercurius, {
    schema,
    resolvers: createResolvers(),
    loaders: createLoaders(),
    context: () => ({ ctx, authLimits, messageLimit }),
    // Mercurius' GraphiQL loads React and GraphiQL from a CDN: ours is served by the app (./graphiql.ts).
    graphiql: false,
    // Depth is checked in preValidation below (./depth.ts): mercurius' own check refused the standard
    // introspection query (its `ofType` chains), so GraphiQL and code generators could not load the schema.
    validationRules: introspection ? [] : [NoSchemaIntrospectionCustomRule],
    persistedQueryProvider: mercurius.persistedQueryDefaults.automatic(5000),
    allowBatchedQueries: false,
    // Subscriptions over WebSocket on the same path (./subscriptions.ts).
    subscription: subscriptionOptions(ctx, authLimits),
    errorFormatter: (execution, context) => {
      const formatted = mercurius.defaultErrorFormatter(execution, context);
      const anyApp = (execution.errors ?? []).some(
        (e) => (e as { originalError?: unknown }).originalError instanceof AppError,
      );
      // `data` is absent only when nothing ran; `null` means a resolver failed on a non-null root field,
      // whose errors are mapped one by one below (an unexpected one never shows its message).
      if (execution.data === undefined && !anyApp) {
        // Refused before execution (syntax, validation, depth, cost, argument types, introspection):
        // mercurius' own messages, with our codes where a rule or scalar set one.
        const errors = (formatted.response.errors ?? []).map((e) => ({
          ...e,
          message: strip(e.message),
          extensions: e.extensions?.['code']
            ? e.extensions
            : { code: 'graphql_validation_error', status: 400, ...(e.extensions ?? {}) },
        }));
        // Nothing ran: the request itself was refused (mercurius says 200 for errors thrown in hooks).
        return { statusCode: 400, response: { data: null, errors } };
      }
      const errors = (execution.errors ?? []).map((err) => {
        const original = (err as { originalError?: unknown }).originalError;
        const base = { message: err.message, locations: err.locations, path: err.path };
        if (original instanceof AppError) {
          return {
            ...base,
            message: original.message,
            extensions: {
              code: original.code,
              status: original.status,
              ...(original.status === 400 ? { classification: 'BAD_USER_INPUT' } : {}),
              ...(original.errors ? { errors: original.errors } : {}),
            },
          };
        }
        const own = original instanceof GraphQLError ? original.extensions : undefined;
        if (own?.['code']) {
          // Refused by an argument scalar or an input check: the message names the argument and why.
          return { ...base, message: strip(err.message), extensions: { ...own } };
        }
        if (original && !(original instanceof GraphQLError)) {
          // An unexpected failure inside a resolver: log it, tell the client nothing internal.
          context?.reply?.log.error({ err: original }, 'graphql resolver failed');
          return {
            ...base,
            message: 'An unexpected error occurred',
            extensions: { code: 'internal_error', status: 500 },
          };
        }
        // Refused before execution (syntax, validation, depth, cost, introspection).
        return {
          ...base,
          message: strip(err.message),
          extensions: { code: 'graphql_validation_error', status: 400, ...(err.extensions ?? {}) },
        };
      });
      return { statusCode: formatted.statusCode, response: { data: execution.data ?? null, errors } };
    },
  });

  if (!production) await registerGraphiql(app);
  registerSubscriptions(app, ctx);
  // After the subscriptions: the feed's `Notification.data` is of their `JSON` scalar.

  // The same bounds for queries and mutations (pre* hooks) and subscriptions (preSubscription* hooks).
  const checkSize = (source: string) => {
    if (source.length > config.GRAPHQL_MAX_QUERY_CHARS) {
      throw new GraphQLError(`The query is longer than ${config.GRAPHQL_MAX_QUERY_CHARS} characters`, {
        extensions: { code: 'query_too_large', status: 400 },
      });
    }
  };
  const checkShape = (schema: GraphQLSchema, document: DocumentNode) => {
    const depth = documentDepth(document);
    if (depth > config.GRAPHQL_MAX_DEPTH) {
      throw new GraphQLError(
        `This query is nested ${depth} fields deep, more than the depth limit of ${config.GRAPHQL_MAX_DEPTH}`,
        { extensions: { code: 'query_too_deep', status: 400, maxDepth: config.GRAPHQL_MAX_DEPTH } },
      );
    }
    const max = config.GRAPHQL_MAX_COST;
    if (documentCost(schema, document, max) > max) {
      throw new GraphQLError(
        `This query costs more than ${max} (fields × the page sizes they are selected under, aliases included); ask for fewer fields or smaller pages`,
        { extensions: { code: 'query_too_costly', status: 400, maxCost: max } },
      );
    }
  };
  const checkLiterals = (document: DocumentNode) => {
    const literal = unsafeLiteral(document);
    if (literal) throw new GraphQLError(`Invalid input: ${literal}`, { extensions: badUserInput });
  };
  app.graphql.addHook('preParsing', async (_schema, source) => checkSize(source));
  app.graphql.addHook('preValidation', async (schema, document) => checkShape(schema, document));
  app.graphql.addHook('preSubscriptionParsing', async (_schema, source) => checkSize(source));
  app.graphql.addHook('preSubscriptionExecution', async (schema, document) => {
    checkShape(schema, document);
    // mercurius runs a subscription without graphql-js's validation: here it is, with the same rules.
    const invalid = validate(
      schema,
      document,
      introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule],
    );
    if (invalid[0]) throw invalid[0];
    checkLiterals(document);
  });
  app.graphql.addHook('preExecution', async (_schema, document, _context, variables) => {
    checkLiterals(document);
    const found = findUnsafeValue(variables ?? {}, []);
    if (found) {
      throw new GraphQLError(`Variable ${found.field} ${found.message}`, {
        extensions: {
          ...badUserInput,
          errors: [{ field: found.field, message: found.message, in: 'variables' }],
        },
      });
    }
  });
}
