/**
 * The one pricing function: a quote and the booking made from it are computed by this code, so they
 * always agree. Pure: plain inputs in, integer minor units out (no floats touch money).
 */

export interface NightPrice {
  /** The night, as the date of its evening: 'YYYY-MM-DD'. */
  date: string;
  /** Price of this night in minor units (a calendar override, else the weekend or nightly price). */
  price: number;
}

/** What a host sets on a listing that prices a stay (all money in the listing's currency, minor units). */
export interface PricingRules {
  currency: string;
  nightlyPrice: number;
  /** Friday and Saturday nights (null: the nightly price). */
  weekendPrice: number | null;
  cleaningFee: number;
  /** Percent off the nights of a stay of 7 nights or more (0–90). */
  weeklyDiscountPct: number;
  /** Percent off the nights of a stay of 28 nights or more (0–90). */
  monthlyDiscountPct: number;
  /** Guests the price includes; each guest above pays `extraGuestFee` per night. */
  guestsIncluded: number;
  extraGuestFee: number;
}

/** A listing row's pricing rules (its columns as stored). */
export function pricingRulesOf(p: {
  currency: string;
  nightly_price: number;
  weekend_price: number | null;
  cleaning_fee: number;
  weekly_discount_pct: number;
  monthly_discount_pct: number;
  guests_included: number;
  extra_guest_fee: number;
}): PricingRules {
  return {
    currency: p.currency,
    nightlyPrice: Number(p.nightly_price),
    weekendPrice: p.weekend_price === null ? null : Number(p.weekend_price),
    cleaningFee: Number(p.cleaning_fee),
    weeklyDiscountPct: p.weekly_discount_pct,
    monthlyDiscountPct: p.monthly_discount_pct,
    guestsIncluded: p.guests_included,
    extraGuestFee: Number(p.extra_guest_fee),
  };
}

/** A tax of the listing's jurisdiction (src/modules/properties/taxes: by country, and region where set). */
export type TaxRule =
  | { name: string; kind: 'percent'; rateBps: number }
  | { name: string; kind: 'per_night'; amount: number; perGuest: boolean };

export interface TaxLine {
  name: string;
  kind: TaxRule['kind'];
  /** Percentage taxes: the rate (basis points of the accommodation). */
  rateBps: number | null;
  amount: number;
}

export interface FeeRates {
  /** Guest service fee, basis points of the accommodation, added to the guest's total. */
  guestServiceFeeBps: number;
  /** Host service fee, basis points of the accommodation, deducted from the host's payout. */
  hostServiceFeeBps: number;
}

export interface PriceInput {
  rules: PricingRules;
  /** Every night of the stay with its calendar override (null: none). */
  nights: { date: string; override: number | null }[];
  guests: number;
  fees: FeeRates;
  taxes: readonly TaxRule[];
}

export interface PriceBreakdown {
  currency: string;
  nights: NightPrice[];
  nightCount: number;
  /** The nights, before any discount. */
  nightsSubtotal: number;
  /** The length-of-stay discount applied (0, the weekly or the monthly one). */
  discountPct: number;
  /** Taken off the nights (≥ 0). */
  discount: number;
  /** Guests above the included number × fee × nights. */
  extraGuestFees: number;
  cleaningFee: number;
  /** What the stay itself costs: nights − discount + extra guests + cleaning. Fees and taxes are on this. */
  accommodation: number;
  /** Guest service fee (added to the total). */
  serviceFee: number;
  /** Host service fee (taken from the host's payout). */
  hostFee: number;
  /** Every tax, by name, in the order of the jurisdiction's table. */
  taxLines: TaxLine[];
  taxes: number;
  /** What the guest pays: accommodation + service fee + taxes. */
  total: number;
  /** What the host earns: accommodation − host fee. */
  hostPayout: number;
}

/** amount × bps / 10 000, rounded half up, in integers (amount, bps ≥ 0). */
export function applyBps(amount: number, bps: number): number {
  return Math.floor((amount * bps + 5000) / 10_000);
}

/** amount × pct / 100, rounded half up, in integers. */
export function applyPct(amount: number, pct: number): number {
  return Math.floor((amount * pct + 50) / 100);
}

const WEEK = 7;
const MONTH = 28;

/** Friday and Saturday nights (the night's date is the evening's: a Friday night is dated Friday). */
export function isWeekendNight(date: string): boolean {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 5 || day === 6;
}

/** A night's price: the calendar override if set (it has priority), else the weekend or nightly price. */
export function nightPrice(rules: PricingRules, date: string, override: number | null): number {
  if (override !== null) return override;
  return isWeekendNight(date) && rules.weekendPrice !== null ? rules.weekendPrice : rules.nightlyPrice;
}

/** The length-of-stay discount for this many nights: monthly from 28, weekly from 7 (the larger applies). */
export function discountPctFor(rules: PricingRules, nightCount: number): number {
  if (nightCount >= MONTH) return Math.max(rules.monthlyDiscountPct, rules.weeklyDiscountPct);
  if (nightCount >= WEEK) return rules.weeklyDiscountPct;
  return 0;
}

/**
 * Everything after the nights are priced: discount, extra guests, cleaning, both fees, taxes and the
 * totals. Search prices a stay from its nights' subtotal (summed in SQL) through this same function.
 *
 * Rounding (integer minor units, every step rounded half up, each on its own):
 *  1. discount = nightsSubtotal × pct / 100;
 *  2. accommodation = nightsSubtotal − discount + extra guests × fee × nights + cleaning fee;
 *  3. guest fee, host fee and each percentage tax = accommodation × bps / 10 000, each rounded alone;
 *     a per-night tax = amount × nights (× guests when per guest);
 *  4. total = accommodation + guest fee + Σ taxes; the host's payout = accommodation − host fee.
 * So the parts always sum to the total exactly, and nothing is negative.
 */
export function priceFromSubtotal(input: {
  rules: PricingRules;
  nightsSubtotal: number;
  nightCount: number;
  guests: number;
  fees: FeeRates;
  taxes: readonly TaxRule[];
}): Omit<PriceBreakdown, 'nights'> {
  const { rules, nightsSubtotal, nightCount: n } = input;
  const discountPct = discountPctFor(rules, n);
  const discount = applyPct(nightsSubtotal, discountPct);
  const extraGuests = Math.max(0, input.guests - rules.guestsIncluded);
  const extraGuestFees = extraGuests * rules.extraGuestFee * n;
  const accommodation = nightsSubtotal - discount + extraGuestFees + rules.cleaningFee;
  const serviceFee = applyBps(accommodation, input.fees.guestServiceFeeBps);
  const hostFee = applyBps(accommodation, input.fees.hostServiceFeeBps);
  const taxLines: TaxLine[] = input.taxes.map((t) =>
    t.kind === 'percent'
      ? { name: t.name, kind: t.kind, rateBps: t.rateBps, amount: applyBps(accommodation, t.rateBps) }
      : {
          name: t.name,
          kind: t.kind,
          rateBps: null,
          amount: t.amount * n * (t.perGuest ? Math.max(1, input.guests) : 1),
        },
  );
  const taxes = taxLines.reduce((sum, t) => sum + t.amount, 0);
  return {
    currency: rules.currency,
    nightCount: n,
    nightsSubtotal,
    discountPct,
    discount,
    extraGuestFees,
    cleaningFee: rules.cleaningFee,
    accommodation,
    serviceFee,
    hostFee,
    taxLines,
    taxes,
    total: accommodation + serviceFee + taxes,
    hostPayout: accommodation - hostFee,
  };
}

/** The one pricing function: a stay's nights (with their overrides) to every line of its price. */
export function priceStay(input: PriceInput): PriceBreakdown {
  const nights = input.nights.map((n) => ({
    date: n.date,
    price: nightPrice(input.rules, n.date, n.override),
  }));
  const nightsSubtotal = nights.reduce((sum, n) => sum + n.price, 0);
  return {
    ...priceFromSubtotal({ ...input, nightsSubtotal, nightCount: nights.length }),
    nights,
  };
}

/** Weekend (Friday, Saturday) nights in the half-open stay [checkIn, checkOut), without expanding it. */
export function weekendNightsIn(checkIn: string, checkOut: string): number {
  const n = nightCount(checkIn, checkOut);
  if (n <= 0) return 0;
  const first = new Date(`${checkIn}T00:00:00Z`).getUTCDay();
  let count = Math.floor(n / 7) * 2;
  for (let i = 0; i < n % 7; i++) {
    const day = (first + i) % 7;
    if (day === 5 || day === 6) count++;
  }
  return count;
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
