/**
 * SQL for listings, their calendar and search. Availability ("is this night free?") is answered in one
 * place, `nightlyCalendar` / `availableFor`, from the calendar blocks and the active bookings.
 */
import { type Expression, type Kysely, type Selectable, type SqlBool, sql } from 'kysely';
import {
  geoInBox,
  geoNearestFirst,
  insertReturning,
  isWeekendDate,
  nightsTable,
  pgBox,
  sqlFamily,
  textSearch,
  updateByIdReturning,
  upsert,
} from '../../db/dialect.js';
import type { DB } from '../../db/schema/index.js';
import type { PropertiesTable } from '../../db/schema/properties.js';
import { type PricingRules, pricingRulesOf } from './pricing.js';

export type PropertyRow = Selectable<PropertiesTable>;

/** Statuses of bookings that occupy nights (must match ACTIVE_STATUSES in the bookings module). */
const OCCUPYING = ['pending_payment', 'awaiting_host', 'confirmed', 'completed'] as const;

export function findProperty(db: Kysely<DB>, id: string): Promise<PropertyRow | undefined> {
  return db
    .selectFrom('properties')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export function lockProperty(db: Kysely<DB>, id: string): Promise<PropertyRow | undefined> {
  return db
    .selectFrom('properties')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
}

export function insertProperty(
  db: Kysely<DB>,
  row: Omit<
    PropertyRow,
    | 'city_key'
    | 'geo'
    | 'rating_avg'
    | 'rating_count'
    | 'created_at'
    | 'updated_at'
    | 'checkin_details'
    | 'unlisted_reason'
  >,
) {
  return insertReturning(db, 'properties', row);
}

/** Titles of these listings (deleted ones too: a conversation outlives its listing). */
export async function titlesOf(db: Kysely<DB>, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('properties').select(['id', 'title']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.title]));
}

export function updateProperty(
  db: Kysely<DB>,
  id: string,
  patch: Partial<Omit<PropertyRow, 'id' | 'city_key' | 'geo' | 'host_id'>>,
): Promise<PropertyRow> {
  return updateByIdReturning(db, 'properties', id, patch);
}

export async function knownAmenities(db: Kysely<DB>, codes: string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = await db.selectFrom('amenities').select('code').where('code', 'in', codes).execute();
  return new Set(rows.map((r) => r.code));
}

export function listAmenities(db: Kysely<DB>) {
  return db.selectFrom('amenities').selectAll().orderBy('category').orderBy('code').execute();
}

export async function replaceAmenities(db: Kysely<DB>, propertyId: string, codes: string[]) {
  await db.deleteFrom('property_amenities').where('property_id', '=', propertyId).execute();
  if (codes.length > 0) {
    await db
      .insertInto('property_amenities')
      .values(codes.map((amenity_code) => ({ property_id: propertyId, amenity_code })))
      .execute();
  }
}

/** Amenities (code, name, category) of many properties in one query. */
export async function amenityDetailsOf(db: Kysely<DB>, ids: readonly string[]) {
  const out = new Map<string, { code: string; name: string; category: string }[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('property_amenities as pa')
    .innerJoin('amenities as a', 'a.code', 'pa.amenity_code')
    .select(['pa.property_id', 'a.code', 'a.name', 'a.category'])
    .where('pa.property_id', 'in', [...ids])
    .orderBy('a.code')
    .execute();
  for (const r of rows) out.get(r.property_id)?.push({ code: r.code, name: r.name, category: r.category });
  return out;
}

/** Many listings in one query (GraphQL loaders). */
export function findPropertiesByIds(db: Kysely<DB>, ids: readonly string[]): Promise<PropertyRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('properties')
    .selectAll()
    .where('id', 'in', [...ids])
    .where('deleted_at', 'is', null)
    .execute();
}

/** Amenity codes of many properties in one query. */
export async function amenitiesOf(db: Kysely<DB>, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('property_amenities')
    .select(['property_id', 'amenity_code'])
    .where('property_id', 'in', ids)
    .orderBy('amenity_code')
    .execute();
  for (const r of rows) out.get(r.property_id)?.push(r.amenity_code);
  return out;
}

export function listHostProperties(
  db: Kysely<DB>,
  q: { hostId: string; status?: string | undefined; afterId?: string | undefined; limit: number },
) {
  let query = db
    .selectFrom('properties')
    .selectAll()
    .where('host_id', '=', q.hostId)
    .where('deleted_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(q.limit);
  if (q.status) query = query.where('status', '=', q.status as PropertyRow['status']);
  if (q.afterId) query = query.where('id', '<', q.afterId);
  return query.execute();
}

/** Does the property have an active booking whose stay has not ended? (Deleting it is refused then.) */
export async function hasFutureBookings(db: Kysely<DB>, propertyId: string, today: string): Promise<boolean> {
  const row = await db
    .selectFrom('bookings')
    .select('id')
    .where('property_id', '=', propertyId)
    .where('status', 'in', OCCUPYING)
    .where('check_out', '>', today)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Set `blocked` and/or the price override for every night in [from, to] (inclusive). */
export async function upsertCalendar(
  db: Kysely<DB>,
  propertyId: string,
  nights: string[],
  patch: { blocked?: boolean | undefined; price?: number | null | undefined },
) {
  if (nights.length === 0) return;
  const rows = nights.map((night) => ({
    property_id: propertyId,
    night,
    blocked: patch.blocked ?? false,
    price_override: patch.price ?? null,
  }));
  const overwrite = [
    ...(patch.blocked !== undefined ? ['blocked'] : []),
    ...(patch.price !== undefined ? ['price_override'] : []),
  ];
  await upsert(db, 'property_calendar', rows, ['property_id', 'night'], overwrite);
  // Rows that no longer say anything are removed, keeping the table small.
  await db
    .deleteFrom('property_calendar')
    .where('property_id', '=', propertyId)
    .where('night', 'in', nights)
    .where('blocked', '=', false)
    .where('price_override', 'is', null)
    .execute();
}

export type NightState = 'available' | 'booked' | 'blocked';

/**
 * Every night in [from, to) with its state and price override: the single source of truth for
 * availability. Booked wins over blocked. (The night's price is pricing.ts's `nightPrice`.)
 */
export async function nightlyCalendar(
  db: Kysely<DB>,
  propertyId: string,
  from: string,
  to: string,
  opts: { exceptBookingId?: string | undefined } = {},
): Promise<{ date: string; state: NightState; override: number | null }[]> {
  // A booking whose stay is being changed does not stand in its own way.
  const except = opts.exceptBookingId ? sql`and b.id <> ${opts.exceptBookingId}` : sql``;
  const result = await sql<{ date: string; state: NightState; override: number | null }>`
    select d.night as date,
      case
        when exists (
          select 1 from bookings b
          where b.property_id = p.id and b.status in (${sql.join(OCCUPYING)})
            and b.check_in <= d.night and b.check_out > d.night ${except}
        ) then 'booked'
        when coalesce(c.blocked, false) then 'blocked'
        else 'available'
      end as state,
      c.price_override as override
    from properties p
    cross join ${nightsTable(db, from, to)}
    left join property_calendar c on c.property_id = p.id and c.night = d.night
    where p.id = ${propertyId}
    order by d.night`.execute(db);
  return result.rows.map((r) => ({ ...r, override: r.override === null ? null : Number(r.override) }));
}

/**
 * SQL condition: property `p` is free for every night of [checkIn, checkOut). Booked nights are found
 * through the no-overlap guard's own index: the exclusion constraint's range index on PostgreSQL,
 * the unique (property, night) index of `booking_nights` on MySQL.
 */
function availableFor(db: Kysely<DB>, checkIn: string, checkOut: string): Expression<SqlBool> {
  const booked =
    sqlFamily(db) === 'postgres'
      ? sql<SqlBool>`exists (
          select 1 from bookings b
          where b.property_id = p.id and b.status in (${sql.join(OCCUPYING)})
            and daterange(b.check_in, b.check_out, '[)') && daterange(cast(${checkIn} as date), cast(${checkOut} as date), '[)'))`
      : sql<SqlBool>`exists (
          select 1 from booking_nights n
          where n.property_id = p.id and n.night >= cast(${checkIn} as date) and n.night < cast(${checkOut} as date))`;
  return sql<SqlBool>`not exists (
      select 1 from property_calendar c
      where c.property_id = p.id and c.blocked
        and c.night >= cast(${checkIn} as date) and c.night < cast(${checkOut} as date)
    ) and not ${booked}`;
}

export interface SearchFilters {
  cityKey?: string | undefined;
  country?: string | undefined;
  bbox?: { minLat: number; maxLat: number; minLng: number; maxLng: number } | undefined;
  centre?: { lat: number; lng: number; radiusKm?: number | undefined } | undefined;
  /** The stay asked for; `weekendNights`: its Friday and Saturday nights. */
  stay?: { checkIn: string; checkOut: string; nights: number; weekendNights: number } | undefined;
  guests?: number | undefined;
  minPrice?: number | undefined;
  maxPrice?: number | undefined;
  type?: string | undefined;
  amenities?: string[] | undefined;
  instantBook?: boolean | undefined;
  text?: string | undefined;
}

export type SortKey = 'relevance' | 'price_asc' | 'price_desc' | 'rating' | 'distance' | 'newest';

export interface SearchRow {
  id: string;
  host_id: string;
  title: string;
  property_type: PropertyRow['property_type'];
  city: string;
  country_code: string;
  latitude: number;
  longitude: number;
  max_guests: number;
  bedrooms: number;
  nightly_price: number;
  currency: string;
  cleaning_fee: number;
  weekend_price: number | null;
  weekly_discount_pct: number;
  monthly_discount_pct: number;
  guests_included: number;
  extra_guest_fee: number;
  region: string | null;
  instant_book: boolean;
  rating_avg: number;
  rating_count: number;
  /** The sort key value of this row (for the next page's cursor). */
  sort_value: number | string;
  distance_km: number | null;
  nights_subtotal: number | null;
}

const EARTH_KM = 6371.0088;

function distanceKm(lat: number, lng: number) {
  return sql<number>`(${sql.raw(String(EARTH_KM))} * 2 * asin(sqrt(
    power(sin(radians(p.latitude - ${lat}) / 2), 2) +
    cos(radians(${lat})) * cos(radians(p.latitude)) * power(sin(radians(p.longitude - ${lng}) / 2), 2))))`;
}

/** Sorts that a map box can be walked in: their own index, with the box as a filter. */
const WALKABLE: ReadonlySet<SortKey> = new Set(['price_asc', 'price_desc', 'rating', 'newest']);

/**
 * Keyset-paged search. The page after `after` continues strictly past (sort value, id), so rows
 * inserted meanwhile neither repeat nor shift a page.
 *
 * On PostgreSQL (and PGlite) two shapes keep the cost of a geo search proportional to the page:
 * - by distance: nearest-first candidates from the GiST index (`geo <-> centre`) bound how far the
 *   page can reach; the exact page is then read from the box of that reach (see `byDistance`);
 * - a map box ranked by price, rating or newest: the sort's own index is walked with the box as a
 *   filter for a bounded number of rows; when the box is too sparse in that order to fill the page
 *   that way, the box is read from the GiST index instead (see `boxWalk`).
 * Both give exactly the rows and the order of the plain query (the sort key, then the id).
 */
export async function searchProperties(
  db: Kysely<DB>,
  f: SearchFilters,
  sort: SortKey,
  limit: number,
  after?: { v: number | string; id: string },
): Promise<SearchRow[]> {
  const family = sqlFamily(db);
  const conds: Expression<SqlBool>[] = [
    sql<SqlBool>`p.status = 'listed'`,
    sql<SqlBool>`p.deleted_at is null`,
  ];
  if (f.cityKey) conds.push(sql<SqlBool>`p.city_key = ${f.cityKey}`);
  if (f.country) conds.push(sql<SqlBool>`p.country_code = ${f.country}`);
  const distance = f.centre ? distanceKm(f.centre.lat, f.centre.lng) : undefined;
  if (f.centre?.radiusKm !== undefined && distance)
    conds.push(sql<SqlBool>`${distance} <= ${f.centre.radiusKm}`);
  if (f.guests !== undefined) conds.push(sql<SqlBool>`p.max_guests >= ${f.guests}`);
  if (f.minPrice !== undefined) conds.push(sql<SqlBool>`p.nightly_price >= ${f.minPrice}`);
  if (f.maxPrice !== undefined) conds.push(sql<SqlBool>`p.nightly_price <= ${f.maxPrice}`);
  if (f.type) conds.push(sql<SqlBool>`p.property_type = ${f.type}`);
  if (f.instantBook !== undefined) conds.push(sql<SqlBool>`p.instant_book = ${f.instantBook}`);
  if (f.amenities && f.amenities.length > 0) {
    conds.push(sql<SqlBool>`(select count(*) from property_amenities pa
      where pa.property_id = p.id and pa.amenity_code in (${sql.join(f.amenities)})) = ${f.amenities.length}`);
  }
  const text = f.text ? textSearch(db, 'p', ['title', 'description'], f.text) : undefined;
  if (text) conds.push(text.matches);
  if (f.stay) {
    conds.push(availableFor(db, f.stay.checkIn, f.stay.checkOut));
    conds.push(sql<SqlBool>`p.min_nights <= ${f.stay.nights}`);
    conds.push(sql<SqlBool>`(p.max_nights is null or p.max_nights >= ${f.stay.nights})`);
  }

  // The sort key, as an expression; numeric keys are rounded so a cursor compares exactly.
  // (A sort without a key of its own orders by id alone; a typed constant, not a positional `0`.)
  const CONSTANT_KEY = sql`cast(0 as decimal(1,0))`;
  const keys: Record<SortKey, { expr: ReturnType<typeof sql>; dir: 'asc' | 'desc' }> = {
    relevance: {
      expr: text ? text.rank : CONSTANT_KEY,
      dir: 'desc',
    },
    price_asc: { expr: sql`p.nightly_price`, dir: 'asc' },
    price_desc: { expr: sql`p.nightly_price`, dir: 'desc' },
    rating: { expr: sql`p.rating_avg`, dir: 'desc' },
    distance: {
      expr: distance ? sql`cast(${distance} as decimal(20,4))` : CONSTANT_KEY,
      dir: 'asc',
    },
    newest: { expr: CONSTANT_KEY, dir: 'desc' },
  };
  const key = keys[sort];
  if (after) {
    const cmp = key.dir === 'asc' ? sql.raw('>') : sql.raw('<');
    // The leading bound is implied by the rest; it lets the sort's index start at the cursor.
    const bound = key.dir === 'asc' ? sql.raw('>=') : sql.raw('<=');
    conds.push(
      sql<SqlBool>`${key.expr} ${bound} ${after.v} and (${key.expr} ${cmp} ${after.v} or (${key.expr} = ${after.v} and p.id ${cmp} ${after.id}))`,
    );
  }
  // The box, exactly, on the columns; and in the form the geo index serves.
  const box = f.bbox;
  const boxExact = box
    ? sql<SqlBool>`p.latitude between ${box.minLat} and ${box.maxLat} and p.longitude between ${box.minLng} and ${box.maxLng}`
    : undefined;
  const boxIndexed = box ? geoInBox(db, 'properties', 'p', box) : undefined;

  // The nights' subtotal, night by night as pricing.ts's `nightPrice` has it: the weekend price on
  // Friday and Saturday nights (counted by the service), the nightly price on the others, each replaced
  // by its calendar override where one is set. The rest of the price is the pricing engine's, in TS.
  const weekendPrice = sql`coalesce(p.weekend_price, p.nightly_price)`;
  const nightsSubtotal = f.stay
    ? sql<number>`(p.nightly_price * ${f.stay.nights - f.stay.weekendNights}
        + ${weekendPrice} * ${f.stay.weekendNights} + coalesce((
        select sum(c.price_override - case when ${isWeekendDate(db, sql`c.night`)} then ${weekendPrice} else p.nightly_price end)
        from property_calendar c
        where c.property_id = p.id and c.price_override is not null
          and c.night >= cast(${f.stay.checkIn} as date) and c.night < cast(${f.stay.checkOut} as date)), 0))`
    : sql<null>`null`;
  const dir = sql.raw(key.dir);
  const columns = sql`p.id, p.host_id, p.title, p.property_type, p.city, p.country_code, p.latitude, p.longitude,
      p.max_guests, p.bedrooms, p.nightly_price, p.currency, p.cleaning_fee, p.weekend_price,
      p.weekly_discount_pct, p.monthly_discount_pct, p.guests_included, p.extra_guest_fee, p.region,
      p.instant_book, p.rating_avg, p.rating_count, ${distance ?? sql`null`} as distance_km,
      ${nightsSubtotal} as nights_subtotal`;
  const where = (extra: (Expression<SqlBool> | undefined)[]) =>
    sql.join(
      [...conds, ...extra].filter((c): c is Expression<SqlBool> => c !== undefined),
      sql` and `,
    );

  let result: { rows: SearchRow[] };
  if (family === 'postgres' && sort === 'distance' && f.centre) {
    result = await byDistance(db, f.centre, limit, { key: key.expr, columns, where: where([boxIndexed]) });
  } else if (family === 'postgres' && box && boxExact && boxIndexed && WALKABLE.has(sort)) {
    result = await boxWalk(db, limit, {
      key: key.expr,
      dir,
      columns,
      unboxed: where([]),
      boxExact: sql<SqlBool>`w.latitude between ${box.minLat} and ${box.maxLat} and w.longitude between ${box.minLng} and ${box.maxLng}`,
      boxed: where([boxIndexed]),
    });
  } else {
    // MySQL, by distance: the SPATIAL index reads the radius's box (the exact bounds are checked as
    // well). Other sorts keep the plain bounds: InnoDB estimates an R-tree range at a handful of rows
    // whatever the box holds, so MariaDB would read and sort a whole dense box through it, where
    // without it it walks the sort's index with the box as a filter (the page, not the box).
    const geo = family === 'mysql' && sort === 'distance' ? [boxIndexed, boxExact] : [boxExact];
    result = await sql<SearchRow>`
      select ${columns}, ${key.expr} as sort_value
      from properties p
      where ${where(geo)}
      order by ${key.expr} ${dir}, p.id ${dir}
      limit ${limit}`.execute(db);
  }
  return result.rows.map((r) => ({
    ...r,
    sort_value: typeof r.sort_value === 'string' ? Number(r.sort_value) : r.sort_value,
    nights_subtotal: r.nights_subtotal === null ? null : Number(r.nights_subtotal),
    distance_km: r.distance_km === null ? null : Number(r.distance_km),
  }));
}

/** Listings read from the sort's own index before a map box falls back to the geo index. */
function walkBudget(limit: number) {
  return Math.max(1_000, 20 * limit);
}

/**
 * A map box ranked by price, rating or newest, on PostgreSQL. The sort's index (which carries latitude
 * and longitude: an index-only scan) is walked from the cursor for at most `walkBudget` rows, keeping
 * those in the box. If that fills the page, it is the page: the rows come in the sort order, so no row
 * beyond them can precede them. Otherwise (the box is sparse in that order, or has fewer rows than a
 * page) the page is ranked from the rows of the box read through the GiST index (an index-only scan
 * too; its branch runs only then, and alone is always right). Cost: at most the budget, or the rows of a box that holds
 * fewer than about `limit / budget` of the listings — never every listing of a dense box.
 */
function boxWalk(
  db: Kysely<DB>,
  limit: number,
  q: {
    key: ReturnType<typeof sql>;
    dir: ReturnType<typeof sql.raw>;
    columns: ReturnType<typeof sql>;
    unboxed: ReturnType<typeof sql>;
    boxExact: Expression<SqlBool>;
    boxed: ReturnType<typeof sql>;
  },
) {
  const filled = sql`(select count(*) from hits) >= ${limit}`;
  return sql<SearchRow>`
    with hits as materialized (
      -- The walk's rows come in the sort order, and the box keeps them in it: the scan stops at the
      -- page's last row in the box, or at the budget.
      select w.id, w.k from (
        select p.id, ${q.key} as k, p.latitude, p.longitude from properties p
        where ${q.unboxed}
        order by ${q.key} ${q.dir}, p.id ${q.dir}
        limit ${walkBudget(limit)}
      ) w
      where ${q.boxExact}
      limit ${limit}
    ), pick as (
      select id, k from hits where ${filled}
      union all
      select id, k from (
        select p.id, ${q.key} as k from properties p
        where ${q.boxed}
        order by ${q.key} ${q.dir}, p.id ${q.dir}
        limit ${limit}
      ) g where not ${filled}
    )
    select ${q.columns}, pick.k as sort_value
    from pick join properties p on p.id = pick.id
    order by pick.k ${q.dir}, pick.id ${q.dir}`.execute(db);
}

/**
 * By distance, on PostgreSQL. `<->` on the GiST index gives candidates nearest first in planar degrees,
 * which is not the order on the Earth; so it only bounds the page: the first `limit` candidates (every
 * filter applied) are rows of the result, so the page holds nothing farther than the farthest of them
 * (`reach`, the exact sort key). The page is then the exact query (haversine, rounded key, then id)
 * restricted to the rows within that reach, read through the GiST index from the box around the centre
 * that holds the spherical cap of that radius (the whole longitude range when the cap reaches a pole
 * or the antimeridian). With fewer candidates than `limit`, they are every matching row, and the same
 * query returns them.
 */
function byDistance(
  db: Kysely<DB>,
  centre: { lat: number; lng: number },
  limit: number,
  q: { key: ReturnType<typeof sql>; columns: ReturnType<typeof sql>; where: ReturnType<typeof sql> },
) {
  const { lat, lng } = centre;
  const cosLat = Math.cos((lat * Math.PI) / 180);
  return sql<SearchRow>`
    with knn as materialized (
      select ${q.key} as k from properties p
      where ${q.where}
      order by ${geoNearestFirst('p', lat, lng)}
      limit ${limit}
    ), reach as materialized (
      select max(k) as k from knn
    ), cap as materialized (
      -- The cap's radius in radians: the reach, plus the key's rounding (0.00005 km) and a margin.
      select degrees(r) as dlat,
        case when degrees(r) >= 90 - abs(cast(${lat} as double precision)) then 360
          else degrees(asin(least(sin(r) / ${cosLat}, 1))) end as dlng
      from (select (cast(k as double precision) + 0.0001) * 1.000001 / ${sql.raw(String(EARTH_KM))} as r from reach) c
    ), area as materialized (
      select ${pgBox(
        sql<number>`case when ${lng} - dlng < -180 or ${lng} + dlng > 180 then -180 else ${lng} - dlng end`,
        sql<number>`greatest(${lat} - dlat, -90)`,
        sql<number>`case when ${lng} - dlng < -180 or ${lng} + dlng > 180 then 180 else ${lng} + dlng end`,
        sql<number>`least(${lat} + dlat, 90)`,
      )} as b
      from cap
    )
    select ${q.columns}, ${q.key} as sort_value
    from properties p
    where ${q.where}
      and ${q.key} <= (select k from reach)
      and p.geo <@ (select b from area)
    order by ${q.key}, p.id
    limit ${limit}`.execute(db);
}

/** What booking a listing needs to know about it. */
export interface BookingTerms {
  id: string;
  hostId: string;
  status: PropertyRow['status'];
  maxGuests: number;
  minNights: number;
  maxNights: number | null;
  nightlyPrice: number;
  currency: string;
  cleaningFee: number;
  /** What prices its stays (pricing.ts). */
  pricing: PricingRules;
  /** Where it is (its taxes are this jurisdiction's). */
  countryCode: string;
  region: string | null;
  cancellationPolicy: PropertyRow['cancellation_policy'];
  checkInTime: string;
  instantBook: boolean;
}

export async function getBookingTerms(db: Kysely<DB>, id: string): Promise<BookingTerms | undefined> {
  const p = await findProperty(db, id);
  if (!p) return undefined;
  return {
    id: p.id,
    hostId: p.host_id,
    status: p.status,
    maxGuests: p.max_guests,
    minNights: p.min_nights,
    maxNights: p.max_nights,
    nightlyPrice: p.nightly_price,
    currency: p.currency,
    cleaningFee: p.cleaning_fee,
    pricing: pricingRulesOf(p),
    countryCode: p.country_code,
    region: p.region,
    cancellationPolicy: p.cancellation_policy,
    checkInTime: p.check_in_time,
    instantBook: p.instant_book,
  };
}

export interface AdminListingQuery {
  /** Part of the title or city (case-insensitive, matched literally). */
  text?: string | undefined;
  status?: PropertyRow['status'] | undefined;
  hostId?: string | undefined;
  /** Keyset: listings strictly older than this id (UUIDv7). */
  before?: string | undefined;
  limit: number;
}

/** Admin search over every listing that is not deleted, whatever its status, newest first. */
export function adminSearchProperties(db: Kysely<DB>, q: AdminListingQuery): Promise<PropertyRow[]> {
  let query = db
    .selectFrom('properties')
    .selectAll()
    .where('deleted_at', 'is', null)
    .orderBy('id', 'desc')
    .limit(q.limit);
  if (q.text) {
    const pattern = `%${q.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([eb(eb.fn('lower', ['title']), 'like', pattern), eb(eb.fn('lower', ['city']), 'like', pattern)]),
    );
  }
  if (q.status) query = query.where('status', '=', q.status);
  if (q.hostId) query = query.where('host_id', '=', q.hostId);
  if (q.before) query = query.where('id', '<', q.before);
  return query.execute();
}
