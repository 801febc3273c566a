import { sql } from 'kysely';
import { columnTypes, type MigrationDb, withTimestamps } from './helpers.js';

/**
 * Pricing rules hosts set (src/modules/properties/pricing.ts): a weekend price, weekly and monthly
 * discounts, an extra-guest fee above the guests a price includes; taxes by jurisdiction (`tax_rates`, by
 * country and region, applied by the listing's address); and on bookings the lines a price now has
 * (discount, extra guests, the host's service fee, each tax by name).
 */
export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await db.schema
    .alterTable('properties')
    .addColumn('weekend_price', 'bigint')
    .addColumn('weekly_discount_pct', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('monthly_discount_pct', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('guests_included', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('extra_guest_fee', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  // Checks as their own statements: MySQL takes one per ALTER.
  for (const [name, check] of [
    ['properties_weekend_price_check', sql`weekend_price is null or weekend_price > 0`],
    [
      'properties_discounts_check',
      sql`weekly_discount_pct between 0 and 90 and monthly_discount_pct between 0 and 90`,
    ],
    ['properties_extra_guests_check', sql`guests_included >= 1 and extra_guest_fee >= 0`],
  ] as const) {
    await db.schema.alterTable('properties').addCheckConstraint(name, check).execute();
  }

  await db.schema
    .alterTable('bookings')
    .addColumn('discount_pct', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('discount', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('extra_guest_fees', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('host_fee', 'bigint', (c) => c.notNull().defaultTo(0))
    // [{ name, kind, rateBps, amount }]: each tax of the stay's price (null before this migration).
    .addColumn('tax_lines', t.json)
    .execute();

  await withTimestamps(
    db,
    db.schema
      .createTable('tax_rates')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('country_code', 'char(2)', (c) => c.notNull())
      // '' = the whole country; else a region as listings spell it (matched case-insensitively).
      .addColumn('region', 'varchar(100)', (c) => c.notNull().defaultTo(t.text('')))
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('rate_bps', 'integer')
      .addColumn('amount', 'bigint')
      .addColumn('currency', 'char(3)')
      .addColumn('per_guest', 'boolean', (c) => c.notNull().defaultTo(false))
      .addCheckConstraint(
        'tax_rates_kind_check',
        sql`(kind = 'percent' and rate_bps between 1 and 5000 and amount is null and currency is null)
          or (kind = 'per_night' and rate_bps is null and amount > 0 and currency is not null)`,
      ),
  ).execute();
  await db.schema
    .createIndex('tax_rates_jurisdiction_idx')
    .on('tax_rates')
    .columns(['country_code', 'region', 'name'])
    .unique()
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('tax_rates').ifExists().execute();
  for (const c of ['discount_pct', 'discount', 'extra_guest_fees', 'host_fee', 'tax_lines']) {
    await db.schema.alterTable('bookings').dropColumn(c).execute();
  }
  for (const name of [
    'properties_weekend_price_check',
    'properties_discounts_check',
    'properties_extra_guests_check',
  ]) {
    await db.schema.alterTable('properties').dropConstraint(name).execute();
  }
  for (const c of [
    'weekend_price',
    'weekly_discount_pct',
    'monthly_discount_pct',
    'guests_included',
    'extra_guest_fee',
  ]) {
    await db.schema.alterTable('properties').dropColumn(c).execute();
  }
}
