/**
 * The SQL that differs between PostgreSQL (and PGlite) and MySQL/MariaDB, each difference written once.
 * Repositories call these; services never see them. Everything else in the repositories is SQL both
 * families accept (`cast(? as date)`, `cast(x as decimal(p,s))`, window functions, `for update`, ...).
 */
import {
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  MysqlAdapter,
  type RawBuilder,
  type Selectable,
  type SqlBool,
  sql,
  type Updateable,
} from 'kysely';
import type { DB } from './schema/index.js';

export type SqlFamily = 'postgres' | 'mysql';

/** Which SQL family a handle (or a transaction on it) speaks. */
export function sqlFamily(db: Pick<Kysely<DB>, 'getExecutor'>): SqlFamily {
  // getExecutor() is the one way to reach the adapter of a transaction handle as well as of the root.
  return db.getExecutor().adapter instanceof MysqlAdapter ? 'mysql' : 'postgres';
}

type TableWithId = { [K in keyof DB]: DB[K] extends { id: unknown } ? K : never }[keyof DB];
type Where<T extends keyof DB> = (eb: ExpressionBuilder<DB, T>) => Expression<SqlBool>;

// Kysely's builders are typed per table; these helpers are generic over tables, so inside them the
// builders are used untyped. Their signatures keep the callers fully typed.
// biome-ignore lint/suspicious/noExplicitAny: see above.
type Untyped = Kysely<any>;
// biome-ignore lint/suspicious/noExplicitAny: see above.
type Loose = any;

/** Insert one row and return it as stored (defaults and generated columns included). */
export async function insertReturning<T extends TableWithId>(
  db: Kysely<DB>,
  table: T,
  row: Insertable<DB[T]>,
): Promise<Selectable<DB[T]>> {
  const u = db as unknown as Untyped;
  const t = table as string;
  const values = row as Loose;
  if (sqlFamily(db) === 'postgres') {
    return (await u.insertInto(t).values(values).returningAll().executeTakeFirstOrThrow()) as Loose;
  }
  await u.insertInto(t).values(values).execute();
  return (await u.selectFrom(t).selectAll().where('id', '=', values.id).executeTakeFirstOrThrow()) as Loose;
}

/**
 * Update the rows matching `where` and return them as updated. MySQL has no UPDATE … RETURNING: there
 * the rows are locked first (select … for update, in a transaction of its own when not already in one),
 * so the rows returned are exactly the rows this statement changed.
 */
export async function updateReturning<T extends TableWithId>(
  db: Kysely<DB>,
  table: T,
  where: Where<T>,
  patch: Updateable<DB[T]>,
): Promise<Selectable<DB[T]>[]> {
  const u = db as unknown as Untyped;
  const t = table as string;
  const w = where as Loose;
  const set = patch as Loose;
  if (sqlFamily(db) === 'postgres') {
    return (await u.updateTable(t).set(set).where(w).returningAll().execute()) as Loose;
  }
  const run = async (trx: Untyped): Promise<Loose[]> => {
    const locked = await trx.selectFrom(t).select('id').where(w).forUpdate().execute();
    const ids = locked.map((r: { id: string }) => r.id);
    if (ids.length === 0) return [];
    await trx.updateTable(t).set(set).where('id', 'in', ids).execute();
    return trx.selectFrom(t).selectAll().where('id', 'in', ids).execute();
  };
  return db.isTransaction ? run(u) : u.transaction().execute(run);
}

/** Update one row by its id and return it as updated; throws when there is no such row. */
export async function updateByIdReturning<T extends TableWithId>(
  db: Kysely<DB>,
  table: T,
  id: string,
  patch: Updateable<DB[T]>,
): Promise<Selectable<DB[T]>> {
  const [row] = await updateReturning(db, table, ((eb: Loose) => eb('id', '=', id)) as Where<T>, patch);
  if (!row) throw new Error(`${table} ${id} not found`);
  return row;
}

/** Insert a row unless it collides with a unique key; true when it was inserted. */
export async function insertUnlessExists<T extends keyof DB>(
  db: Kysely<DB>,
  table: T,
  row: Insertable<DB[T]>,
): Promise<boolean> {
  const u = db as unknown as Untyped;
  const t = table as string;
  if (sqlFamily(db) === 'postgres') {
    const r = await u
      .insertInto(t)
      .values(row as Loose)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return r.numInsertedOrUpdatedRows === 1n;
  }
  // A failed statement does not abort a MySQL transaction, so the collision can simply be caught.
  try {
    await u
      .insertInto(t)
      .values(row as Loose)
      .execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Insert rows; on a collision with the key, overwrite the listed columns with the new values. */
export async function upsert<T extends keyof DB>(
  db: Kysely<DB>,
  table: T,
  rows: Insertable<DB[T]>[],
  key: string[],
  overwrite: string[],
): Promise<void> {
  const u = db as unknown as Untyped;
  const t = table as string;
  if (sqlFamily(db) === 'postgres') {
    await u
      .insertInto(t)
      .values(rows as Loose)
      .onConflict((oc) => {
        const target = oc.columns(key);
        if (overwrite.length === 0) return target.doNothing();
        const set = Object.fromEntries(overwrite.map((c) => [c, sql.ref(`excluded.${c}`)]));
        return target.doUpdateSet(set as Loose);
      })
      .execute();
    return;
  }
  // A no-op assignment of the first key column stands in for "do nothing".
  const set = overwrite.length > 0 ? overwrite : key.slice(0, 1);
  await u
    .insertInto(t)
    .values(rows as Loose)
    .onDuplicateKeyUpdate(Object.fromEntries(set.map((c) => [c, sql`values(${sql.ref(c)})`])) as Loose)
    .execute();
}

interface DbError {
  code?: unknown;
  errno?: unknown;
  constraint?: unknown;
  message?: unknown;
}

/** A unique-key violation (optionally of the named constraint/index). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as DbError | null;
  if (e?.code === '23505') return constraint === undefined || e.constraint === constraint;
  if (e?.errno === 1062 || e?.code === 'ER_DUP_ENTRY') {
    return constraint === undefined || String(e.message).includes(`${constraint}'`);
  }
  return false;
}

/** The database gave up on this transaction to break a deadlock or a lock wait; it may be retried. */
export function isTransientLockFailure(err: unknown): boolean {
  const e = err as DbError | null;
  return e?.code === '40P01' || e?.code === '40001' || e?.errno === 1213 || e?.errno === 1205;
}

/** A derived table `d` with one `night` (date) column for every night in [from, to). */
export function nightsTable(db: Kysely<DB>, from: string, to: string): RawBuilder<unknown> {
  if (sqlFamily(db) === 'postgres') {
    return sql`(select cast(g as date) as night
      from generate_series(cast(${from} as date), cast(${to} as date) - 1, interval '1 day') as g) as d`;
  }
  return sql`(with recursive s (night) as (
      select cast(${from} as date) where cast(${from} as date) < cast(${to} as date)
      union all
      select night + interval 1 day from s where night + interval 1 day < cast(${to} as date)
    ) select night from s) as d`;
}

/** Whether a date column is a Friday or a Saturday (a weekend night: pricing.ts's `isWeekendNight`). */
export function isWeekendDate(db: Kysely<DB>, column: Expression<unknown>): RawBuilder<SqlBool> {
  return sqlFamily(db) === 'postgres'
    ? sql<SqlBool>`extract(isodow from ${column}) in (5, 6)`
    : sql<SqlBool>`dayofweek(${column}) in (6, 7)`;
}

/** 'YYYY-MM' of a timestamp column, in UTC (MySQL sessions run in UTC; see database.ts). */
export function yearMonth(db: Kysely<DB>, column: Expression<unknown>): RawBuilder<string> {
  return sqlFamily(db) === 'postgres'
    ? sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM')`
    : sql<string>`date_format(${column}, '%Y-%m')`;
}

/**
 * Full-text match of free text typed by a user, and its relevance. PostgreSQL: the generated
 * `search_vector` with websearch syntax ("quoted phrases", -excluded, or). MySQL: the FULLTEXT index on
 * the same columns in boolean mode, every word required, with the same syntax translated.
 */
export function textSearch(
  db: Kysely<DB>,
  alias: string,
  columns: string[],
  text: string,
): { matches: RawBuilder<SqlBool>; rank: RawBuilder<number> } {
  if (sqlFamily(db) === 'postgres') {
    const query = sql`websearch_to_tsquery('simple', ${text})`;
    const vector = sql.ref(`${alias}.search_vector`);
    return {
      matches: sql<SqlBool>`${vector} @@ ${query}`,
      rank: sql<number>`cast(ts_rank(${vector}, ${query}) as decimal(20,6))`,
    };
  }
  const cols = sql.join(columns.map((c) => sql.ref(`${alias}.${c}`)));
  const match = sql`match(${cols}) against (${toBooleanQuery(text)} in boolean mode)`;
  return { matches: sql<SqlBool>`${match}`, rank: sql<number>`cast(${match} as decimal(20,6))` };
}

/**
 * Websearch-style text as a MySQL boolean-mode query: every term required (+), "phrases" kept,
 * -term excluded, and `a or b` required as a group: `+(a b)`. Operator characters in words are dropped.
 */
export function toBooleanQuery(text: string): string {
  const groups: { negate: boolean; bodies: string[] }[] = [];
  let or = false;
  for (const m of text.matchAll(/(-?)"([^"]*)"|(-?)(\S+)/g)) {
    const negate = (m[1] || m[3]) === '-';
    const phrase = m[2] !== undefined;
    const words = (m[2] ?? m[4] ?? '').split(/[^\p{L}\p{N}_]+/u).filter(Boolean);
    if (words.length === 0) continue;
    if (!phrase && !negate && words.length === 1 && words[0]!.toLowerCase() === 'or') {
      or = groups.length > 0;
      continue;
    }
    const body = phrase || words.length > 1 ? `"${words.join(' ')}"` : words[0]!;
    const last = groups.at(-1);
    if (or && last && !last.negate && !negate) last.bodies.push(body);
    else groups.push({ negate, bodies: [body] });
    or = false;
  }
  return groups
    .map((g) => (g.negate ? '-' : '+') + (g.bodies.length > 1 ? `(${g.bodies.join(' ')})` : g.bodies[0]))
    .join(' ');
}

/** A map box in degrees (inclusive bounds). */
export interface GeoBox {
  minLat: number;
  maxLat: number;
  minLng: number;
  maxLng: number;
}

/**
 * SQL condition: the row `alias` of `table` (which has a `geo` point(longitude, latitude) column) lies
 * in the box, bounds included, in a form its geo index serves. PostgreSQL: `geo <@ box` (GiST).
 * MySQL: `MBRIntersects` with the box's envelope (for a point, intersecting the box is lying in it,
 * edges included) through the SPATIAL index, in a subquery of its own on the primary key: MariaDB
 * 10.11 fails a SPATIAL index scan combined with a rowid filter (built from another condition of the
 * same table) with "Update locks cannot be acquired during a READ UNCOMMITTED transaction".
 */
export function geoInBox(db: Kysely<DB>, table: 'properties', alias: string, b: GeoBox): RawBuilder<SqlBool> {
  if (sqlFamily(db) === 'postgres') {
    return sql<SqlBool>`${sql.ref(`${alias}.geo`)} <@ ${pgBox(b.minLng, b.minLat, b.maxLng, b.maxLat)}`;
  }
  const envelope = sql`ST_Envelope(LineString(Point(${b.minLng}, ${b.minLat}), Point(${b.maxLng}, ${b.maxLat})))`;
  return sql<SqlBool>`${sql.ref(`${alias}.id`)} in (
    select g.id from ${sql.table(table)} g where MBRIntersects(${envelope}, g.geo))`;
}

/** PostgreSQL `box` from its corners (x = longitude, y = latitude), each an SQL value or a number. */
export function pgBox(
  minX: Expression<number> | number,
  minY: Expression<number> | number,
  maxX: Expression<number> | number,
  maxY: Expression<number> | number,
): RawBuilder<unknown> {
  const f = (v: Expression<number> | number) => sql`cast(${v} as double precision)`;
  return sql`box(point(${f(minX)}, ${f(minY)}), point(${f(maxX)}, ${f(maxY)}))`;
}

/**
 * PostgreSQL only: the planar distance, in degrees, from the listing `alias` to (lat, lng), which the GiST
 * index returns nearest first (`ORDER BY geo <-> point`). Not a distance on the Earth: an order in
 * which to visit candidates, never a result.
 */
export function geoNearestFirst(alias: string, lat: number, lng: number): RawBuilder<number> {
  return sql<number>`${sql.ref(`${alias}.geo`)} <-> point(cast(${lng} as double precision), cast(${lat} as double precision))`;
}
