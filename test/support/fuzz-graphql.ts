/**
 * GraphQL side of the fuzz run (test/support/fuzz-harness.ts): the schema as introspection reports it, arbitraries of
 * operations on every Query/Mutation field (hostile arguments inline or as variables, nested
 * selections with their own arguments), and rendering to a document plus variables.
 */
import fc from 'fast-check';
import {
  cloneJson,
  coherentPairArb,
  datePairArb,
  HOSTILE_DATES,
  HOSTILE_NUMBER_TOKENS,
  hostileArb,
  hostileStringArb,
  type JsonLike,
  type JsonSchema,
  malformedUuids,
  nearDateArb,
  type Pools,
  RawJson,
  validArb,
  WRONG_TYPES,
} from './fuzz-values.js';

export interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}
export interface GqlInputValue {
  name: string;
  type: TypeRef;
}
export interface GqlField {
  name: string;
  args: GqlInputValue[];
  type: TypeRef;
}
export interface GqlType {
  kind: string;
  name: string;
  fields: GqlField[] | null;
  inputFields: GqlInputValue[] | null;
}
export interface GqlSchema {
  queryType: string;
  mutationType: string | null;
  types: Map<string, GqlType>;
}

/** Type references three wrappers deep (e.g. `[String!]!`), enough for this schema. */
const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';

/**
 * Introspection within the app's depth limit (GRAPHQL_MAX_DEPTH 8): the types first, then the
 * arguments of every object type's fields through one aliased `__type` query.
 */
export const INTROSPECTION_TYPES_QUERY = `query IntrospectTypes {
  __schema {
    queryType { name }
    mutationType { name }
    types { kind name fields(includeDeprecated: true) { name type { ${TYPE_REF} } } inputFields { name type { ${TYPE_REF} } } }
  }
}`;

export function introspectionArgsQuery(typeNames: string[]): string {
  return `query IntrospectArgs { ${typeNames
    .map(
      (n, i) =>
        `t${i}: __type(name: ${JSON.stringify(n)}) { name fields(includeDeprecated: true) { name args { name type { ${TYPE_REF} } } } }`,
    )
    .join(' ')} }`;
}

interface RawType {
  kind: string;
  name: string;
  fields: { name: string; type: TypeRef }[] | null;
  inputFields: GqlInputValue[] | null;
}

/** The object types whose field arguments must be fetched with introspectionArgsQuery. */
export function objectTypeNames(data: { __schema: { types: RawType[] } }): string[] {
  return data.__schema.types
    .filter((t) => t.kind === 'OBJECT' && !t.name.startsWith('__'))
    .map((t) => t.name);
}

export function parseIntrospection(
  data: {
    __schema: { queryType: { name: string }; mutationType: { name: string } | null; types: RawType[] };
  },
  args: Record<string, { name: string; fields: { name: string; args: GqlInputValue[] }[] | null } | null>,
): GqlSchema {
  const argsOf = new Map<string, GqlInputValue[]>();
  for (const t of Object.values(args)) {
    for (const f of t?.fields ?? []) argsOf.set(`${t!.name}.${f.name}`, f.args);
  }
  const types = new Map<string, GqlType>();
  for (const t of data.__schema.types) {
    types.set(t.name, {
      kind: t.kind,
      name: t.name,
      inputFields: t.inputFields,
      fields: t.fields?.map((f) => ({ ...f, args: argsOf.get(`${t.name}.${f.name}`) ?? [] })) ?? null,
    });
  }
  return {
    queryType: data.__schema.queryType.name,
    mutationType: data.__schema.mutationType?.name ?? null,
    types,
  };
}

export const namedType = (t: TypeRef): TypeRef => (t.ofType ? namedType(t.ofType) : t);
export const typeText = (t: TypeRef): string =>
  t.kind === 'NON_NULL'
    ? `${typeText(t.ofType!)}!`
    : t.kind === 'LIST'
      ? `[${typeText(t.ofType!)}]`
      : t.name!;

// ---------------------------------------------------------------------------------------------
// Operations

export interface ArgSpec {
  name: string;
  type: TypeRef;
  value: JsonLike;
  /** inline literal, or a variable declared with the argument's own type */
  style: 'inline' | 'variable';
}
export interface Selection {
  name: string;
  args: ArgSpec[];
  sub?: Selection[];
}
export interface GqlCase {
  operation: 'query' | 'mutation';
  field: string;
  args: ArgSpec[];
  selection: Selection[] | null;
  transport: 'post' | 'get';
}

/** What the test knows about argument names: REST schemas by field name, and fixture pools. */
export interface GqlHints {
  schemasByName: Map<string, JsonSchema[]>;
  pools: Pools;
  /** Fixture ids for an ID argument, from the field it belongs to (`user(id)` → user ids…). */
  idsFor: (field: string, arg: string) => string[];
}

const MAX_SELECTION_DEPTH = 4;

const jsonTypeFor = (scalar: string) =>
  scalar === 'Int'
    ? ['integer']
    : scalar === 'Float'
      ? ['number', 'integer']
      : scalar === 'Boolean'
        ? ['boolean']
        : ['string', 'enum'];

function schemaTypeOf(s: JsonSchema): string {
  if (s.enum) return 'enum';
  return Array.isArray(s.type) ? (s.type[0] ?? '') : (s.type ?? '');
}

function hintFor(hints: GqlHints, name: string, scalar: string): JsonSchema | undefined {
  const wanted = jsonTypeFor(scalar);
  return hints.schemasByName.get(name)?.find((s) => wanted.includes(schemaTypeOf(s)));
}

const hostileRaw = fc.constantFrom(...HOSTILE_NUMBER_TOKENS).map((t) => new RawJson(t));

/** Valid and hostile values for one scalar argument or input field. */
function scalarArbs(
  scalar: string,
  name: string,
  field: string,
  hints: GqlHints,
): { valid: fc.Arbitrary<JsonLike>; hostile: fc.Arbitrary<JsonLike> } {
  const schema = hintFor(hints, name, scalar);
  const wrong = fc.constantFrom(...WRONG_TYPES);
  const strings = hostileStringArb;
  let valid: fc.Arbitrary<unknown>;
  let hostile: fc.Arbitrary<unknown>;
  // Custom scalars are recognised by name: UUID-like ones take ids, date-like ones dates.
  const kind = /uuid/i.test(scalar) ? 'ID' : /^(local)?date$/i.test(scalar) ? 'Date' : scalar;
  switch (kind) {
    case 'Date':
      valid = nearDateArb;
      hostile = fc.oneof(fc.constantFrom(...HOSTILE_DATES), strings);
      break;
    case 'ID': {
      const ids = hints.idsFor(field, name);
      valid =
        ids.length > 0 ? fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ids) }, fc.uuid()) : fc.uuid();
      hostile = fc.oneof(fc.constantFrom(...malformedUuids(ids)), strings, fc.integer());
      break;
    }
    case 'Int':
      if (name === 'first') {
        valid = fc.integer({ min: 1, max: 100 });
        hostile = fc.oneof(fc.constantFrom(0, -1, 101, 2147483647, -2147483648, 1_000_000), hostileRaw);
      } else {
        valid = schema ? validArb(schema, name, hints.pools) : fc.integer({ min: -5, max: 100 });
        hostile = fc.oneof(
          fc.constantFrom(0, -1, 2147483647, -2147483648),
          hostileRaw,
          schema ? hostileArb(schema, name, hints.pools) : fc.constant(null),
        );
      }
      break;
    case 'Float':
      valid = schema ? validArb(schema, name, hints.pools) : fc.double({ min: -200, max: 200, noNaN: true });
      hostile = fc.oneof(
        hostileRaw,
        fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -0),
      );
      break;
    case 'Boolean':
      valid = fc.boolean();
      hostile = fc.constantFrom('true', 1, 0, null);
      break;
    default:
      if (name === 'idempotencyKey') valid = fc.uuid();
      else
        valid = schema
          ? validArb(schema, name, hints.pools)
          : fc.oneof(fc.string({ maxLength: 20 }), strings);
      hostile = fc.oneof(
        { weight: 3, arbitrary: schema ? hostileArb(schema, name, hints.pools) : strings },
        { weight: 2, arbitrary: strings },
      );
  }
  return {
    valid: valid as fc.Arbitrary<JsonLike>,
    hostile: fc.oneof(
      { weight: 5, arbitrary: hostile as fc.Arbitrary<JsonLike> },
      { weight: 1, arbitrary: wrong },
    ),
  };
}

type Mode = 'valid' | 'hostile' | 'mixed';

/**
 * A value of any input type (lists, input objects, non-null wrappers); `undefined` = left out.
 * `valid` draws only valid values, `hostile` a hostile one at this level, `mixed` decides per leaf.
 */
function valueArb(
  type: TypeRef,
  name: string,
  field: string,
  schema: GqlSchema,
  hints: GqlHints,
  mode: Mode,
  depth = 0,
  required = false,
): fc.Arbitrary<JsonLike | undefined> {
  if (type.kind === 'NON_NULL') {
    const inner = valueArb(type.ofType!, name, field, schema, hints, mode, depth, true);
    if (mode === 'valid') return inner;
    const missing = fc.constantFrom<JsonLike | undefined>(null, undefined);
    return mode === 'hostile'
      ? fc.oneof({ weight: 6, arbitrary: inner }, { weight: 1, arbitrary: missing })
      : fc.oneof({ weight: 20, arbitrary: inner }, { weight: 1, arbitrary: missing });
  }
  if (type.kind === 'LIST') {
    const item = (m: Mode) =>
      valueArb(type.ofType!, name, field, schema, hints, m, depth + 1).map((v) => v ?? null);
    if (mode === 'valid') return fc.array(item('valid'), { maxLength: 3 });
    const odd = fc.oneof(
      item('valid'),
      fc.constant(Array.from({ length: 500 }, (_, i) => `x${i}`)),
      fc.constant(null),
      fc.array(item('hostile'), { minLength: 1, maxLength: 3 }),
    );
    return mode === 'hostile'
      ? odd
      : fc.oneof({ weight: 5, arbitrary: fc.array(item('mixed'), { maxLength: 4 }) }, odd);
  }
  const t = schema.types.get(type.name!);
  if (t?.kind === 'INPUT_OBJECT' && t.inputFields) {
    if (depth > 3) return fc.constant({});
    if (mode === 'hostile') {
      return fc.oneof(
        fc.constantFrom(...WRONG_TYPES),
        fc.constant({}),
        fc.constant(JSON.parse('{"__proto__": {"x": 1}}') as JsonLike),
      );
    }
    const model: Record<string, fc.Arbitrary<JsonLike | undefined>> = {};
    for (const f of t.inputFields)
      model[f.name] = valueArb(f.type, f.name, field, schema, hints, mode, depth + 1);
    const names = new Set(t.inputFields.map((f) => f.name));
    const pair = names.has('checkIn') && names.has('checkOut') ? (['checkIn', 'checkOut'] as const) : null;
    return fc
      .tuple(
        fc.record(model, {
          requiredKeys: t.inputFields.filter((f) => f.type.kind === 'NON_NULL').map((f) => f.name),
        }),
        mode === 'mixed' ? fc.option(datePairArb, { freq: 2 }) : coherentPairArb,
        mode === 'mixed' ? fc.option(fc.constantFrom('extra', '__proto__'), { freq: 12 }) : fc.constant(null),
      )
      .map(([o, dates, extra]): JsonLike | undefined => {
        const out: Record<string, JsonLike> = {};
        for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
        if (pair && dates) {
          out[pair[0]] = dates[0];
          out[pair[1]] = dates[1];
        }
        if (extra !== null) Object.defineProperty(out, extra, { value: 1, enumerable: true });
        return out;
      });
  }
  const arbs = scalarArbs(type.name!, name, field, hints);
  if (mode === 'valid') {
    if (required) return arbs.valid;
    // An optional argument or input field: often left out, cursors mostly (one from another query is
    // rightly refused).
    return fc.oneof(
      { weight: name === 'after' ? 1 : 2, arbitrary: arbs.valid },
      { weight: name === 'after' ? 5 : 1, arbitrary: fc.constant(undefined) },
    );
  }
  if (mode === 'hostile') return arbs.hostile;
  return fc.oneof({ weight: 6, arbitrary: arbs.valid }, { weight: 4, arbitrary: arbs.hostile });
}

/** Paths to every argument and input-object field, to corrupt exactly one of them. */
function inputPaths(
  values: GqlInputValue[],
  schema: GqlSchema,
  prefix: string[] = [],
): { path: string[]; type: TypeRef; name: string }[] {
  const out: { path: string[]; type: TypeRef; name: string }[] = [];
  for (const v of values) {
    const path = [...prefix, v.name];
    out.push({ path, type: v.type, name: v.name });
    const inner = v.type.kind === 'NON_NULL' ? v.type.ofType! : v.type;
    const t = inner.kind === 'INPUT_OBJECT' || inner.name ? schema.types.get(inner.name ?? '') : undefined;
    if (t?.kind === 'INPUT_OBJECT' && t.inputFields && prefix.length < 2)
      out.push(...inputPaths(t.inputFields, schema, path));
  }
  return out;
}

/** How many arguments and input-object fields a field takes (to scale its number of runs). */
export function inputCount(args: GqlInputValue[], schema: GqlSchema): number {
  return inputPaths(args, schema).length;
}

/**
 * Arguments of a field, in one of three modes: all valid (to reach the resolver and the services),
 * exactly one argument or input field hostile, or every leaf independently valid or hostile.
 */
function argsArb(
  args: GqlInputValue[],
  field: string,
  schema: GqlSchema,
  hints: GqlHints,
  nested = false,
): fc.Arbitrary<ArgSpec[]> {
  if (args.length === 0) return fc.constant([]);
  const names = new Set(args.map((a) => a.name));
  const pair = names.has('from') && names.has('to') ? (['from', 'to'] as const) : null;
  const paths = inputPaths(args, schema);
  const styles = fc.array(fc.constantFrom<'inline' | 'variable'>('inline', 'variable'), {
    minLength: args.length,
    maxLength: args.length,
  });
  const all = (mode: Mode) =>
    fc.tuple(...args.map((a) => valueArb(a.type, a.name, field, schema, hints, mode)));
  const one = fc.nat(paths.length - 1).chain((i) => {
    const p = paths[i]!;
    return fc.tuple(fc.constant(p.path), valueArb(p.type, p.name, field, schema, hints, 'hostile'));
  });
  return fc
    .record({
      // Arguments of nested fields lean valid, so that the root field's arguments decide the outcome.
      mode: nested
        ? fc.constantFrom('valid', 'valid', 'valid', 'valid', 'one', 'mixed')
        : fc.constantFrom('valid', 'valid', 'one', 'one', 'one', 'mixed'),
      valid: all('valid'),
      mixed: all('mixed'),
      one,
      styles,
      dates: pair ? coherentPairArb : fc.constant(null),
      mixedDates: pair ? datePairArb : fc.constant(null),
    })
    .map((g) => {
      const values = (g.mode === 'mixed' ? g.mixed : g.valid).map((v) => cloneJson(v));
      if (g.mode === 'one') {
        const [path, hostile] = g.one;
        const i = args.findIndex((a) => a.name === path[0]);
        if (path.length === 1) values[i] = hostile;
        else {
          let node = values[i];
          if (node === null || node === undefined || typeof node !== 'object' || Array.isArray(node))
            node = {};
          values[i] = node;
          let cur = node as Record<string, JsonLike | undefined>;
          for (const seg of path.slice(1, -1)) {
            const next = cur[seg];
            cur[seg] = next && typeof next === 'object' && !Array.isArray(next) ? next : {};
            cur = cur[seg] as Record<string, JsonLike | undefined>;
          }
          const last = path[path.length - 1]!;
          if (hostile === undefined) delete cur[last];
          else cur[last] = hostile;
        }
      }
      const out: ArgSpec[] = [];
      values.forEach((value, i) => {
        const a = args[i]!;
        let v = value;
        // Dates go in coherent pairs, unless this is the argument made hostile (or in mixed mode).
        const dates = g.mode === 'mixed' ? g.mixedDates : g.dates;
        const chosen = g.mode === 'one' && g.one[0].length === 1 && g.one[0][0] === a.name;
        if (pair && dates && !chosen && (a.name === pair[0] || a.name === pair[1])) {
          v = a.name === pair[0] ? dates[0] : dates[1];
        }
        if (v !== undefined) out.push({ name: a.name, type: a.type, value: v, style: g.styles[i]! });
      });
      return out;
    });
}

/** Selections of an object type: a random subset of its fields, nested ones with their arguments. */
function selectionArb(
  typeName: string,
  schema: GqlSchema,
  hints: GqlHints,
  depth: number,
): fc.Arbitrary<Selection[]> {
  const t = schema.types.get(typeName);
  if (!t?.fields) return fc.constant([{ name: '__typename', args: [] }]);
  const fieldArbs = t.fields.map((f) => {
    const inner = schema.types.get(namedType(f.type).name!);
    const leaf = !inner || inner.kind === 'SCALAR' || inner.kind === 'ENUM';
    const args = argsArb(f.args, f.name, schema, hints, true);
    if (leaf)
      return fc.option(
        args.map((a): Selection => ({ name: f.name, args: a })),
        { freq: 2 },
      );
    if (depth >= MAX_SELECTION_DEPTH) return fc.constant(null);
    return fc.option(
      fc
        .tuple(
          args,
          fc.constant(null).chain(() => selectionArb(inner.name, schema, hints, depth + 1)),
        )
        .map(([a, sub]): Selection => ({ name: f.name, args: a, sub })),
      { freq: 3 },
    );
  });
  return fc.tuple(...fieldArbs).map((sels) => {
    const chosen = sels.filter((s): s is Selection => s !== null);
    return chosen.length > 0 ? chosen : [{ name: '__typename', args: [] }];
  });
}

/** Arbitrary operations on one root field. */
export function gqlCaseArb(
  operation: 'query' | 'mutation',
  field: GqlField,
  schema: GqlSchema,
  hints: GqlHints,
): fc.Arbitrary<GqlCase> {
  const ret = schema.types.get(namedType(field.type).name!);
  const leaf = !ret || ret.kind === 'SCALAR' || ret.kind === 'ENUM';
  return fc.record({
    operation: fc.constant(operation),
    field: fc.constant(field.name),
    args: argsArb(field.args, field.name, schema, hints),
    selection: leaf ? fc.constant(null) : selectionArb(ret.name, schema, hints, 1),
    transport:
      operation === 'query'
        ? fc.constantFrom<'post' | 'get'>('post', 'post', 'post', 'get')
        : fc.constant<'post' | 'get'>('post'),
  });
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** A GraphQL literal. Strings use JSON escapes (which GraphQL shares); RawJson numbers verbatim. */
export function literal(v: JsonLike): string {
  if (v instanceof RawJson) return v.text;
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${k}: ${literal(x)}`)
    .join(', ')}}`;
}

export function renderGql(c: GqlCase): { query: string; variables: Record<string, JsonLike> } {
  const variables: Record<string, JsonLike> = {};
  const defs: string[] = [];
  const argText = (args: ArgSpec[]) => {
    if (args.length === 0) return '';
    return `(${args
      .map((a) => {
        if (a.style === 'inline') return `${a.name}: ${literal(a.value)}`;
        const v = `v${defs.length}`;
        defs.push(`$${v}: ${typeText(a.type)}`);
        variables[v] = a.value;
        return `${a.name}: $${v}`;
      })
      .join(', ')})`;
  };
  const sel = (s: Selection[]): string =>
    `{ ${s.map((x) => `${x.name}${argText(x.args)}${x.sub ? ` ${sel(x.sub)}` : ''}`).join(' ')} }`;
  const root = `${c.field}${argText(c.args)}${c.selection ? ` ${sel(c.selection)}` : ''}`;
  const head = `${c.operation} Fuzz${defs.length > 0 ? `(${defs.join(', ')})` : ''}`;
  return { query: `${head} { ${root} }`, variables };
}

/** Smaller variants of a failing case, for the report's minimal example. */
export function shrinkGql(c: GqlCase): GqlCase[] {
  const out: GqlCase[] = [];
  if (c.transport === 'get') out.push({ ...c, transport: 'post' });
  if (c.selection && !(c.selection.length === 1 && c.selection[0]!.name === '__typename')) {
    out.push({ ...c, selection: [{ name: '__typename', args: [] }] });
    for (let i = 0; i < c.selection.length; i++) {
      if (c.selection.length > 1) out.push({ ...c, selection: c.selection.filter((_, j) => j !== i) });
      const s = c.selection[i]!;
      if (s.sub) {
        for (const smaller of shrinkSelection(s.sub)) {
          out.push({ ...c, selection: c.selection.map((x, j) => (j === i ? { ...s, sub: smaller } : x)) });
        }
      }
      if (s.args.length > 0) {
        for (let k = 0; k < s.args.length; k++) {
          out.push({
            ...c,
            selection: c.selection.map((x, j) =>
              j === i ? { ...s, args: s.args.filter((_, m) => m !== k) } : x,
            ),
          });
        }
      }
    }
  }
  for (let k = 0; k < c.args.length; k++) {
    out.push({ ...c, args: c.args.filter((_, m) => m !== k) });
    const a = c.args[k]!;
    if (a.style === 'variable')
      out.push({ ...c, args: c.args.map((x, m) => (m === k ? { ...x, style: 'inline' } : x)) });
  }
  return out;
}

function shrinkSelection(s: Selection[]): Selection[][] {
  const out: Selection[][] = [];
  for (let i = 0; i < s.length; i++) {
    if (s.length > 1) out.push(s.filter((_, j) => j !== i));
    const x = s[i]!;
    if (x.sub)
      for (const smaller of shrinkSelection(x.sub))
        out.push(s.map((y, j) => (j === i ? { ...x, sub: smaller } : y)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sweep: every argument and input-object field of an operation that worked, given each critical value

/** Critical values for a scalar type (named type), or none for types not worth sweeping. */
export type CriticalValues = (scalar: string, name: string) => JsonLike[];

function setArgPath(args: ArgSpec[], field: GqlField, path: string[], value: JsonLike): ArgSpec[] {
  const out = args.map((a) => ({ ...a, value: cloneJson(a.value) }));
  let arg = out.find((a) => a.name === path[0]);
  if (!arg) {
    const def = field.args.find((a) => a.name === path[0])!;
    arg = { name: def.name, type: def.type, value: path.length === 1 ? value : {}, style: 'variable' };
    out.push(arg);
  }
  if (path.length === 1) {
    arg.value = value;
    arg.style = 'variable';
    return out;
  }
  if (
    arg.value === null ||
    typeof arg.value !== 'object' ||
    Array.isArray(arg.value) ||
    arg.value instanceof RawJson
  ) {
    arg.value = {};
  }
  let node = arg.value as Record<string, JsonLike>;
  for (const seg of path.slice(1, -1)) {
    const next = node[seg];
    node[seg] =
      next && typeof next === 'object' && !Array.isArray(next) && !(next instanceof RawJson) ? next : {};
    node = node[seg] as Record<string, JsonLike>;
  }
  node[path[path.length - 1]!] = value;
  return out;
}

export function sweepGql(
  base: GqlCase,
  field: GqlField,
  schema: GqlSchema,
  critical: CriticalValues,
): GqlCase[] {
  const out: GqlCase[] = [];
  for (const p of inputPaths(field.args, schema)) {
    const t = schema.types.get(namedType(p.type).name!);
    if (t?.kind !== 'SCALAR') continue;
    for (const value of critical(t.name, p.name)) {
      out.push({ ...base, transport: 'post', args: setArgPath(base.args, field, p.path, value) });
    }
  }
  return out;
}
