/**
 * Taxes by jurisdiction, applied by a listing's address: every rate of its country that is country-wide
 * (region '') and every rate of its region (matched case-insensitively, trimmed), in that order.
 * Percentage rates apply to the accommodation; per-night rates (an occupancy tax: an amount per night,
 * or per guest per night) are written in one currency and apply to listings priced in it — a
 * jurisdiction that taxes listings priced in several currencies has a row per currency (named apart).
 * A country with no row at all gets the deployment's default `TAX_BPS` (if not 0) as one tax, "Taxes".
 */
import type { ServiceContext } from '../../platform/context.js';
import type { TaxRule } from './pricing.js';
import { ratesOfCountries, type TaxRateRow } from './tax-rates.repository.js';

export interface TaxPlace {
  countryCode: string;
  region: string | null;
  currency: string;
}

const regionKey = (r: string | null | undefined) => (r ?? '').trim().toLowerCase();

/** The rules of one place from its country's rows (pure: search applies it to a page of listings). */
export function rulesOfPlace(
  config: ServiceContext['config'],
  countryRows: readonly TaxRateRow[],
  place: TaxPlace,
): TaxRule[] {
  if (countryRows.length === 0) {
    return config.TAX_BPS > 0 ? [{ name: 'Taxes', kind: 'percent', rateBps: config.TAX_BPS }] : [];
  }
  const region = regionKey(place.region);
  const applies = (r: TaxRateRow) =>
    (r.region === '' || regionKey(r.region) === region) &&
    (r.kind === 'percent' || r.currency === place.currency);
  const ordered = [
    ...countryRows.filter((r) => r.region === ''),
    ...countryRows.filter((r) => r.region !== ''),
  ];
  return ordered.filter(applies).map((r) =>
    r.kind === 'percent'
      ? { name: r.name, kind: 'percent' as const, rateBps: Number(r.rate_bps) }
      : {
          name: r.name,
          kind: 'per_night' as const,
          amount: Number(r.amount),
          perGuest: Boolean(r.per_guest),
        },
  );
}

/** The taxes of several places (a search page), read in one query. */
export async function taxRulesOfPlaces(
  ctx: ServiceContext,
  db: ServiceContext['db'],
  places: readonly TaxPlace[],
): Promise<(place: TaxPlace) => TaxRule[]> {
  const rows = await ratesOfCountries(
    db,
    places.map((p) => p.countryCode),
  );
  const byCountry = new Map<string, TaxRateRow[]>();
  for (const r of rows) {
    const list = byCountry.get(r.country_code) ?? [];
    list.push(r);
    byCountry.set(r.country_code, list);
  }
  return (place) => rulesOfPlace(ctx.config, byCountry.get(place.countryCode) ?? [], place);
}

/** The taxes of one listing's stay. */
export async function taxRulesFor(
  ctx: ServiceContext,
  db: ServiceContext['db'],
  place: TaxPlace,
): Promise<TaxRule[]> {
  return (await taxRulesOfPlaces(ctx, db, [place]))(place);
}
