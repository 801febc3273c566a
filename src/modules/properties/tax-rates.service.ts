/**
 * Taxes by jurisdiction, applied by a listing's address: every rate of its country that is country-wide
 * (region '') and every rate of its region (matched case-insensitively, trimmed), in that order.
 * Percentage rates apply to the accommodation; per-night rates (an occupancy tax: an amount per night,
 * or per guest per night) are written in one currency and apply to listings priced in it — a
 * jurisdiction that taxes listings priced in several currencies has a row per currency (named apart).
 * A country with no row at all gets the deployment's default `TAX_BPS` (if not 0) as one tax, "Taxes".
 *
 * The table is small and changes rarely, and every quote, booking and search page with dates needs it:
 * each process keeps it in memory, read again at most every TAX_RATES_REFRESH_MS (10 s), and at once
 * after this process changed it (`forgetTaxRates`). A change reaches other processes within 10 s.
 */
import type { ServiceContext } from '../../platform/context.js';
import type { TaxRule } from './pricing.js';
import { allRates, type TaxRateRow } from './tax-rates.repository.js';

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

export const TAX_RATES_REFRESH_MS = 10_000;

/** The table by country, per database (an app's primary pool: each test database has its own). */
const memo = new WeakMap<object, { at: number; byCountry: Promise<Map<string, TaxRateRow[]>> }>();

/** `db`: where to read it when it must be read (the caller's transaction, when there is one). */
function ratesByCountry(ctx: ServiceContext, db: ServiceContext['db']): Promise<Map<string, TaxRateRow[]>> {
  const hit = memo.get(ctx.db);
  const now = Date.now();
  if (hit && now - hit.at < TAX_RATES_REFRESH_MS) return hit.byCountry;
  const byCountry = allRates(db).then((rows) => {
    const map = new Map<string, TaxRateRow[]>();
    for (const r of rows) {
      const list = map.get(r.country_code) ?? [];
      list.push(r);
      map.set(r.country_code, list);
    }
    return map;
  });
  memo.set(ctx.db, { at: now, byCountry });
  // A failed read is not kept: the next call asks again.
  byCountry.catch(() => {
    if (memo.get(ctx.db)?.byCountry === byCountry) memo.delete(ctx.db);
  });
  return byCountry;
}

/** After this process changed a rate (committed): the next price reads the table again. */
export function forgetTaxRates(ctx: ServiceContext): void {
  memo.delete(ctx.db);
}

/** The taxes of any place (a search page's listings). */
export async function taxRulesOfPlaces(
  ctx: ServiceContext,
  db: ServiceContext['db'] = ctx.db,
): Promise<(place: TaxPlace) => TaxRule[]> {
  const byCountry = await ratesByCountry(ctx, db);
  return (place) => rulesOfPlace(ctx.config, byCountry.get(place.countryCode) ?? [], place);
}

/** The taxes of one listing's stay. */
export async function taxRulesFor(
  ctx: ServiceContext,
  db: ServiceContext['db'],
  place: TaxPlace,
): Promise<TaxRule[]> {
  return (await taxRulesOfPlaces(ctx, db))(place);
}
