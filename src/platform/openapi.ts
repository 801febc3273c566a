/**
 * The REST API's OpenAPI 3.1 document, built from the routes' own schemas: served at GET /openapi.json,
 * browsable at /docs (Swagger UI), and kept in the repository as openapi.json (scripts/openapi.ts).
 *
 * Conventions every route follows (test/openapi.test.ts checks them):
 * - `operationId` (unique, camelCase), `summary`, `description`, `tags` (one of TAGS below);
 * - `security`: `bearerSecurity` when a token is required, `publicSecurity` when not,
 *   `optionalBearerSecurity` when a token shows more (src/platform/http.ts);
 * - errors via `problemResponses(...)`: `application/problem+json`, the Problem component;
 * - `examples` on request bodies and success responses, valid against their schema.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** Paths that serve tools rather than the API: never in the document. */
const INTERNAL_PREFIXES = ['/graphql', '/graphiql', '/docs', '/openapi.json'];

export const isInternalPath = (url: string) => INTERNAL_PREFIXES.some((p) => url.startsWith(p));

/** Each tag an operation may carry, in the order the docs show them. */
export const TAGS = [
  { name: 'meta', description: 'Where to start: links to the documentation, GraphQL and health.' },
  {
    name: 'auth',
    description:
      'Accounts and sessions: register, sign in (an access token plus a rotating refresh token), verify ' +
      'the email address, reset a forgotten password. Credential endpoints are rate limited.',
  },
  { name: 'users', description: 'The signed-in user: profile, password, becoming a host.' },
  {
    name: 'properties',
    description:
      'Listings: search (filters, distance, availability and price for given dates, keyset pages), a ' +
      "host's own listings, publishing, and the nightly calendar.",
  },
  { name: 'photos', description: "A listing's photos: upload (multipart), order, cover, removal." },
  { name: 'media', description: 'Stored files (listing photos), served by content hash and cached forever.' },
  {
    name: 'bookings',
    description:
      'Quotes, reservations (held unpaid for a while, or a request the host accepts), cancellations ' +
      'with refunds per the cancellation policy, and trips / host bookings lists.',
  },
  {
    name: 'payments',
    description: "Paying for a booking, a booking's payments and refunds, and the providers' webhooks.",
  },
  {
    name: 'payouts',
    description:
      'Hosts: the payout account at the payment provider (onboarding), upcoming, paid and failed payouts, and a CSV export.',
  },
  { name: 'reviews', description: 'Reviews of completed stays, host replies, and hosts rating guests.' },
  {
    name: 'messaging',
    description:
      'Guests and hosts talking: one conversation per listing and guest (an inquiry, then its bookings), ' +
      'read markers, blocks, pre-approvals. Contact details are masked until a booking is confirmed.',
  },
  {
    name: 'notifications',
    description: 'The in-app notification feed, unread counts, and per-category email preferences.',
  },
  {
    name: 'events',
    description:
      "Real-time delivery: the signed-in user's events (messages, read receipts, notifications, booking " +
      'changes) as Server-Sent Events, and tickets to open the stream from a browser.',
  },
  {
    name: 'admin',
    description:
      'Administration (role admin): users (search, suspension, roles, sign-out everywhere, export and ' +
      'erasure), listings (unlist/relist), bookings (search, timeline, cancel on behalf, partial refunds), ' +
      'money (ledger, balances, payout report), the dashboard, moderation of reviews, the failed-jobs ' +
      'queue, and the audit log every admin route writes to (one row per request).',
  },
  {
    name: 'health',
    description: 'Liveness and readiness for load balancers and orchestrators (no authentication).',
  },
  { name: 'metrics', description: 'Prometheus metrics (text exposition format) for scraping.' },
];

export const OPENAPI_INFO = {
  title: 'Roost API',
  version: '1.0.0',
  summary: 'The REST API of Roost, a short-term-rental marketplace.',
  description: [
    'Search homes, book stays, pay, review: the REST API of Roost (a GraphQL API at `/graphql` covers the same ground).',
    '',
    '**Authentication.** `POST /api/v1/auth/login` answers an access token (a JWT, short-lived) and a',
    'refresh token. Send the access token as `Authorization: Bearer <token>`; rotate it with',
    '`POST /api/v1/auth/refresh`. Operations marked with a lock need it.',
    '',
    '**Errors** are RFC 9457 problem details (`application/problem+json`) with a stable `code`, e.g.',
    '`validation_error` with an `errors` array naming each field and where it was (`body`, `querystring`,',
    '`params`, `headers`). Every response carries an `x-request-id` (send your own to correlate).',
    '',
    '**Lists** are keyset-paginated: pass the `nextCursor` of a page as `cursor` to get the next one;',
    'it is `null` on the last page.',
    '',
    '**Money** is in minor units of the listed `currency` (cents for EUR and USD).',
  ].join('\n'),
  contact: { name: 'Roost API team', url: 'https://roost.dev', email: 'api@roost.dev' },
};

interface ObjectSchema {
  properties?: Record<string, { default?: unknown }>;
  required?: string[];
}

/**
 * A query parameter with a default may be left out (validation fills it in before `required` is
 * checked), so the document does not mark it required; TypeBox lists it as required so that handlers
 * see it typed as present.
 */
function withDefaultsOptional<S extends { querystring?: unknown }>(schema: S): S {
  const query = schema.querystring as ObjectSchema | undefined;
  if (!query?.required || !query.properties) return schema;
  const props = query.properties;
  const required = query.required.filter((name) => props[name]?.default === undefined);
  return { ...schema, querystring: { ...query, required } };
}

type JsonSchema = Record<string, unknown>;
interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, JsonSchema>; responses?: Record<string, JsonSchema> };
}

const SCHEMA_NAME = /^[A-Z][A-Za-z0-9]*$/;
const { stringify } = JSON;

/**
 * Routes carry their schemas inline; a schema with a `title` (User, Booking, Property…) becomes a named
 * component that every use refers to: a client generator makes one type of it, and the document stays
 * small. Two different schemas under one title are a mistake, reported when the document is built.
 * Only schema positions are walked (never examples, whose objects may well have a `title`).
 */
function hoistNamedSchemas<D extends OpenApiDocument>(doc: D): D {
  const components = { ...doc.components?.schemas };
  const named = new Map<string, string>();
  const hoist = (schema: unknown): unknown => {
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
    const s = { ...(schema as JsonSchema) };
    if (s['properties'] && typeof s['properties'] === 'object') {
      s['properties'] = Object.fromEntries(
        Object.entries(s['properties'] as JsonSchema).map(([k, v]) => [k, hoist(v)]),
      );
    }
    for (const key of ['items', 'additionalProperties', 'not']) if (key in s) s[key] = hoist(s[key]);
    for (const key of ['anyOf', 'oneOf', 'allOf']) {
      if (Array.isArray(s[key])) s[key] = (s[key] as unknown[]).map(hoist);
    }
    const title = s['title'];
    if (typeof title !== 'string' || !SCHEMA_NAME.test(title)) return s;
    // Where it is used may describe it (a response's own words): the component is the shape.
    const { description: _usage, examples, ...shape } = s;
    const key = stringify(shape);
    const seen = named.get(title);
    if (seen === undefined) {
      named.set(title, key);
      components[title] = { ...shape, ...(examples ? { examples } : {}) };
    } else if (seen !== key) {
      throw new Error(`OpenAPI: two different schemas are titled ${title}; give one another title`);
    }
    return { $ref: `#/components/schemas/${title}` };
  };
  const media = (content: unknown) => {
    for (const m of Object.values((content ?? {}) as Record<string, JsonSchema>)) {
      if (m['schema']) m['schema'] = hoist(m['schema']);
    }
  };
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item) as JsonSchema[]) {
      if (!op || typeof op !== 'object') continue;
      for (const p of (op['parameters'] ?? []) as JsonSchema[]) p['schema'] = hoist(p['schema']);
      media((op['requestBody'] as JsonSchema | undefined)?.['content']);
      for (const r of Object.values((op['responses'] ?? {}) as Record<string, JsonSchema>))
        media(r['content']);
    }
  }
  const sorted = Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b)));
  return { ...doc, components: { ...doc.components, schemas: sorted } };
}

/**
 * The problem responses of `problemResponses()` are the same wherever a status is used: each becomes one
 * named response (`BadRequest`, `NotFound`…) that operations refer to.
 */
function shareProblemResponses<D extends OpenApiDocument>(doc: D): D {
  const shared: Record<string, JsonSchema> = {};
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item) as JsonSchema[]) {
      const responses = op?.['responses'] as Record<string, JsonSchema> | undefined;
      for (const [status, response] of Object.entries(responses ?? {})) {
        const content = response['content'] as Record<string, { example?: { title?: string } }> | undefined;
        const title = content?.['application/problem+json']?.example?.title;
        if (!title || Object.keys(content ?? {}).length !== 1) continue;
        const name = title.replace(/[^A-Za-z]/g, '');
        const seen = shared[name];
        if (seen && stringify(seen) !== stringify(response)) continue; // a route's own words: inline
        shared[name] = response;
        responses![status] = { $ref: `#/components/responses/${name}` };
      }
    }
  }
  const sorted = Object.fromEntries(Object.entries(shared).sort(([a], [b]) => a.localeCompare(b)));
  return { ...doc, components: { ...doc.components, responses: sorted } };
}

/** Declared only where those routes exist (outside production). */
const DEVELOPMENT_TAG = {
  name: 'development',
  description: 'Development-only helpers for walk-throughs (admins; absent in production).',
};

/**
 * Registers the document (GET /openapi.json) and Swagger UI (/docs). `development`: whether the
 * development-only routes are mounted (outside production), so their tag is declared.
 */
export async function registerOpenApi(app: FastifyInstance, opts: { development: boolean }) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      // Relative: the document describes whichever host serves it (Swagger UI "Try it out" included).
      servers: [{ url: '/', description: 'The server this document was fetched from' }],
      tags: opts.development ? [...TAGS, DEVELOPMENT_TAG] : TAGS,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'The `accessToken` of `POST /api/v1/auth/login` (or `/refresh`)',
          },
        },
      },
    },
    transform: ({ schema, url }) => ({
      // GraphQL describes itself (its schema); its transport and tool routes are not REST operations.
      schema: isInternalPath(url) ? { ...schema, hide: true } : withDefaultsOptional(schema),
      // A module's root route ('/' under a prefix) answers both `/api/v1/users` and `/api/v1/users/`;
      // the document names the first.
      url: url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url,
    }),
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) =>
      'openapiObject' in document
        ? (shareProblemResponses(
            hoistNamedSchemas(document.openapiObject as OpenApiDocument),
          ) as typeof document.openapiObject)
        : document.swaggerObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
