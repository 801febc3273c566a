/**
 * A Postman collection and environment generated from the OpenAPI document (openapi.json):
 *
 *   npm run postman              writes postman/roost.postman_collection.json and
 *                                postman/roost.postman_environment.json
 *   npm run postman -- --check   fails (exit 1) when the files differ from what openapi.json gives
 *
 * The collection (Postman v2.1 format) holds:
 *  - **User story**: a folder newman can run end to end (`newman run … --folder "User story"`): a host
 *    registers, signs in, becomes a host, lists a home and publishes it; a guest registers, signs in,
 *    searches, gets a quote, books, pays with the sandbox card and reads the booking and their trips.
 *    Each step asserts its status and body with `pm.test` and hands ids and tokens on through
 *    environment variables; emails are unique per run.
 *  - one folder per tag of the document, one request per operation: `{{baseUrl}}` and the path, path
 *    parameters bound to variables (`{{propertyId}}`, `{{bookingId}}` …), optional query parameters and
 *    headers present but disabled, with the document's example values; the document's example as the
 *    JSON body; a multipart form with a file field for uploads. Protected operations inherit the
 *    collection's bearer auth (`{{accessToken}}`), public ones say `noauth`; logging in and refreshing
 *    store `accessToken` and `refreshToken` in the environment.
 *
 * The output is a pure function of the document (no random ids, no timestamps), so the check is exact.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const COLLECTION_PATH = join(ROOT, 'postman', 'roost.postman_collection.json');
export const ENVIRONMENT_PATH = join(ROOT, 'postman', 'roost.postman_environment.json');
export const STORY_FOLDER = 'User story';
export const DEFAULT_BASE_URL = 'http://localhost:3000';

// --- The OpenAPI document, as far as it is read here ---------------------------------------------------

interface Schema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  description?: string;
  $ref?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  security?: Record<string, string[]>[];
  deprecated?: boolean;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const;

// --- Postman's format (the parts written here) ----------------------------------------------------------

interface KeyValue {
  key: string;
  value: string;
  description?: string;
  disabled?: boolean;
  type?: string;
}

interface PostmanEvent {
  listen: 'test' | 'prerequest';
  script: { type: 'text/javascript'; exec: string[] };
}

interface PostmanRequest {
  method: string;
  header: KeyValue[];
  url: {
    raw: string;
    host: string[];
    path: string[];
    query?: KeyValue[];
    variable?: KeyValue[];
  };
  description?: string;
  auth?: { type: 'noauth' } | { type: 'bearer'; bearer: KeyValue[] };
  body?:
    | { mode: 'raw'; raw: string; options: { raw: { language: 'json' } } }
    | {
        mode: 'formdata';
        formdata: (KeyValue | { key: string; type: 'file'; src: string[]; description?: string })[];
      };
}

interface PostmanItem {
  name: string;
  request: PostmanRequest;
  event?: PostmanEvent[];
  response: never[];
}

interface PostmanFolder {
  name: string;
  description?: string;
  item: PostmanItem[];
  event?: PostmanEvent[];
}

export interface PostmanCollection {
  info: { _postman_id: string; name: string; description: string; schema: string };
  auth: { type: 'bearer'; bearer: KeyValue[] };
  variable: KeyValue[];
  item: PostmanFolder[];
}

export interface PostmanEnvironment {
  id: string;
  name: string;
  values: { key: string; value: string; type: 'default' | 'secret'; enabled: boolean }[];
  _postman_variable_scope: 'environment';
}

/** A stable UUID-shaped id from a name (so regenerating gives the same file). */
function stableId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// --- Example values ------------------------------------------------------------------------------------

/** The document being converted, for `$ref`s inside schemas. */
let current: OpenApiDocument | undefined;

function deref(schema: Schema): Schema | undefined {
  if (!schema.$ref) return schema;
  if (!schema.$ref.startsWith('#/') || !current) return undefined;
  let at: unknown = current;
  for (const part of schema.$ref.slice(2).split('/')) {
    at = (at as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return at as Schema | undefined;
}

/** A value for a schema: its own example, default or first enum value, else one made from its type. */
export function exampleOf(given: Schema | undefined, depth = 0): unknown {
  const schema = given && deref(given);
  if (!schema || depth > 8) return null;
  if (schema.examples && schema.examples.length > 0) return schema.examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined) return schema.default;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const first = alternatives.find((s) => s.type !== 'null') ?? alternatives[0];
    return exampleOf(first, depth + 1);
  }
  if (schema.allOf) {
    return Object.assign({}, ...schema.allOf.map((s) => exampleOf(s, depth + 1) as object));
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(key) || depth === 0) out[key] = exampleOf(sub, depth + 1);
      }
      return out;
    }
    case 'array':
      return [exampleOf(schema.items, depth + 1)];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      switch (schema.format) {
        case 'email':
          return 'ana.garcia@example.com';
        case 'uuid':
          return '7c2e4a10-3b8f-4d6e-a1c5-9f0b2d4e6a8c';
        case 'date':
          return '2031-07-10';
        case 'date-time':
          return '2031-07-10T15:00:00Z';
        case 'uri':
          return 'https://example.com/';
        default:
          return 'text';
      }
    default:
      return null;
  }
}

function mediaExample(media: MediaType): unknown {
  if (media.example !== undefined) return media.example;
  const first = media.examples && Object.values(media.examples)[0];
  if (first?.value !== undefined) return first.value;
  return exampleOf(media.schema);
}

function parameterExample(p: Parameter): unknown {
  if (p.example !== undefined) return p.example;
  const first = p.examples && Object.values(p.examples)[0];
  if (first?.value !== undefined) return first.value;
  return exampleOf(p.schema);
}

const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

// --- Requests --------------------------------------------------------------------------------------------

/** The environment variable a path parameter is bound to, by the collection the path names. */
const ID_VARIABLES: Record<string, string> = {
  users: 'userId',
  properties: 'propertyId',
  bookings: 'bookingId',
  reviews: 'reviewId',
  failed: 'jobId',
};

function pathVariable(path: string, name: string): string | undefined {
  if (name === 'photoId') return 'photoId';
  if (name === 'key') return 'mediaKey';
  if (name !== 'id') return undefined;
  const segments = path.split('/');
  const before = segments[segments.indexOf('{id}') - 1] ?? '';
  return ID_VARIABLES[before];
}

function isProtected(doc: OpenApiDocument, op: Operation): boolean {
  const security = op.security ?? doc.security ?? [];
  return security.some((requirement) => Object.keys(requirement).length > 0);
}

function url(path: string, query: KeyValue[] = [], variable: KeyValue[] = []): PostmanRequest['url'] {
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/^\{(.+)\}$/, ':$1'));
  const enabled = query.filter((q) => !q.disabled);
  const raw =
    `{{baseUrl}}/${segments.join('/')}` +
    (enabled.length > 0 ? `?${enabled.map((q) => `${q.key}=${q.value}`).join('&')}` : '');
  return {
    raw,
    host: ['{{baseUrl}}'],
    path: segments,
    ...(query.length > 0 ? { query } : {}),
    ...(variable.length > 0 ? { variable } : {}),
  };
}

const script = (listen: PostmanEvent['listen'], lines: string[]): PostmanEvent => ({
  listen,
  script: { type: 'text/javascript', exec: lines },
});

/** Stores the session of a login or refresh response in the environment. */
const KEEP_TOKENS = [
  "pm.test('status is 200', () => pm.response.to.have.status(200));",
  'if (pm.response.code === 200) {',
  '  const session = pm.response.json();',
  "  pm.environment.set('accessToken', session.accessToken);",
  "  pm.environment.set('refreshToken', session.refreshToken);",
  '}',
];

/** Body fields that take what an earlier request stored (the example's value otherwise). */
const BODY_VARIABLES: Record<string, string> = {
  refreshToken: '{{refreshToken}}',
  propertyId: '{{propertyId}}',
  bookingId: '{{bookingId}}',
};

function withVariables(example: unknown): unknown {
  if (typeof example !== 'object' || example === null || Array.isArray(example)) return example;
  return Object.fromEntries(
    Object.entries(example).map(([key, value]) => [key, BODY_VARIABLES[key] ?? value]),
  );
}

/** Keeps the `nextCursor` of a page, for the request's disabled `cursor` parameter. */
const KEEP_CURSOR = [
  "pm.test('status is 200', () => pm.response.to.have.status(200));",
  'if (pm.response.code === 200) {',
  "  pm.environment.set('nextCursor', pm.response.json().nextCursor || '');",
  '}',
];

/** The request of one operation, with the document's examples. */
function operationRequest(doc: OpenApiDocument, path: string, method: string, op: Operation): PostmanItem {
  const params = op.parameters ?? [];
  const query: KeyValue[] = params
    .filter((p) => p.in === 'query')
    .map((p) => ({
      key: p.name,
      // Keyset pages: the list requests keep their `nextCursor` in the environment.
      value: p.name === 'cursor' ? '{{nextCursor}}' : asText(parameterExample(p)),
      ...(p.description ? { description: p.description } : {}),
      ...(p.required ? {} : { disabled: true }),
    }));
  const variable: KeyValue[] = params
    .filter((p) => p.in === 'path')
    .map((p) => {
      const bound = pathVariable(path, p.name);
      return {
        key: p.name,
        value: bound ? `{{${bound}}}` : asText(parameterExample(p)),
        ...(p.description ? { description: p.description } : {}),
      };
    });
  const header: KeyValue[] = params
    .filter((p) => p.in === 'header')
    .map((p) => ({
      key: p.name,
      value: p.name.toLowerCase() === 'idempotency-key' ? '{{$guid}}' : asText(parameterExample(p)),
      ...(p.description ? { description: p.description } : {}),
      ...(p.required ? {} : { disabled: true }),
    }));
  const request: PostmanRequest = { method: method.toUpperCase(), header, url: url(path, query, variable) };
  const content = op.requestBody?.content ?? {};
  const json = Object.entries(content).find(([type]) => /[/+]json$/.test(type));
  const multipart = content['multipart/form-data'];
  if (json) {
    request.header.push({ key: 'Content-Type', value: json[0] });
    request.body = {
      mode: 'raw',
      raw: JSON.stringify(withVariables(mediaExample(json[1])), null, 2),
      options: { raw: { language: 'json' } },
    };
  } else if (multipart) {
    const schema = multipart.schema ?? {};
    request.body = {
      mode: 'formdata',
      formdata: Object.entries(schema.properties ?? {}).map(([key, prop]) => {
        const description = prop.description ? { description: prop.description } : {};
        if (prop.format === 'binary' || (prop as { contentMediaType?: string }).contentMediaType) {
          return { key, type: 'file' as const, src: [], ...description };
        }
        return {
          key,
          value: asText(exampleOf(prop)),
          type: 'text',
          ...description,
          ...(schema.required?.includes(key) ? {} : { disabled: true }),
        };
      }),
    };
  }
  if (!isProtected(doc, op)) request.auth = { type: 'noauth' };
  const description = [op.description, op.operationId ? `operationId: \`${op.operationId}\`` : undefined]
    .filter(Boolean)
    .join('\n\n');
  if (description) request.description = description;
  const item: PostmanItem = {
    name: op.summary ?? op.operationId ?? `${method.toUpperCase()} ${path}`,
    request,
    response: [],
  };
  if (op.operationId === 'login' || op.operationId === 'refreshSession') {
    item.event = [script('test', KEEP_TOKENS)];
  } else if (query.some((q) => q.key === 'cursor')) {
    item.event = [script('test', KEEP_CURSOR)];
  }
  return item;
}

// --- The user story ---------------------------------------------------------------------------------------

interface Step {
  name: string;
  operationId: string;
  query?: Record<string, string>;
  body?: unknown;
  /** The token variable to send (default: the collection's `{{accessToken}}`); `none` for anonymous. */
  token?: string | 'none';
  headers?: Record<string, string>;
  prerequest?: string[];
  tests: string[];
}

const STORY_CHECK_IN = '2031-06-10';
const STORY_CHECK_OUT = '2031-06-13';

const STORY: Step[] = [
  {
    name: 'Host registers',
    operationId: 'registerUser',
    token: 'none',
    // One run id per run of the folder: every email of the run is unique.
    prerequest: [
      "pm.environment.set('runId', Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36));",
      "pm.environment.set('storyPassword', 'story-pass-' + Math.floor(Math.random() * 1e9));",
    ],
    body: {
      email: 'host.{{runId}}@example.com',
      password: '{{storyPassword}}',
      firstName: 'Hana',
      lastName: 'Story',
    },
    tests: [
      "pm.test('status is 201', () => pm.response.to.have.status(201));",
      'const user = pm.response.json();',
      "pm.test('a new guest account', () => {",
      "  pm.expect(user.email).to.eql('host.' + pm.environment.get('runId') + '@example.com');",
      "  pm.expect(user.role).to.eql('guest');",
      '});',
      "pm.environment.set('hostId', user.id);",
    ],
  },
  {
    name: 'Host logs in',
    operationId: 'login',
    token: 'none',
    body: { email: 'host.{{runId}}@example.com', password: '{{storyPassword}}' },
    tests: [
      ...KEEP_TOKENS,
      "pm.test('the host signed in', () => pm.expect(pm.response.json().user.id).to.eql(pm.environment.get('hostId')));",
      "pm.environment.set('hostToken', pm.response.json().accessToken);",
    ],
  },
  {
    name: 'Host becomes a host',
    operationId: 'becomeHost',
    token: 'hostToken',
    tests: [
      "pm.test('status is 200', () => pm.response.to.have.status(200));",
      'const body = pm.response.json();',
      "pm.test('role is host', () => pm.expect(body.user.role).to.eql('host'));",
      "pm.environment.set('hostToken', body.accessToken);",
    ],
  },
  {
    name: 'Host creates a listing',
    operationId: 'createProperty',
    token: 'hostToken',
    body: {
      title: 'Story loft {{runId}}',
      description: 'A bright loft over the river, listed by the Postman user story.',
      propertyType: 'entire_place',
      address: { street: '1 Rua da Prata', city: 'Lisbon', countryCode: 'PT' },
      latitude: 38.7101,
      longitude: -9.1365,
      maxGuests: 4,
      bedrooms: 2,
      beds: 2,
      bathrooms: 1.5,
      nightlyPrice: 12345,
      currency: 'EUR',
      cleaningFee: 2500,
      cancellationPolicy: 'strict',
      instantBook: true,
      amenities: ['wifi'],
    },
    tests: [
      "pm.test('status is 201', () => pm.response.to.have.status(201));",
      'const listing = pm.response.json();',
      "pm.test('a draft of the host', () => {",
      "  pm.expect(listing.status).to.eql('draft');",
      "  pm.expect(listing.hostId).to.eql(pm.environment.get('hostId'));",
      '  pm.expect(listing.nightlyPrice).to.eql(12345);',
      '});',
      "pm.environment.set('propertyId', listing.id);",
    ],
  },
  {
    name: 'Host publishes the listing',
    operationId: 'publishProperty',
    token: 'hostToken',
    tests: [
      "pm.test('status is 200', () => pm.response.to.have.status(200));",
      "pm.test('listed', () => pm.expect(pm.response.json().status).to.eql('listed'));",
    ],
  },
  {
    name: 'Guest registers',
    operationId: 'registerUser',
    token: 'none',
    body: {
      email: 'guest.{{runId}}@example.com',
      password: '{{storyPassword}}',
      firstName: 'Gus',
      lastName: 'Story',
    },
    tests: [
      "pm.test('status is 201', () => pm.response.to.have.status(201));",
      "pm.environment.set('guestId', pm.response.json().id);",
    ],
  },
  {
    name: 'Guest logs in',
    operationId: 'login',
    token: 'none',
    body: { email: 'guest.{{runId}}@example.com', password: '{{storyPassword}}' },
    tests: [
      ...KEEP_TOKENS,
      "pm.test('the guest signed in', () => pm.expect(pm.response.json().user.id).to.eql(pm.environment.get('guestId')));",
    ],
  },
  {
    name: 'Guest searches homes for the dates',
    operationId: 'searchProperties',
    token: 'none',
    query: {
      city: 'Lisbon',
      checkIn: STORY_CHECK_IN,
      checkOut: STORY_CHECK_OUT,
      guests: '2',
      sort: 'newest',
      limit: '50',
    },
    tests: [
      "pm.test('status is 200', () => pm.response.to.have.status(200));",
      "const found = pm.response.json().items.find((p) => p.id === pm.environment.get('propertyId'));",
      "pm.test('the new listing is found', () => pm.expect(found).to.be.an('object'));",
      "pm.test('with the price of the stay', () => {",
      '  pm.expect(found.stay.nights).to.eql(3);',
      '  pm.expect(found.stay.nightsSubtotal).to.eql(3 * 12345);',
      '  pm.expect(found.stay.total).to.eql(found.stay.nightsSubtotal + found.stay.cleaningFee + found.stay.serviceFee + found.stay.taxes);',
      '});',
    ],
  },
  {
    name: 'Guest gets a quote',
    operationId: 'quoteStay',
    body: { propertyId: '{{propertyId}}', checkIn: STORY_CHECK_IN, checkOut: STORY_CHECK_OUT, guests: 2 },
    tests: [
      "pm.test('status is 200', () => pm.response.to.have.status(200));",
      'const quote = pm.response.json();',
      "pm.test('three nights, fees and total add up', () => {",
      '  pm.expect(quote.nights).to.eql(3);',
      '  pm.expect(quote.cleaningFee).to.eql(2500);',
      '  pm.expect(quote.total).to.eql(quote.nightsSubtotal + quote.cleaningFee + quote.serviceFee + quote.taxes);',
      '});',
      "pm.environment.set('quoteTotal', String(quote.total));",
    ],
  },
  {
    name: 'Guest books',
    operationId: 'createBooking',
    headers: { 'Idempotency-Key': '{{$guid}}' },
    body: {
      propertyId: '{{propertyId}}',
      checkIn: STORY_CHECK_IN,
      checkOut: STORY_CHECK_OUT,
      guests: 2,
      message: 'Arriving by train around six.',
    },
    tests: [
      "pm.test('status is 201', () => pm.response.to.have.status(201));",
      'const booking = pm.response.json();',
      "pm.test('held for payment at the quoted total', () => {",
      "  pm.expect(booking.status).to.eql('pending_payment');",
      "  pm.expect(booking.total).to.eql(Number(pm.environment.get('quoteTotal')));",
      "  pm.expect(booking.guestId).to.eql(pm.environment.get('guestId'));",
      '});',
      "pm.environment.set('bookingId', booking.id);",
    ],
  },
  {
    name: 'Guest pays (sandbox card)',
    operationId: 'payBooking',
    body: { paymentMethod: 'pm_card_visa' },
    tests: [
      "pm.test('status is 200', () => pm.response.to.have.status(200));",
      'const payment = pm.response.json();',
      "pm.test('captured in full', () => {",
      "  pm.expect(payment.status).to.eql('succeeded');",
      "  pm.expect(payment.amount).to.eql(Number(pm.environment.get('quoteTotal')));",
      "  pm.expect(payment.bookingId).to.eql(pm.environment.get('bookingId'));",
      '});',
    ],
  },
  {
    name: 'Guest reads the booking',
    operationId: 'getBooking',
    tests: [
      "pm.test('status is 200', () => pm.response.to.have.status(200));",
      "pm.test('confirmed (instant book, paid)', () => pm.expect(pm.response.json().status).to.eql('confirmed'));",
    ],
  },
  {
    name: 'Guest lists their trips',
    operationId: 'listBookings',
    query: { as: 'guest' },
    tests: [
      "pm.test('status is 200', () => pm.response.to.have.status(200));",
      "pm.test('the trip is listed', () => pm.expect(pm.response.json().items.map((b) => b.id)).to.include(pm.environment.get('bookingId')));",
    ],
  },
];

function storyItem(doc: OpenApiDocument, step: Step): PostmanItem {
  const found = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(
        ([method, op]) =>
          (METHODS as readonly string[]).includes(method) && op.operationId === step.operationId,
      )
      .map(([method, op]) => ({ path, method, op })),
  )[0];
  if (!found) throw new Error(`user story: no operation ${step.operationId} in the OpenAPI document`);
  const base = operationRequest(doc, found.path, found.method, found.op).request;
  const query = Object.entries(step.query ?? {}).map(([key, value]) => ({ key, value }));
  const request: PostmanRequest = {
    method: base.method,
    header: [
      ...Object.entries(step.headers ?? {}).map(([key, value]) => ({ key, value })),
      ...base.header.filter((h) => h.key === 'Content-Type' && step.body !== undefined),
    ],
    url: url(found.path, query, base.url.variable ?? []),
  };
  if (step.body !== undefined) {
    request.body = {
      mode: 'raw',
      raw: JSON.stringify(step.body, null, 2),
      options: { raw: { language: 'json' } },
    };
  }
  if (step.token === 'none') request.auth = { type: 'noauth' };
  else if (step.token)
    request.auth = { type: 'bearer', bearer: [{ key: 'token', value: `{{${step.token}}}`, type: 'string' }] };
  return {
    name: step.name,
    event: [...(step.prerequest ? [script('prerequest', step.prerequest)] : []), script('test', step.tests)],
    request,
    response: [],
  };
}

// --- The files -------------------------------------------------------------------------------------------

const ENVIRONMENT_KEYS: { key: string; value: string; secret?: boolean }[] = [
  { key: 'baseUrl', value: DEFAULT_BASE_URL },
  // A demo account (`npm run seed`) for the reference requests; the user story makes its own.
  { key: 'email', value: 'guest@roost.dev' },
  { key: 'password', value: 'roost-demo-2024', secret: true },
  { key: 'accessToken', value: '', secret: true },
  { key: 'refreshToken', value: '', secret: true },
  { key: 'userId', value: '' },
  { key: 'propertyId', value: '' },
  { key: 'photoId', value: '' },
  { key: 'bookingId', value: '' },
  { key: 'reviewId', value: '' },
  { key: 'jobId', value: '' },
  { key: 'mediaKey', value: '' },
  { key: 'nextCursor', value: '' },
];

export function generatePostman(doc: OpenApiDocument): {
  collection: PostmanCollection;
  environment: PostmanEnvironment;
} {
  current = doc;
  const byTag = new Map<string, PostmanItem[]>();
  for (const tag of doc.tags ?? []) byTag.set(tag.name, []);
  for (const [path, pathItem] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = pathItem[method];
      if (!op) continue;
      const item = operationRequest(doc, path, method, op);
      if (op.operationId === 'login') {
        item.request.body = {
          mode: 'raw',
          raw: JSON.stringify({ email: '{{email}}', password: '{{password}}' }, null, 2),
          options: { raw: { language: 'json' } },
        };
      }
      const tag = op.tags?.[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), item]);
    }
  }
  const descriptions = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
  const folders: PostmanFolder[] = [...byTag]
    .filter(([, items]) => items.length > 0)
    .map(([name, items]) => ({
      name,
      ...(descriptions.get(name) ? { description: descriptions.get(name) } : {}),
      item: items,
    }));
  const story: PostmanFolder = {
    name: STORY_FOLDER,
    description:
      'The main user story, end to end, in order (run it with newman: `--folder "User story"`). A host ' +
      'signs up and lists a home; a guest signs up, searches, gets a quote, books, pays with the sandbox ' +
      'card (`pm_card_visa`) and reads the booking. Each step asserts its status and body and hands ids ' +
      'and tokens on through environment variables; every run uses new email addresses.',
    item: STORY.map((step) => storyItem(doc, step)),
  };
  const name = doc.info.title;
  const collection: PostmanCollection = {
    info: {
      _postman_id: stableId(`${name} collection`),
      name,
      description:
        `${doc.info.description ?? ''}\n\nGenerated from openapi.json (OpenAPI ${doc.openapi}, API version ` +
        `${doc.info.version}) by \`npm run postman\`; do not edit by hand. Set \`baseUrl\` (environment ` +
        '"Roost local"), log in with "Log in" (stores `accessToken` and `refreshToken`), then call anything; ' +
        'protected requests send `Authorization: Bearer {{accessToken}}`.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }] },
    variable: [{ key: 'baseUrl', value: DEFAULT_BASE_URL, type: 'string' }],
    item: [story, ...folders],
  };
  const environment: PostmanEnvironment = {
    id: stableId(`${name} environment`),
    name: 'Roost local',
    values: ENVIRONMENT_KEYS.map(({ key, value, secret }) => ({
      key,
      value,
      type: secret ? 'secret' : 'default',
      enabled: true,
    })),
    _postman_variable_scope: 'environment',
  };
  return { collection, environment };
}

/** The two files' contents as written (pretty JSON, trailing newline). */
export function postmanFiles(doc: OpenApiDocument): { collection: string; environment: string } {
  const { collection, environment } = generatePostman(doc);
  return {
    collection: `${JSON.stringify(collection, null, 2)}\n`,
    environment: `${JSON.stringify(environment, null, 2)}\n`,
  };
}

export function readOpenApi(path = join(ROOT, 'openapi.json')): OpenApiDocument {
  return JSON.parse(readFileSync(path, 'utf8')) as OpenApiDocument;
}

function main() {
  const check = process.argv.includes('--check');
  const files = postmanFiles(readOpenApi());
  const targets: [string, string][] = [
    [COLLECTION_PATH, files.collection],
    [ENVIRONMENT_PATH, files.environment],
  ];
  if (check) {
    const stale = targets.filter(([path, content]) => {
      try {
        return readFileSync(path, 'utf8') !== content;
      } catch {
        return true;
      }
    });
    for (const [path] of stale)
      console.error(`${path} differs from what openapi.json gives: run npm run postman`);
    process.exitCode = stale.length > 0 ? 1 : 0;
    if (stale.length === 0) console.log('postman: collection and environment are up to date');
    return;
  }
  for (const [path, content] of targets) {
    writeFileSync(path, content);
    console.log(`wrote ${path}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
