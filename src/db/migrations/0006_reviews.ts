import { type SqlBool, sql } from 'kysely';
import { columnTypes, type MigrationDb, partial, withTimestamps } from './helpers.js';

const SUB_RATINGS = ['cleanliness', 'accuracy', 'communication', 'location', 'check_in', 'value'] as const;

export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  let reviews = db.schema
    .createTable('reviews')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('booking_id', t.uuid, (c) => c.notNull().unique().references('bookings.id'))
    .addColumn('property_id', t.uuid, (c) => c.notNull().references('properties.id'))
    .addColumn('guest_id', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('host_id', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('rating', 'smallint', (c) => c.notNull());
  for (const s of SUB_RATINGS) reviews = reviews.addColumn(s, 'smallint', (c) => c.notNull());
  reviews = reviews
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('host_reply', 'text')
    .addColumn('host_replied_at', t.timestamp)
    .addColumn('hidden_at', t.timestamp)
    .addColumn('hidden_reason', 'varchar(500)')
    .addColumn('hidden_by', t.uuid, (c) => c.references('users.id'))
    .addCheckConstraint(
      'reviews_ratings_check',
      sql.raw(['rating', ...SUB_RATINGS].map((c) => `${c} between 1 and 5`).join(' and ')),
    );
  await withTimestamps(db, reviews).execute();
  // Newest and highest first, per property, over visible reviews.
  await partial(
    db,
    db.schema
      .createIndex('reviews_property_newest_idx')
      .on('reviews')
      .columns(['property_id', 'created_at', 'id']),
    sql<SqlBool>`hidden_at is null`,
  ).execute();
  await partial(
    db,
    db.schema
      .createIndex('reviews_property_rating_idx')
      .on('reviews')
      .columns(['property_id', 'rating', 'id']),
    sql<SqlBool>`hidden_at is null`,
  ).execute();

  await db.schema
    .createTable('guest_ratings')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('booking_id', t.uuid, (c) => c.notNull().unique().references('bookings.id'))
    .addColumn('host_id', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('guest_id', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('rating', 'smallint', (c) => c.notNull())
    .addColumn('body', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint('guest_ratings_rating_check', sql`rating between 1 and 5`)
    .execute();
  await db.schema
    .createIndex('guest_ratings_guest_idx')
    .on('guest_ratings')
    .columns(['guest_id', 'created_at'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('guest_ratings').ifExists().execute();
  await db.schema.dropTable('reviews').ifExists().execute();
}
