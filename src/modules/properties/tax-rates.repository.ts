/** Taxes by jurisdiction (`tax_rates`): the rows of a country and of its regions. */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import type { TaxRatesTable } from '../../db/schema/properties.js';

export type TaxRateRow = Selectable<TaxRatesTable>;

/** The most rows read as the whole table (a few rows per country; a guard, not a page size). */
export const MAX_TAX_RATES = 10_000;

/** The whole table, by country, region and name (each API process keeps it in memory: tax-rates.service). */
export function allRates(db: Kysely<DB>): Promise<TaxRateRow[]> {
  return db
    .selectFrom('tax_rates')
    .selectAll()
    .orderBy('country_code')
    .orderBy('region')
    .orderBy('name')
    .limit(MAX_TAX_RATES)
    .execute();
}

/** The most rows the admin list returns (the table holds a few rows per country). */
export const MAX_TAX_RATES_LISTED = 500;

/** Every rate (of one country), by country, region and name: at most `MAX_TAX_RATES_LISTED`. */
export function listTaxRates(db: Kysely<DB>, countryCode?: string): Promise<TaxRateRow[]> {
  let q = db.selectFrom('tax_rates').selectAll();
  if (countryCode !== undefined) q = q.where('country_code', '=', countryCode);
  return q
    .orderBy('country_code')
    .orderBy('region')
    .orderBy('name')
    .orderBy('id')
    .limit(MAX_TAX_RATES_LISTED)
    .execute();
}

/** One rate, locked for the transaction that changes it. */
export function lockTaxRate(db: Kysely<DB>, id: string): Promise<TaxRateRow | undefined> {
  return db.selectFrom('tax_rates').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * Another rate of the same jurisdiction with the same name, compared as rates apply (region and name
 * case-insensitively): the unique key alone is case-sensitive on PostgreSQL, not on MySQL.
 */
export function findSameTaxRate(
  db: Kysely<DB>,
  key: { countryCode: string; region: string; name: string },
  exceptId?: string,
): Promise<{ id: string } | undefined> {
  let q = db
    .selectFrom('tax_rates')
    .select('id')
    .where('country_code', '=', key.countryCode)
    .where((eb) => eb(eb.fn('lower', ['region']), '=', key.region.toLowerCase()))
    .where((eb) => eb(eb.fn('lower', ['name']), '=', key.name.toLowerCase()));
  if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
  return q.limit(1).executeTakeFirst();
}

export async function insertTaxRate(db: Kysely<DB>, row: Insertable<TaxRatesTable>): Promise<TaxRateRow> {
  await db.insertInto('tax_rates').values(row).execute();
  return db.selectFrom('tax_rates').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
}

export async function updateTaxRate(
  db: Kysely<DB>,
  id: string,
  values: Updateable<TaxRatesTable>,
): Promise<TaxRateRow> {
  await db.updateTable('tax_rates').set(values).where('id', '=', id).execute();
  return db.selectFrom('tax_rates').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function deleteTaxRate(db: Kysely<DB>, id: string): Promise<void> {
  await db.deleteFrom('tax_rates').where('id', '=', id).execute();
}
