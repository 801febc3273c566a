/**
 * The one pricing function: a quote and the booking made from it are computed by this code, so they
 * always agree. Pure: plain inputs in, integer minor units out (no floats touch money).
 */

export interface NightPrice {
  /** The night, as the date of its evening: 'YYYY-MM-DD'. */
  date: string;
  /** Price of this night in minor units (the listing's nightly price or a calendar override). */
  price: number;
}

export interface PriceInput {
  currency: string;
  nights: NightPrice[];
  cleaningFee: number;
  /** Guest service fee in basis points of (nights + cleaning). */
  serviceFeeBps: number;
  /** Taxes in basis points of (nights + cleaning). */
  taxBps: number;
}

export interface PriceBreakdown {
  currency: string;
  nights: NightPrice[];
  nightCount: number;
  nightsSubtotal: number;
  cleaningFee: number;
  serviceFee: number;
  taxes: number;
  total: number;
  /** What the host earns: nights + cleaning (the service fee and taxes are not theirs). */
  hostPayout: number;
}

/** amount × bps / 10 000, rounded half up, in integers. */
export function applyBps(amount: number, bps: number): number {
  return Math.floor((amount * bps + 5000) / 10_000);
}

/** Fees, taxes and total on top of a stay's nights and cleaning fee. */
export function stayTotals(
  nightsSubtotal: number,
  cleaningFee: number,
  serviceFeeBps: number,
  taxBps: number,
) {
  const base = nightsSubtotal + cleaningFee;
  const serviceFee = applyBps(base, serviceFeeBps);
  const taxes = applyBps(base, taxBps);
  return { serviceFee, taxes, total: base + serviceFee + taxes, hostPayout: base };
}

export function priceStay(input: PriceInput): PriceBreakdown {
  const nightsSubtotal = input.nights.reduce((sum, n) => sum + n.price, 0);
  return {
    currency: input.currency,
    nights: input.nights,
    nightCount: input.nights.length,
    nightsSubtotal,
    cleaningFee: input.cleaningFee,
    ...stayTotals(nightsSubtotal, input.cleaningFee, input.serviceFeeBps, input.taxBps),
  };
}

/**
 * The most nights any code path expands into a list (a year's calendar, the longest stay). Callers
 * bound a range with `nightCount` first; this guard keeps a missed bound from holding the event loop.
 */
export const MAX_EXPANDED_NIGHTS = 1000;

/** The longest stay anyone can quote, book or search for, whatever a listing's own maximum. */
export const MAX_STAY_NIGHTS = 365;

const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

/** Nights in the half-open stay [checkIn, checkOut), computed without expanding it (negative if reversed). */
export function nightCount(checkIn: string, checkOut: string): number {
  return Math.round(dayNumber(checkOut) - dayNumber(checkIn));
}

/** Every night of a half-open stay [checkIn, checkOut), as 'YYYY-MM-DD'. */
export function nightsOf(checkIn: string, checkOut: string): string[] {
  const count = nightCount(checkIn, checkOut);
  if (!(count <= MAX_EXPANDED_NIGHTS)) {
    throw new RangeError(`refusing to expand ${count} nights (at most ${MAX_EXPANDED_NIGHTS})`);
  }
  const out: string[] = [];
  const end = Date.parse(`${checkOut}T00:00:00Z`);
  for (let d = Date.parse(`${checkIn}T00:00:00Z`); d < end; d += 86_400_000) {
    out.push(new Date(d).toISOString().slice(0, 10));
  }
  return out;
}

/** The calendar day (UTC) of an instant, as `YYYY-MM-DD`. */
export const todayOf = (d: Date): string => d.toISOString().slice(0, 10);
