/**
 * The pricing engine, pure: each rule at its boundaries (6/7/27/28 nights, guests at N and N+1, a
 * weekend across a month end, overrides over weekend prices), the rounding rules, and properties that
 * hold for any listing, stay and jurisdiction (fast-check): nothing is negative, the parts sum to the
 * total, a discount never raises a price, the host's payout plus both fees plus taxes is the total.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyBps,
  applyPct,
  isWeekendNight,
  nightsOf,
  type PriceInput,
  type PricingRules,
  priceFromSubtotal,
  priceStay,
  type TaxRule,
  weekendNightsIn,
} from './pricing.js';

const rules = (over: Partial<PricingRules> = {}): PricingRules => ({
  currency: 'EUR',
  nightlyPrice: 10_000,
  weekendPrice: null,
  cleaningFee: 0,
  weeklyDiscountPct: 0,
  monthlyDiscountPct: 0,
  guestsIncluded: 1,
  extraGuestFee: 0,
  ...over,
});
const noFees = { guestServiceFeeBps: 0, hostServiceFeeBps: 0 };
const addDays = (d: string, n: number) =>
  new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

function price(r: PricingRules, checkIn: string, nights: number, extra: Partial<PriceInput> = {}) {
  return priceStay({
    rules: r,
    nights: nightsOf(checkIn, addDays(checkIn, nights)).map((date) => ({ date, override: null })),
    guests: 1,
    fees: noFees,
    taxes: [],
    ...extra,
  });
}

describe('length-of-stay discounts', () => {
  const r = rules({ weeklyDiscountPct: 10, monthlyDiscountPct: 25 });
  it.each([
    [6, 0],
    [7, 10],
    [27, 10],
    [28, 25],
  ])('%i nights: %i %% off the nights', (nights, pct) => {
    const p = price(r, '2031-03-03', nights);
    expect(p.discountPct).toBe(pct);
    expect(p.discount).toBe((nights * 10_000 * pct) / 100);
    expect(p.total).toBe(nights * 10_000 - p.discount);
  });

  it('the larger of the two applies from 28 nights; neither takes the cleaning fee or extra guests', () => {
    const p = price(
      rules({ weeklyDiscountPct: 30, monthlyDiscountPct: 20, cleaningFee: 5_000, extraGuestFee: 1_000 }),
      '2031-03-03',
      28,
      {
        guests: 2,
      },
    );
    expect(p.discountPct).toBe(30);
    expect(p.discount).toBe(84_000);
    expect(p.accommodation).toBe(280_000 - 84_000 + 28 * 1_000 + 5_000);
  });

  it('rounds half up: 10 % of 3 333 is 333, 15 % of 3 333 is 500 (499.95)', () => {
    expect(applyPct(3_333, 10)).toBe(333);
    expect(applyPct(3_333, 15)).toBe(500);
    expect(applyBps(1_005, 5_000)).toBe(503); // 502.5 → 503
  });
});

describe('extra guests', () => {
  const r = rules({ guestsIncluded: 2, extraGuestFee: 1_500 });
  it.each([
    [1, 0],
    [2, 0],
    [3, 1_500 * 3],
    [5, 3 * 1_500 * 3],
  ])('%i guests over 3 nights: %i', (guests, fees) => {
    const p = price(r, '2031-03-03', 3, { guests });
    expect(p.extraGuestFees).toBe(fees);
    expect(p.total).toBe(30_000 + fees);
  });
});

describe('weekend price', () => {
  it('applies to Friday and Saturday nights only, across a month end; a calendar override wins', () => {
    // Thu 30 Oct 2031 … Mon 3 Nov 2031: Fri 31 Oct and Sat 1 Nov are the weekend.
    expect(['2031-10-30', '2031-10-31', '2031-11-01', '2031-11-02'].map(isWeekendNight)).toEqual([
      false,
      true,
      true,
      false,
    ]);
    const r = rules({ weekendPrice: 15_000 });
    const p = price(r, '2031-10-30', 4);
    expect(p.nights.map((n) => n.price)).toEqual([10_000, 15_000, 15_000, 10_000]);
    expect(p.nightsSubtotal).toBe(50_000);
    const overridden = priceStay({
      rules: r,
      nights: [
        { date: '2031-10-31', override: 9_000 },
        { date: '2031-11-01', override: null },
      ],
      guests: 1,
      fees: noFees,
      taxes: [],
    });
    expect(overridden.nights.map((n) => n.price)).toEqual([9_000, 15_000]);
  });

  it('counts weekend nights of any range without expanding it, as a night-by-night walk does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 400 }), (offset, n) => {
        const checkIn = addDays('2030-01-01', offset);
        const walked = nightsOf(checkIn, addDays(checkIn, n)).filter(isWeekendNight).length;
        expect(weekendNightsIn(checkIn, addDays(checkIn, n))).toBe(walked);
      }),
    );
  });
});

describe('fees and taxes', () => {
  it('lists each tax by name; percentage taxes on the accommodation, per-night ones per night (and guest)', () => {
    const taxes: TaxRule[] = [
      { name: 'IVA', kind: 'percent', rateBps: 1_000 },
      { name: 'Tourist tax', kind: 'per_night', amount: 250, perGuest: true },
      { name: 'City levy', kind: 'per_night', amount: 100, perGuest: false },
    ];
    const p = price(rules({ cleaningFee: 3_333 }), '2031-03-03', 3, {
      guests: 2,
      taxes,
      fees: { guestServiceFeeBps: 1_200, hostServiceFeeBps: 300 },
    });
    expect(p.accommodation).toBe(33_333);
    expect(p.taxLines).toEqual([
      { name: 'IVA', kind: 'percent', rateBps: 1_000, amount: 3_333 },
      { name: 'Tourist tax', kind: 'per_night', rateBps: null, amount: 1_500 },
      { name: 'City levy', kind: 'per_night', rateBps: null, amount: 300 },
    ]);
    expect(p.serviceFee).toBe(4_000); // 3 999.96
    expect(p.hostFee).toBe(1_000); // 999.99
    expect(p.total).toBe(33_333 + 4_000 + 3_333 + 1_500 + 300);
    expect(p.hostPayout).toBe(32_333);
  });
});

// ---- Properties over any listing, stay and jurisdiction ----

const money = (max: number) => fc.integer({ min: 0, max });
const arbRules: fc.Arbitrary<PricingRules> = fc.record({
  currency: fc.constantFrom('EUR', 'USD', 'JPY'),
  nightlyPrice: fc.integer({ min: 1, max: 100_000_000 }),
  weekendPrice: fc.option(fc.integer({ min: 1, max: 100_000_000 }), { nil: null }),
  cleaningFee: money(100_000_000),
  weeklyDiscountPct: fc.integer({ min: 0, max: 90 }),
  monthlyDiscountPct: fc.integer({ min: 0, max: 90 }),
  guestsIncluded: fc.integer({ min: 1, max: 50 }),
  extraGuestFee: money(100_000_000),
});
const arbTaxes: fc.Arbitrary<TaxRule[]> = fc.array(
  fc.oneof(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 8 }),
      kind: fc.constant('percent' as const),
      rateBps: fc.integer({ min: 1, max: 5_000 }),
    }),
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 8 }),
      kind: fc.constant('per_night' as const),
      amount: fc.integer({ min: 1, max: 100_000 }),
      perGuest: fc.boolean(),
    }),
  ),
  { maxLength: 4 },
);
const arbStay = fc.record({
  offset: fc.integer({ min: 0, max: 3_650 }),
  nights: fc.integer({ min: 1, max: 365 }),
  guests: fc.integer({ min: 1, max: 50 }),
  overrides: fc.array(fc.option(fc.integer({ min: 1, max: 100_000_000 }), { nil: null }), { maxLength: 365 }),
});
type StayArb = typeof arbStay extends fc.Arbitrary<infer T> ? T : never;
const arbFees = fc.record({
  guestServiceFeeBps: fc.integer({ min: 0, max: 5_000 }),
  hostServiceFeeBps: fc.integer({ min: 0, max: 5_000 }),
});

function inputOf(r: PricingRules, s: StayArb, fees: PriceInput['fees'], taxes: TaxRule[]): PriceInput {
  const checkIn = addDays('2030-01-01', s.offset);
  return {
    rules: r,
    nights: nightsOf(checkIn, addDays(checkIn, s.nights)).map((date, i) => ({
      date,
      override: s.overrides[i] ?? null,
    })),
    guests: s.guests,
    fees,
    taxes,
  };
}

describe('for any listing, stay and jurisdiction', () => {
  it('every part is a whole, non-negative amount, and the parts sum to the total', () => {
    fc.assert(
      fc.property(arbRules, arbStay, arbFees, arbTaxes, (r, s, fees, taxes) => {
        const p = priceStay(inputOf(r, s, fees, taxes));
        for (const v of [
          p.nightsSubtotal,
          p.discount,
          p.extraGuestFees,
          p.cleaningFee,
          p.serviceFee,
          p.hostFee,
          p.taxes,
          p.total,
          p.hostPayout,
        ]) {
          expect(Number.isSafeInteger(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
        }
        expect(p.nights.reduce((sum, n) => sum + n.price, 0)).toBe(p.nightsSubtotal);
        expect(p.taxLines.reduce((sum, t) => sum + t.amount, 0)).toBe(p.taxes);
        expect(p.nightsSubtotal - p.discount + p.extraGuestFees + p.cleaningFee).toBe(p.accommodation);
        expect(p.accommodation + p.serviceFee + p.taxes).toBe(p.total);
        // Where the guest's money goes: the host, the platform's two fees, the tax office.
        expect(p.hostPayout + p.hostFee + p.serviceFee + p.taxes).toBe(p.total);
      }),
      { numRuns: 300 },
    );
  });

  it('a discount never raises a price: the same stay without its discount costs at least as much', () => {
    fc.assert(
      fc.property(arbRules, arbStay, arbFees, arbTaxes, (r, s, fees, taxes) => {
        const withDiscount = priceStay(inputOf(r, s, fees, taxes));
        const without = priceStay(
          inputOf({ ...r, weeklyDiscountPct: 0, monthlyDiscountPct: 0 }, s, fees, taxes),
        );
        expect(withDiscount.discount).toBeLessThanOrEqual(withDiscount.nightsSubtotal);
        expect(withDiscount.total).toBeLessThanOrEqual(without.total);
        expect(withDiscount.hostPayout).toBeLessThanOrEqual(without.hostPayout);
      }),
      { numRuns: 300 },
    );
  });

  it('search prices from the nights subtotal exactly as a quote prices night by night', () => {
    fc.assert(
      fc.property(arbRules, arbStay, arbFees, arbTaxes, (r, s, fees, taxes) => {
        const input = inputOf(r, s, fees, taxes);
        const quote = priceStay(input);
        const { nights: _, ...fromSubtotal } = quote;
        expect(
          priceFromSubtotal({
            rules: r,
            nightsSubtotal: quote.nightsSubtotal,
            nightCount: s.nights,
            guests: s.guests,
            fees,
            taxes,
          }),
        ).toEqual(fromSubtotal);
      }),
      { numRuns: 200 },
    );
  });
});
