import { type SqlBool, sql } from 'kysely';
import { isMysql, type MigrationDb, partial } from './helpers.js';

/**
 * Geo search whose cost follows the page, not the map box.
 * - `geo`: each listing's position as a point (x = longitude, y = latitude), kept equal to
 *   latitude/longitude by the database on every write: a stored generated column on PostgreSQL, a
 *   column set by BEFORE INSERT/UPDATE triggers on MySQL/MariaDB (which cannot SPATIAL-index a
 *   generated column: it may not be NOT NULL there).
 * - `properties_geo_point_idx`: PostgreSQL: a GiST index (box containment `<@`, nearest-first `<->`)
 *   over listed rows, carrying price, rating and id so a box ranked by them is an index-only scan.
 *   MySQL: a SPATIAL (R-tree) index.
 * - PostgreSQL: the price, rating and newest indexes also carry latitude and longitude, so walking one
 *   of them with a map box as the filter reads no table rows (index-only scan).
 */
const listed = sql<SqlBool>`status = 'listed' and deleted_at is null`;
const SORT_INDEXES: [string, string[]][] = [
  ['properties_price_idx', ['nightly_price', 'id']],
  ['properties_rating_idx', ['rating_avg', 'id']],
  ['properties_newest_idx', ['id']],
];

export async function up(db: MigrationDb): Promise<void> {
  if (isMysql(db)) {
    await sql`alter table properties add column geo point not null default (point(0, 0))`.execute(db);
    await sql`update properties set geo = point(longitude, latitude)`.execute(db);
    for (const [name, event] of [
      ['properties_geo_insert', 'insert'],
      ['properties_geo_update', 'update'],
    ] as const) {
      await sql
        .raw(`create trigger ${name} before ${event} on properties for each row
          set new.geo = point(new.longitude, new.latitude)`)
        .execute(db);
    }
    await sql`create spatial index properties_geo_point_idx on properties (geo)`.execute(db);
    return;
  }
  await sql`alter table properties
    add column geo point generated always as (point(longitude, latitude)) stored not null`.execute(db);
  await sql`create index properties_geo_point_idx on properties using gist (geo)
    include (nightly_price, rating_avg, id) where status = 'listed' and deleted_at is null`.execute(db);
  for (const [name, columns] of SORT_INDEXES) {
    await db.schema.dropIndex(name).execute();
    await sql`create index ${sql.raw(name)} on properties (${sql.raw(columns.join(', '))})
      include (latitude, longitude) where status = 'listed' and deleted_at is null`.execute(db);
  }
}

export async function down(db: MigrationDb): Promise<void> {
  if (isMysql(db)) {
    await sql`drop trigger if exists properties_geo_insert`.execute(db);
    await sql`drop trigger if exists properties_geo_update`.execute(db);
    await sql`drop index properties_geo_point_idx on properties`.execute(db);
    await sql`alter table properties drop column geo`.execute(db);
    return;
  }
  for (const [name, columns] of SORT_INDEXES) {
    await db.schema.dropIndex(name).execute();
    await partial(db, db.schema.createIndex(name).on('properties').columns(columns), listed).execute();
  }
  await db.schema.dropIndex('properties_geo_point_idx').execute();
  await db.schema.alterTable('properties').dropColumn('geo').execute();
}
