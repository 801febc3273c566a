import { type SqlBool, sql } from 'kysely';
import { addFullTextSearch, columnTypes, type MigrationDb, partial, withTimestamps } from './helpers.js';

export const AMENITIES: { code: string; name: string; category: string }[] = [
  { code: 'wifi', name: 'Wi-Fi', category: 'essentials' },
  { code: 'kitchen', name: 'Kitchen', category: 'essentials' },
  { code: 'washer', name: 'Washer', category: 'essentials' },
  { code: 'dryer', name: 'Dryer', category: 'essentials' },
  { code: 'heating', name: 'Heating', category: 'essentials' },
  { code: 'air_conditioning', name: 'Air conditioning', category: 'essentials' },
  { code: 'workspace', name: 'Dedicated workspace', category: 'features' },
  { code: 'tv', name: 'TV', category: 'features' },
  { code: 'parking', name: 'Free parking', category: 'features' },
  { code: 'ev_charger', name: 'EV charger', category: 'features' },
  { code: 'pool', name: 'Pool', category: 'features' },
  { code: 'hot_tub', name: 'Hot tub', category: 'features' },
  { code: 'gym', name: 'Gym', category: 'features' },
  { code: 'bbq', name: 'BBQ grill', category: 'outdoor' },
  { code: 'garden', name: 'Garden', category: 'outdoor' },
  { code: 'balcony', name: 'Balcony', category: 'outdoor' },
  { code: 'beach_access', name: 'Beach access', category: 'location' },
  { code: 'lake_access', name: 'Lake access', category: 'location' },
  { code: 'ski_in_out', name: 'Ski-in/ski-out', category: 'location' },
  { code: 'pets_allowed', name: 'Pets allowed', category: 'policies' },
  { code: 'smoking_allowed', name: 'Smoking allowed', category: 'policies' },
  { code: 'self_check_in', name: 'Self check-in', category: 'features' },
  { code: 'crib', name: 'Crib', category: 'family' },
  { code: 'high_chair', name: 'High chair', category: 'family' },
  { code: 'elevator', name: 'Elevator', category: 'accessibility' },
  { code: 'step_free_access', name: 'Step-free access', category: 'accessibility' },
  { code: 'smoke_alarm', name: 'Smoke alarm', category: 'safety' },
  { code: 'first_aid_kit', name: 'First aid kit', category: 'safety' },
];

export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await withTimestamps(
    db,
    db.schema
      .createTable('properties')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('host_id', t.uuid, (c) => c.notNull().references('users.id'))
      .addColumn('title', 'varchar(120)', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(t.text('')))
      .addColumn('property_type', 'varchar(16)', (c) => c.notNull())
      .addColumn('street', 'varchar(200)', (c) => c.notNull())
      .addColumn('city', 'varchar(100)', (c) => c.notNull())
      .addColumn('city_key', 'varchar(100)', (c) => c.generatedAlwaysAs(sql`lower(city)`).stored())
      .addColumn('region', 'varchar(100)')
      .addColumn('country_code', 'char(2)', (c) => c.notNull())
      .addColumn('postal_code', 'varchar(20)')
      .addColumn('latitude', 'double precision', (c) => c.notNull())
      .addColumn('longitude', 'double precision', (c) => c.notNull())
      .addColumn('max_guests', 'integer', (c) => c.notNull())
      .addColumn('bedrooms', 'integer', (c) => c.notNull())
      .addColumn('beds', 'integer', (c) => c.notNull())
      .addColumn('bathrooms', sql`numeric(3,1)`, (c) => c.notNull())
      .addColumn('nightly_price', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'char(3)', (c) => c.notNull())
      .addColumn('cleaning_fee', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('min_nights', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('max_nights', 'integer')
      .addColumn('check_in_time', 'varchar(5)', (c) => c.notNull().defaultTo('15:00'))
      .addColumn('check_out_time', 'varchar(5)', (c) => c.notNull().defaultTo('11:00'))
      .addColumn('cancellation_policy', 'varchar(16)', (c) => c.notNull().defaultTo('moderate'))
      .addColumn('instant_book', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('draft'))
      .addColumn('house_rules', 'text')
      .addColumn('rating_avg', sql`numeric(3,2)`, (c) => c.notNull().defaultTo(0))
      .addColumn('rating_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('published_at', t.timestamp)
      .addColumn('deleted_at', t.timestamp)
      .addCheckConstraint(
        'properties_type_check',
        sql`property_type in ('entire_place', 'private_room', 'shared_room')`,
      )
      .addCheckConstraint('properties_status_check', sql`status in ('draft', 'listed', 'unlisted')`)
      .addCheckConstraint(
        'properties_policy_check',
        sql`cancellation_policy in ('flexible', 'moderate', 'strict')`,
      )
      .addCheckConstraint(
        'properties_geo_check',
        sql`latitude between -90 and 90 and longitude between -180 and 180`,
      )
      .addCheckConstraint('properties_money_check', sql`nightly_price > 0 and cleaning_fee >= 0`)
      .addCheckConstraint(
        'properties_capacity_check',
        sql`max_guests > 0 and bedrooms >= 0 and beds >= 0 and bathrooms >= 0`,
      )
      .addCheckConstraint(
        'properties_nights_check',
        sql`min_nights >= 1 and (max_nights is null or max_nights >= min_nights)`,
      ),
  ).execute();
  await addFullTextSearch(db, 'properties', { A: 'title', B: 'description' });

  // Search indexes: each filter the search offers has one that serves it.
  const listed = sql<SqlBool>`status = 'listed' and deleted_at is null`;
  await db.schema.createIndex('properties_host_idx').on('properties').columns(['host_id', 'id']).execute();
  await partial(
    db,
    db.schema.createIndex('properties_city_idx').on('properties').columns(['city_key', 'country_code']),
    listed,
  ).execute();
  await partial(
    db,
    db.schema.createIndex('properties_country_idx').on('properties').columns(['country_code']),
    listed,
  ).execute();
  await partial(
    db,
    db.schema.createIndex('properties_geo_idx').on('properties').columns(['latitude', 'longitude']),
    listed,
  ).execute();
  await partial(
    db,
    db.schema.createIndex('properties_price_idx').on('properties').columns(['nightly_price', 'id']),
    listed,
  ).execute();
  await partial(
    db,
    db.schema.createIndex('properties_rating_idx').on('properties').columns(['rating_avg', 'id']),
    listed,
  ).execute();
  await partial(
    db,
    db.schema.createIndex('properties_newest_idx').on('properties').columns(['id']),
    listed,
  ).execute();

  await db.schema
    .createTable('amenities')
    .addColumn('code', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('category', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.insertInto('amenities').values(AMENITIES).execute();

  await db.schema
    .createTable('property_amenities')
    .addColumn('property_id', t.uuid, (c) => c.notNull().references('properties.id').onDelete('cascade'))
    .addColumn('amenity_code', 'varchar(40)', (c) => c.notNull().references('amenities.code'))
    .addPrimaryKeyConstraint('property_amenities_pk', ['property_id', 'amenity_code'])
    .execute();
  await db.schema
    .createIndex('property_amenities_code_idx')
    .on('property_amenities')
    .columns(['amenity_code', 'property_id'])
    .execute();

  await db.schema
    .createTable('property_calendar')
    .addColumn('property_id', t.uuid, (c) => c.notNull().references('properties.id').onDelete('cascade'))
    .addColumn('night', 'date', (c) => c.notNull())
    .addColumn('blocked', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('price_override', 'bigint')
    .addPrimaryKeyConstraint('property_calendar_pk', ['property_id', 'night'])
    .addCheckConstraint('property_calendar_price_check', sql`price_override is null or price_override > 0`)
    .execute();

  await db.schema
    .createTable('property_photos')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('property_id', t.uuid, (c) => c.notNull().references('properties.id').onDelete('cascade'))
    .addColumn('storage_key', 'varchar(200)', (c) => c.notNull())
    .addColumn('content_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('is_cover', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('caption', 'varchar(200)')
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await db.schema
    .createIndex('property_photos_property_idx')
    .on('property_photos')
    .columns(['property_id', 'position'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const t of ['property_photos', 'property_calendar', 'property_amenities', 'amenities', 'properties']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
