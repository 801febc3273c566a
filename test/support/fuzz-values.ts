/**
 * Hostile values and JSON-schema-driven fast-check arbitraries for the fuzz run (test/support/fuzz-harness.ts).
 *
 * Values are plain JSON plus `RawJson` tokens: numbers JSON.stringify cannot write (1e309,
 * 999999999999999999999, -0, 1.0 …) are kept as their literal text and written verbatim into request
 * bodies, query strings and GraphQL documents, so the server's own parser sees them.
 */
import fc from 'fast-check';

/** A JSON token written verbatim (e.g. `1e309`, which parses to Infinity on the server). */
export class RawJson {
  constructor(readonly text: string) {}
}

export type JsonLike = null | boolean | number | string | RawJson | JsonLike[] | { [k: string]: JsonLike };

/** The subset of JSON Schema (OpenAPI 3.0 flavour) the app's request schemas use. */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  multipleOf?: number;
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
  description?: string;
}

// ---------------------------------------------------------------------------------------------
// Serialisation

/** JSON text of a value, with RawJson tokens verbatim and -0 kept as `-0`. */
export function toJsonText(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(',')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`)
      .join(',')}}`;
  }
  return 'null';
}

/** A deep copy that keeps RawJson tokens. */
export function cloneJson<T>(v: T): T {
  if (v instanceof RawJson || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    // Not v.map: a fuzzed array may carry an own `constructor` property.
    const out: unknown[] = [];
    for (const x of v) out.push(cloneJson(x));
    return out as T;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cloneJson(x)])) as T;
}

/**
 * encodeURIComponent that never throws: a lone surrogate (which encodeURIComponent refuses) is sent
 * as its CESU-8 bytes, i.e. the invalid UTF-8 a careless client would produce.
 */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += encodeURIComponent(s.slice(i, i + 2));
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      out += `%${(0xe0 | (c >> 12)).toString(16).toUpperCase()}%${(0x80 | ((c >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (c & 0x3f)).toString(16).toUpperCase()}`;
      continue;
    }
    out += encodeURIComponent(s[i]!);
  }
  return out;
}

/** A value as it appears in a query string (already percent-encoded); arrays repeat the key. */
export function queryForms(v: unknown): string[] {
  if (v instanceof RawJson) return [v.text];
  if (v === null || v === undefined) return [''];
  if (Array.isArray(v)) return v.flatMap(queryForms);
  if (typeof v === 'string') return [safeEncode(v)];
  if (typeof v === 'object') return [safeEncode(toJsonText(v))];
  return [String(v)];
}

// ---------------------------------------------------------------------------------------------
// Hostile corpora. None of them contains a leak marker the test looks for in responses (driver
// messages, "kysely", stack frames…), so a marker in a response never comes from echoing our input.

export const LONG = 'a'.repeat(10_000);
export const HOSTILE_STRINGS: string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'null\u0000',
  '\u0000'.repeat(5),
  '\uD800',
  'x\uDC00y',
  '\uDBFF',
  '\uD83D\uDE00',
  '\uFEFFbom',
  '\u202Eevil\u202C',
  'Z\u0351\u0352\u0353\u0300\u0301\u0302',
  '👩‍👩‍👧‍👦',
  '東京都',
  'مرحبا',
  'İıßǅ',
  '\r\n\t\v\f\b',
  '\\',
  '"',
  "'",
  '`',
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '" OR ""="',
  "1'); SELECT pg_sleep(10); --",
  "' UNION SELECT NULL, NULL --",
  '%',
  '_',
  '%_%',
  '\\%',
  '{"$gt": ""}',
  '{}',
  '[]',
  'null',
  'undefined',
  'NaN',
  'true',
  '__proto__',
  'constructor',
  '{"__proto__": {"admin": true}}',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
  '${7*7}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '..\\..\\windows',
  '%00',
  '%2e%2e%2f',
  '\u0000\uD800\u202E',
  LONG,
  '😀'.repeat(5_000),
  'é'.repeat(300),
  '\u0000'.repeat(300),
];

/** The strings most likely to break a database or a driver: NUL bytes, lone surrogates, sheer length. */
export const CRITICAL_STRINGS: string[] = [
  '\u0000',
  'a\u0000b',
  'name\u0000',
  '\uD800',
  'x\uDC00y',
  'a\u0000\uD800',
  LONG,
];

/** Hostile strings, the critical ones drawn more often. */
export const hostileStringArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...CRITICAL_STRINGS) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
);

/** Numbers JSON can carry but JavaScript or SQL may not (as their exact text). */
export const HOSTILE_NUMBER_TOKENS: string[] = [
  '1e309',
  '-1e309',
  '999999999999999999999',
  '-999999999999999999999',
  '9007199254740993',
  '-9007199254740993',
  '2147483648',
  '-2147483649',
  '1e-400',
  '-0',
  '1.5',
  '0.5',
  '1.0',
  '1e2',
  '4.000000000000001',
  '1.7976931348623157e308',
  '5e-324',
];
export const HOSTILE_NUMBERS: number[] = [
  0,
  -1,
  -2147483648,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
];

/** Query-string forms (already percent-encoded, sent verbatim). */
export const HOSTILE_QUERY_FORMS: string[] = [
  '1e309',
  '-1e309',
  'Infinity',
  '-Infinity',
  'NaN',
  '999999999999999999999',
  '-999999999999999999999',
  '9007199254740993',
  '-0',
  '1.5',
  '0x10',
  '1e2',
  '+1',
  '01',
  '',
  '%20',
  '%00',
  'a%00b',
  '%',
  '%ZZ',
  '%E0%A4%A',
  '%ED%A0%80',
  '%C0%80',
  '%FF%FE',
  'null',
  'undefined',
  'true',
  '%5B%5D',
  '%7B%7D',
  '1%2C2',
  '%D9%A1%D9%A2',
  '9999-12-31',
  '0000-01-01',
  '2024-02-30',
  '2025-13-01',
  '%27%20OR%201%3D1--',
  'a'.repeat(5_000),
];

/** Dates: well-formed but extreme, impossible, or malformed. */
export const HOSTILE_DATES: string[] = [
  '9999-12-31',
  '0000-01-01',
  '0001-01-01',
  '1000-01-01',
  '1582-10-10',
  '1900-02-29',
  '2000-02-29',
  '2100-02-29',
  '1970-01-01',
  '2038-01-19',
  '2024-02-30',
  '2025-02-29',
  '2025-13-01',
  '2025-00-10',
  '2025-01-00',
  '2025-04-31',
  '2025-1-1',
  '20250101',
  '2025/01/01',
  '2025-01-01T00:00:00Z',
  '-2025-01-01',
  '+275760-09-13',
  '99999-01-01',
  ' 2030-01-01',
  '2030-01-01\u0000',
  '２０３０-０１-０１',
  '',
];

/** Date ranges: reversed, empty, thousands of years long, around the fixtures' dates. */
export const HOSTILE_DATE_PAIRS: [string, string][] = [
  ['0001-01-01', '9999-12-31'],
  ['0000-01-01', '9999-12-31'],
  ['1000-01-01', '3000-01-01'],
  ['2030-01-01', '9999-12-31'],
  ['1970-01-01', '2100-01-01'],
  ['2030-03-01', '2031-03-01'],
  ['2030-03-01', '2031-03-02'],
  ['2030-02-20', '2030-02-10'],
  ['9999-12-31', '0001-01-01'],
  ['2030-02-10', '2030-02-10'],
  ['2024-02-30', '2024-03-02'],
  ['2025-13-01', '2025-13-05'],
  ['9999-12-30', '9999-12-31'],
  ['9999-12-31', '9999-12-31'],
  ['0001-01-01', '0001-01-02'],
];

export const WRONG_TYPES: JsonLike[] = [
  null,
  true,
  false,
  0,
  '',
  'x',
  [],
  [1, 'a', null],
  {},
  { a: 1 },
  [[[[[]]]]],
  new RawJson('1e309'),
];

/** Malformed UUIDs, some derived from real ids so they look plausible. */
export function malformedUuids(real: string[]): string[] {
  const id = real[0] ?? '01890000-0000-7000-8000-000000000000';
  return [
    'not-a-uuid',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    id.toUpperCase(),
    `urn:uuid:${id}`,
    `{${id}}`,
    id.replaceAll('-', ''),
    `${id}\u0000`,
    `${id} `,
    ` ${id}`,
    `${id}0`,
    id.slice(0, -1),
    id.replace(/.$/, 'g'),
    `${id.slice(0, 8)}-${id.slice(9, 13)}`,
    'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
    "' OR 1=1 --",
    '\u0000',
    '%00',
    '../../etc/passwd',
    'a'.repeat(5_000),
    '１２３４５６７８-1234-1234-1234-123456789012',
  ];
}

// ---------------------------------------------------------------------------------------------
// Schema-driven generation

/** Values the fixtures make meaningful for a field name (ids that exist, real tokens, …). */
export type Pools = (field: string, schema: JsonSchema) => string[] | undefined;

const DAY_MS = 86_400_000;
const BASE_DAY = Date.UTC(2030, 0, 1);
export const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Valid dates, mostly near the fixtures' stays (early 2030). */
export const nearDateArb = fc.integer({ min: -60, max: 240 }).map((d) => isoDay(BASE_DAY + d * DAY_MS));

/** Coherent stays near the fixtures' dates (1–14 nights). */
export const coherentPairArb: fc.Arbitrary<[string, string]> = fc
  .tuple(fc.integer({ min: -10, max: 150 }), fc.integer({ min: 1, max: 14 }))
  .map(([s, n]): [string, string] => [isoDay(BASE_DAY + s * DAY_MS), isoDay(BASE_DAY + (s + n) * DAY_MS)]);

/** Hostile ranges: reversed, empty, thousands of years long, impossible or malformed ends. */
export const hostilePairArb: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_DATE_PAIRS) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...HOSTILE_DATES), nearDateArb)
      .chain(([h, n]) => fc.constantFrom<[string, string]>([h, n], [n, h])),
  },
);

/** Date pairs: coherent stays or hostile ranges. */
export const datePairArb: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 1, arbitrary: coherentPairArb },
  { weight: 1, arbitrary: hostilePairArb },
);

function typeOf(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((x) => x !== 'null');
  if (s.type) return s.type;
  if (s.enum) return 'enum';
  if (s.properties) return 'object';
  return undefined;
}

/** Cut or pad a string to fit length limits (in code points, as Ajv counts). */
export function fitLength(s: string, schema: JsonSchema): string {
  let out = s;
  const max = schema.maxLength;
  if (max !== undefined && [...out].length > max) out = [...out].slice(0, max).join('');
  const min = schema.minLength ?? 0;
  if ([...out].length < min) out += 'x'.repeat(min - [...out].length);
  return out;
}

const passwordArb = fc.oneof(
  fc.constant('correct-horse-42'),
  fc.stringMatching(/^[A-Za-z]{5,12}[0-9]{2,4}[-_!.]{0,3}$/),
  fc.constant('password123'),
  fc.constant('short1'),
);

/** A schema-valid value, biased toward values the fixtures make meaningful. */
export function validArb(schema: JsonSchema, name: string, pools: Pools, depth = 0): fc.Arbitrary<unknown> {
  const base = validArbInner(schema, name, pools, depth);
  return schema.nullable ? fc.option(base, { nil: null, freq: 6 }) : base;
}

function validArbInner(schema: JsonSchema, name: string, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants && variants.length > 0) {
    return fc.oneof(...variants.map((v) => validArb(v, name, pools, depth)));
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const pool = pools(name, schema);
  const type = typeOf(schema);
  switch (type) {
    case 'string': {
      let arb: fc.Arbitrary<string>;
      if (schema.format === 'date') arb = nearDateArb;
      else if (schema.format === 'date-time') arb = nearDateArb.map((d) => `${d}T12:00:00.000Z`);
      else if (schema.format === 'uuid') arb = fc.uuid();
      else if (schema.format === 'email')
        arb = fc.oneof(
          fc.nat(1_000_000).map((n) => `fuzz.${n}@example.com`),
          fc.emailAddress().filter((e) => e.length <= (schema.maxLength ?? 254)),
        );
      else if (/password/i.test(name)) arb = passwordArb;
      else if (schema.pattern)
        arb = fc
          .stringMatching(new RegExp(schema.pattern), { size: 'xsmall' })
          .map((s) => (schema.maxLength !== undefined ? s.slice(0, schema.maxLength) : s))
          .filter((s) => new RegExp(schema.pattern!).test(s) && s.length >= (schema.minLength ?? 0));
      else {
        const lengths = {
          minLength: schema.minLength ?? 0,
          maxLength: Math.max(schema.minLength ?? 0, Math.min(schema.maxLength ?? 40, 40)),
        };
        arb = fc.oneof(
          { weight: 2, arbitrary: fc.string(lengths) },
          { weight: 1, arbitrary: fc.string({ ...lengths, unit: 'binary' }) },
          { weight: 3, arbitrary: fc.lorem({ maxCount: 6 }).map((s) => fitLength(s, schema)) },
        );
      }
      if (pool && pool.length > 0) {
        return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...pool) }, { weight: 2, arbitrary: arb });
      }
      return arb;
    }
    case 'integer': {
      const min = numericMin(schema, 1) ?? -1_000_000;
      const max = numericMax(schema, 1) ?? 1_000_000;
      const ints = fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
      if (pool && pool.length > 0) {
        return fc.oneof(
          { weight: 1, arbitrary: ints },
          { weight: 4, arbitrary: fc.constantFrom(...pool.map(Number)) },
        );
      }
      return ints;
    }
    case 'number': {
      const min = numericMin(schema, Number.EPSILON) ?? -1_000_000;
      const max = numericMax(schema, Number.EPSILON) ?? 1_000_000;
      if (schema.multipleOf) {
        const m = schema.multipleOf;
        return fc.integer({ min: Math.ceil(min / m), max: Math.floor(max / m) }).map((k) => k * m);
      }
      return fc.oneof(
        fc.double({ min, max, noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: Math.ceil(min), max: Math.floor(max) }),
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = schema.items ?? {};
      const maxLength = Math.min(schema.maxItems ?? 5, 5);
      const minLength = Math.min(schema.minItems ?? 0, maxLength);
      const item = validArb(items, name, pools, depth + 1);
      return schema.uniqueItems
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (x) => toJsonText(x) })
        : fc.array(item, { minLength, maxLength });
    }
    case 'object': {
      if (depth > 6) return fc.constant({});
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) model[k] = validArb(s, k, pools, depth + 1);
      if (Object.keys(model).length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue());
      return fc.record(model, { requiredKeys: [...required].filter((k) => k in model) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function numericMin(s: JsonSchema, eps: number): number | undefined {
  if (typeof s.exclusiveMinimum === 'number') return s.exclusiveMinimum + eps;
  if (s.minimum !== undefined) return s.exclusiveMinimum === true ? s.minimum + eps : s.minimum;
  return undefined;
}
function numericMax(s: JsonSchema, eps: number): number | undefined {
  if (typeof s.exclusiveMaximum === 'number') return s.exclusiveMaximum - eps;
  if (s.maximum !== undefined) return s.exclusiveMaximum === true ? s.maximum - eps : s.maximum;
  return undefined;
}

/**
 * A hostile value for one field: some still valid against the schema (NUL or lone surrogates fitted
 * into the length limits, extreme dates, boundary numbers) so they get past validation and reach the
 * services, the rest plainly invalid (wrong types, impossible numbers, malformed ids…).
 */
export function hostileArb(schema: JsonSchema, name: string, pools: Pools): fc.Arbitrary<unknown> {
  const type = typeOf(schema);
  const wrong = fc.constantFrom(...WRONG_TYPES);
  const raw = fc.constantFrom(...HOSTILE_NUMBER_TOKENS).map((t) => new RawJson(t));
  const strings = hostileStringArb;
  const fitted = strings.map((s) => fitLength(s, schema));
  if (schema.enum && schema.enum.length > 0) {
    const values = schema.enum.map(String);
    return fc.oneof(
      fc
        .constantFrom(...values)
        .chain((v) => fc.constantFrom(v.toUpperCase(), ` ${v}`, `${v}\u0000`, `${v},${v}`, v.slice(0, -1))),
      strings,
      wrong,
    );
  }
  switch (type) {
    case 'string': {
      if (schema.format === 'date')
        return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...HOSTILE_DATES) }, strings, wrong);
      if (schema.format === 'uuid') {
        const real = pools(name, schema) ?? [];
        return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...malformedUuids(real)) }, strings, wrong);
      }
      if (schema.format === 'email') {
        return fc.oneof(
          fc.constantFrom(
            'a\u0000@example.com',
            'user@example.com\u0000',
            '"quoted\u0000"@example.com',
            `${'a'.repeat(64)}@${'b'.repeat(185)}.com`,
            'Ünïcödé@exämple.com',
            'user@[127.0.0.1]',
            'user+tag@example.com',
            'USER@EXAMPLE.COM',
            '@example.com',
            "o'brien@example.com",
          ),
          fitted,
          wrong,
        );
      }
      return fc.oneof(
        { weight: 4, arbitrary: fitted },
        { weight: 2, arbitrary: strings },
        {
          weight: 1,
          arbitrary: fc.constant('x'.repeat((schema.maxLength ?? 10_000) + 1)),
        },
        { weight: 1, arbitrary: wrong },
        { weight: 1, arbitrary: raw },
      );
    }
    case 'integer':
    case 'number': {
      const bounds: JsonLike[] = [];
      for (const b of [schema.minimum, schema.maximum]) {
        if (b !== undefined) bounds.push(b, b - 1, b + 1, b - 0.5, b + 0.5);
      }
      if (typeof schema.exclusiveMinimum === 'number') bounds.push(schema.exclusiveMinimum);
      return fc.oneof(
        { weight: 4, arbitrary: raw },
        { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS, ...(bounds.length ? bounds : [0])) },
        {
          weight: 1,
          arbitrary: fc.constantFrom('1', '1e309', 'Infinity', 'NaN', '999999999999999999999', '-0', ''),
        },
        { weight: 1, arbitrary: wrong },
      );
    }
    case 'boolean':
      return fc.oneof(fc.constantFrom('true', 'false', 1, 0, 'yes', '', null), wrong);
    case 'array':
      return fc.oneof(
        wrong,
        fc.constant(Array.from({ length: 1_000 }, (_, i) => `item-${i}`)),
        fc.constant(['dup', 'dup']),
        fc.array(hostileArb(schema.items ?? {}, name, pools), { minLength: 1, maxLength: 3 }),
        strings,
      );
    case 'object':
      return fc.oneof(
        wrong,
        strings,
        fc.constant(
          JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
        ),
      );
    default:
      return fc.oneof(wrong, strings, raw);
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations of a valid object

type PathSeg = string | number;
export interface LeafPath {
  path: PathSeg[];
  schema: JsonSchema;
  name: string;
}

/** Every property (and first array item) of a schema, to pick one to corrupt. */
export function schemaPaths(schema: JsonSchema, prefix: PathSeg[] = [], name = '(root)'): LeafPath[] {
  const out: LeafPath[] = [{ path: prefix, schema, name }];
  if (typeOf(schema) === 'object' && schema.properties && prefix.length < 4) {
    for (const [k, s] of Object.entries(schema.properties)) out.push(...schemaPaths(s, [...prefix, k], k));
  }
  if (typeOf(schema) === 'array' && schema.items && prefix.length < 4) {
    out.push(...schemaPaths(schema.items, [...prefix, 0], name));
  }
  return out;
}

export type Mutation =
  | { kind: 'set'; path: PathSeg[]; value: unknown }
  | { kind: 'delete'; path: PathSeg[] }
  | { kind: 'extra'; path: PathSeg[]; key: string; value: unknown };

export function mutationArb(schema: JsonSchema, pools: Pools): fc.Arbitrary<Mutation> {
  const paths = schemaPaths(schema);
  const leaves = paths.filter((p) => p.path.length > 0);
  const all = leaves.length > 0 ? leaves : paths;
  return fc.integer({ min: 0, max: all.length - 1 }).chain((i) => {
    const p = all[i]!;
    return fc.oneof(
      {
        weight: 6,
        arbitrary: hostileArb(p.schema, p.name, pools).map((value) => ({
          kind: 'set' as const,
          path: p.path,
          value,
        })),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'delete' as const, path: p.path }) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom('extra', '__proto__', 'constructor', 'id', 'role', 'status', ''),
            fc.constantFrom<unknown>(1, 'x', null, { admin: true }),
          )
          .map(([key, value]) => ({ kind: 'extra' as const, path: p.path.slice(0, -1), key, value })),
      },
    );
  });
}

export function applyMutation(value: unknown, m: Mutation): unknown {
  if (m.path.length === 0 && m.kind === 'set') return m.value;
  const root = cloneJson(value) ?? {};
  let node: unknown = root;
  const path = m.kind === 'extra' ? m.path : m.path.slice(0, -1);
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return root;
    const container = node as Record<PathSeg, unknown>;
    if (container[seg] === undefined || container[seg] === null || typeof container[seg] !== 'object') {
      container[seg] = typeof seg === 'number' ? [] : {};
    }
    node = container[seg];
  }
  if (node === null || typeof node !== 'object') return root;
  const container = node as Record<PathSeg, unknown>;
  if (m.kind === 'extra') {
    if (Array.isArray(container)) return root; // JSON arrays have no named members
    Object.defineProperty(container, m.key, {
      value: m.value,
      enumerable: true,
      configurable: true,
      writable: true,
    });
  } else {
    const last = m.path[m.path.length - 1]!;
    if (m.kind === 'delete') {
      if (Array.isArray(container) && typeof last === 'number') container.splice(last, 1);
      else delete container[last];
    } else {
      container[last] = m.value;
    }
  }
  return root;
}

/** Bodies that are not what the schema expects at all. */
export const CHAOS_BODIES: { contentType?: string; payload: string }[] = [
  { contentType: 'application/json', payload: '{' },
  { contentType: 'application/json', payload: '{"a":' },
  { contentType: 'application/json', payload: 'nul' },
  { contentType: 'application/json', payload: '{"a":1}garbage' },
  { contentType: 'application/json', payload: '' },
  { contentType: 'application/json', payload: ' ' },
  { contentType: 'application/json', payload: '\u0000' },
  { contentType: 'application/json', payload: 'NaN' },
  { contentType: 'application/json', payload: '{"n": NaN}' },
  { contentType: 'application/json', payload: '{"n": Infinity}' },
  { contentType: 'application/json', payload: "{'single': 'quotes'}" },
  { contentType: 'application/json', payload: '{"a":1,"a":2}' },
  { contentType: 'application/json', payload: '\uFEFF{}' },
  { contentType: 'application/json', payload: '{"__proto__":{"polluted":true}}' },
  { contentType: 'application/json', payload: '{"constructor":{"prototype":{"polluted":true}}}' },
  { contentType: 'application/json', payload: `${'['.repeat(20_000)}${']'.repeat(20_000)}` },
  { contentType: 'application/json', payload: `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}` },
  { contentType: 'application/json', payload: '"\\ud800"' },
  { contentType: 'application/json', payload: '"\\u0000"' },
  { contentType: 'application/json', payload: '[]' },
  { contentType: 'application/json', payload: 'null' },
  { contentType: 'application/json', payload: '123' },
  { contentType: 'application/json', payload: 'true' },
  { contentType: 'application/json; charset=utf-16', payload: '{}' },
  { contentType: 'application/json; charset=latin1', payload: '{}' },
  { contentType: 'text/plain', payload: '{}' },
  { contentType: 'application/x-www-form-urlencoded', payload: 'a=1&b=%00' },
  {
    contentType: 'application/xml',
    payload: '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
  },
  { contentType: 'multipart/form-data', payload: '--x\r\n' },
  { contentType: '', payload: '{}' },
  { payload: '{}' },
  { contentType: 'application/json', payload: JSON.stringify({ a: 'x'.repeat(1_100_000) }) },
];
