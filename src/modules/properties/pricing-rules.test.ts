/**
 * The pricing rules end to end, over HTTP: a host sets them through the listings API; a quote, the
 * booking made from it and the search for the same dates and guests agree to the minor unit at each
 * rule's boundaries (6/7/27/28 nights, guests at N and N+1, a weekend across a month end, an override on
 * a weekend night), with taxes by jurisdiction; sorting by price for dates ranks by the stay's total; a
 * search's total equals a quote's for every listing of a fixture; the host's service fee comes out of
 * the host's share in the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertListing } from '../../../test/support/factories.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../../../test/support/test-app.js';
import { newId } from '../../platform/crypto.js';

let t: TestApp;
let host: TestUser;
let guest: TestUser;
const CITY = 'Preçoville';

beforeAll(async () => {
  t = await createTestApp({ env: { SERVICE_FEE_BPS: '1200', HOST_SERVICE_FEE_BPS: '300', TAX_BPS: '500' } });
  host = await createUser(t, 'host');
  guest = await createUser(t, 'guest');
  const tax = (row: {
    country: string;
    region?: string;
    name: string;
    rateBps?: number;
    amount?: number;
    currency?: string;
    perGuest?: boolean;
  }) =>
    t.ctx.db
      .insertInto('tax_rates')
      .values({
        id: newId(),
        country_code: row.country,
        region: row.region ?? '',
        name: row.name,
        kind: row.rateBps !== undefined ? 'percent' : 'per_night',
        rate_bps: row.rateBps ?? null,
        amount: row.amount ?? null,
        currency: row.currency ?? null,
        per_guest: row.perGuest ?? false,
      })
      .execute();
  await tax({ country: 'ES', name: 'IVA', rateBps: 1000 });
  await tax({
    country: 'ES',
    region: 'Catalonia',
    name: 'Tourist tax',
    amount: 250,
    currency: 'EUR',
    perGuest: true,
  });
  await tax({ country: 'ES', region: 'Catalonia', name: 'Tourist tax (USD)', amount: 300, currency: 'USD' });
  await tax({ country: 'ES', region: 'Madrid', name: 'Madrid levy', rateBps: 200 });
  await tax({ country: 'FR', name: 'Taxe de séjour', amount: 180, currency: 'EUR' });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

interface Rules {
  weekendPrice?: number | null;
  weeklyDiscountPct?: number;
  monthlyDiscountPct?: number;
  guestsIncluded?: number;
  extraGuestFee?: number;
  address?: { street: string; city: string; region: string | null; countryCode: string };
  currency?: string;
}

/** A listed listing whose pricing rules the host set through `PATCH /properties/:id`. */
async function listing(nightlyPrice: number, cleaningFee: number, rules: Rules): Promise<string> {
  const { id } = await insertListing(t, host.id, { nightlyPrice, cleaningFee, city: CITY, maxGuests: 6 });
  if (Object.keys(rules).length === 0) return id;
  const res = await t.app.inject({
    method: 'PATCH',
    url: `/api/v1/properties/${id}`,
    headers: host.auth,
    payload: rules,
  });
  expect(res.statusCode, res.body).toBe(200);
  return id;
}

const stayOf = (propertyId: string, checkIn: string, checkOut: string, guests: number) => ({
  propertyId,
  checkIn,
  checkOut,
  guests,
});

async function quote(stay: ReturnType<typeof stayOf>) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/bookings/quote', payload: stay });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function searchStay(
  checkIn: string,
  checkOut: string,
  guests: number,
  extra: Record<string, string> = {},
) {
  const res = await t.app.inject({
    method: 'GET',
    url: '/api/v1/properties',
    query: { city: CITY, checkIn, checkOut, guests: String(guests), limit: '100', ...extra },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    items: { id: string; stay: Record<string, unknown> & { total: number } }[];
    nextCursor: string | null;
  };
}

const PRICE_KEYS = [
  'currency',
  'nights',
  'nightsSubtotal',
  'discountPct',
  'discount',
  'extraGuestFees',
  'cleaningFee',
  'serviceFee',
  'taxLines',
  'taxes',
  'total',
] as const;
const priceOf = (o: Record<string, unknown>) =>
  Object.fromEntries(PRICE_KEYS.filter((k) => k in o).map((k) => [k, o[k]]));

/** Quote, search, then book the same stay: the three agree. Returns the quote. */
async function agree(stay: ReturnType<typeof stayOf>) {
  const q = await quote(stay);
  const found = (await searchStay(stay.checkIn, stay.checkOut, stay.guests)).items.find(
    (i) => i.id === stay.propertyId,
  );
  expect(found, 'the listing is found for these dates').toBeDefined();
  const { currency: _c, ...quoted } = priceOf(q);
  expect(priceOf(found!.stay)).toEqual(quoted);
  const booked = await t.app.inject({
    method: 'POST',
    url: '/api/v1/bookings',
    headers: guest.auth,
    payload: stay,
  });
  expect(booked.statusCode, booked.body).toBe(201);
  expect(priceOf(booked.json())).toEqual(priceOf(q));
  expect(booked.json().nightly).toEqual(q.nightly);
  lastBookingId = booked.json().id;
  return q;
}
let lastBookingId = '';

describe('each rule at its boundaries: quote = search = booking', () => {
  it('weekly from 7 nights, monthly from 28 (6/7/27/28), on the nights only; the receipt shows the discount', async () => {
    const id = await listing(10_000, 5_000, { weeklyDiscountPct: 10, monthlyDiscountPct: 20 });
    const expectations: [string, string, number, number][] = [
      ['2031-01-05', '2031-01-11', 6, 0],
      ['2031-02-02', '2031-02-09', 7, 10],
      ['2031-03-02', '2031-03-29', 27, 10],
      ['2031-05-04', '2031-06-01', 28, 20],
    ];
    for (const [checkIn, checkOut, nights, pct] of expectations) {
      const q = await agree(stayOf(id, checkIn, checkOut, 1));
      expect(q.nights).toBe(nights);
      expect(q.discountPct).toBe(pct);
      expect(q.discount).toBe((nights * 10_000 * pct) / 100);
      const accommodation = nights * 10_000 - q.discount + 5_000;
      // PT (the factory's country) has no tax rows: the default TAX_BPS (5 %) as one line.
      expect(q.taxLines).toEqual([
        {
          name: 'Taxes',
          kind: 'percent',
          rateBps: 500,
          amount: Math.floor((accommodation * 500 + 5000) / 10_000),
        },
      ]);
      expect(q.serviceFee).toBe(Math.floor((accommodation * 1200 + 5000) / 10_000));
      expect(q.hostFee).toBe(Math.floor((accommodation * 300 + 5000) / 10_000));
      expect(q.hostPayout).toBe(accommodation - q.hostFee);
      expect(q.total).toBe(accommodation + q.serviceFee + q.taxes);
    }
    // The 28-night stay, paid: its receipt takes the discount off as a line of its own.
    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${lastBookingId}/pay`,
      headers: guest.auth,
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(paid.statusCode, paid.body).toBe(200);
    const receipt = await t.app.inject({
      method: 'GET',
      url: `/api/v1/bookings/${lastBookingId}/receipt`,
      headers: guest.auth,
    });
    expect(receipt.statusCode, receipt.body).toBe(200);
    const discount = receipt.json().lines.find((l: { kind: string }) => l.kind === 'discount');
    expect(discount).toMatchObject({ amount: -56_000, description: 'Monthly stay discount (20 %)' });
  });

  it('the extra-guest fee from guest N+1, per night', async () => {
    const id = await listing(8_000, 0, { guestsIncluded: 2, extraGuestFee: 1_500 });
    const atN = await agree(stayOf(id, '2031-01-06', '2031-01-09', 2));
    expect(atN.extraGuestFees).toBe(0);
    const above = await agree(stayOf(id, '2031-02-03', '2031-02-06', 3));
    expect(above.extraGuestFees).toBe(1_500 * 3);
    expect(above.total - atN.total).toBeGreaterThan(0);
  });

  it('the weekend price on Friday and Saturday nights across a month end; an override wins', async () => {
    const id = await listing(10_000, 0, { weekendPrice: 16_000 });
    // Saturday 1 Nov 2031 costs 12 000 whatever the weekend price says.
    const cal = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/properties/${id}/calendar`,
      headers: host.auth,
      payload: { from: '2031-11-01', to: '2031-11-01', price: 12_000 },
    });
    expect(cal.statusCode, cal.body).toBe(200);
    expect(cal.json().days).toEqual([{ date: '2031-11-01', state: 'available', price: 12_000 }]);
    const q = await agree(stayOf(id, '2031-10-30', '2031-11-03', 1));
    expect(q.nightly).toEqual([
      { date: '2031-10-30', price: 10_000 },
      { date: '2031-10-31', price: 16_000 },
      { date: '2031-11-01', price: 12_000 },
      { date: '2031-11-02', price: 10_000 },
    ]);
    expect(q.nightsSubtotal).toBe(48_000);
    // The calendar shows the weekend price on a weekend night without an override.
    const days = await t.app.inject({
      method: 'GET',
      url: `/api/v1/properties/${id}/calendar?from=2031-11-07&to=2031-11-09`,
    });
    expect(days.json().days.map((d: { price: number }) => d.price)).toEqual([16_000, 16_000]);
  });

  it("taxes by the listing's jurisdiction: the country's rates, its region's, in its currency", async () => {
    const catalonia = { street: '1 Carrer Gran', city: CITY, region: 'catalonia ', countryCode: 'ES' };
    const id = await listing(10_000, 2_000, { address: catalonia });
    const q = await agree(stayOf(id, '2031-01-07', '2031-01-10', 2));
    // 30 000 + 2 000 = 32 000: IVA 10 % = 3 200; tourist tax 250 × 3 nights × 2 guests = 1 500. The USD
    // row (another currency) and Madrid's (another region) do not apply.
    expect(q.taxLines).toEqual([
      { name: 'IVA', kind: 'percent', rateBps: 1000, amount: 3_200 },
      { name: 'Tourist tax', kind: 'per_night', rateBps: null, amount: 1_500 },
    ]);
    expect(q.taxes).toBe(4_700);
    expect(q.total).toBe(32_000 + 3_840 + 4_700);
    // Paid, its receipt lists each tax by name; the lines sum to the total.
    const bookingId = lastBookingId;
    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${bookingId}/pay`,
      headers: guest.auth,
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(paid.statusCode, paid.body).toBe(200);
    const receipt = await t.app.inject({
      method: 'GET',
      url: `/api/v1/bookings/${bookingId}/receipt`,
      headers: guest.auth,
    });
    expect(receipt.statusCode, receipt.body).toBe(200);
    const lines = receipt.json().lines as {
      kind: string;
      name: string | null;
      amount: number;
      rateBps: number | null;
      basis: number | null;
    }[];
    expect(lines.reduce((sum, l) => sum + l.amount, 0)).toBe(q.total);
    expect(lines.filter((l) => l.kind === 'tax')).toMatchObject([
      { name: 'IVA', amount: 3_200, rateBps: 1000, basis: 32_000 },
      { name: 'Tourist tax', amount: 1_500, rateBps: null, basis: null },
    ]);
  });
});

describe('search and sorting use the same engine', () => {
  it("a search's total equals a quote's for every listing of a fixture, and price order is by that total", async () => {
    const fixture = [
      await listing(9_000, 0, { weeklyDiscountPct: 30, guestsIncluded: 1, extraGuestFee: 2_000 }),
      await listing(11_000, 1_000, { weekendPrice: 20_000 }),
      await listing(7_000, 9_000, {
        address: { street: '2 Rue', city: CITY, region: null, countryCode: 'FR' },
        monthlyDiscountPct: 40,
      }),
      await listing(10_500, 500, {
        address: { street: '3 Calle', city: CITY, region: 'Madrid', countryCode: 'ES' },
      }),
      await listing(1_200_000, 0, { currency: 'JPY', guestsIncluded: 4 }),
    ];
    for (const [checkIn, checkOut, guests] of [
      ['2032-03-05', '2032-03-12', 2],
      ['2032-04-01', '2032-04-03', 1],
      ['2032-06-01', '2032-06-29', 3],
    ] as const) {
      const found = await searchStay(checkIn, checkOut, guests);
      const totals = new Map(found.items.map((i) => [i.id, i.stay.total]));
      for (const id of fixture) {
        const q = await quote(stayOf(id, checkIn, checkOut, guests));
        const item = found.items.find((i) => i.id === id);
        expect(item, `listing ${id} found`).toBeDefined();
        const { currency: _c, ...quoted } = priceOf(q);
        expect(priceOf(item!.stay)).toEqual(quoted);
      }
      // Cheapest total first, by id among equals; the reverse for price_desc; pages keep the order.
      const byTotal = [...totals.entries()]
        .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
        .map(([id]) => id);
      const asc: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await searchStay(checkIn, checkOut, guests, {
          sort: 'price_asc',
          limit: '2',
          ...(cursor ? { cursor } : {}),
        });
        asc.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(asc).toEqual(byTotal);
      const desc = (await searchStay(checkIn, checkOut, guests, { sort: 'price_desc' })).items.map(
        (i) => i.id,
      );
      expect(desc).toEqual([...byTotal].reverse());
    }
  });
});

describe("the host's service fee", () => {
  it('comes out of the host share: the ledger credits the platform with both fees', async () => {
    const id = await listing(10_000, 0, {});
    const booked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: guest.auth,
      payload: stayOf(id, '2033-01-03', '2033-01-05', 1),
    });
    expect(booked.statusCode, booked.body).toBe(201);
    const b = booked.json();
    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${b.id}/pay`,
      headers: guest.auth,
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(paid.statusCode, paid.body).toBe(200);
    const payments = await t.ctx.db
      .selectFrom('payments')
      .select('id')
      .where('booking_id', '=', b.id)
      .execute();
    expect(payments).toHaveLength(1);
    const entries = await t.ctx.db
      .selectFrom('ledger_entries as e')
      .innerJoin('ledger_transactions as x', 'x.id', 'e.transaction_id')
      .select(['e.account', 'e.amount'])
      .where('x.kind', '=', 'guest_charge')
      .where('x.reference_id', '=', payments[0]!.id)
      .execute();
    const on = (account: string) =>
      entries.filter((e) => e.account === account).reduce((sum, e) => sum + Number(e.amount), 0);
    // 20 000 accommodation: guest fee 2 400, host fee 600, the default tax (5 %) 1 000.
    expect(b).toMatchObject({ serviceFee: 2_400, taxes: 1_000, total: 23_400 });
    expect(on('provider_clearing')).toBe(23_400);
    expect(on(`host_payable:${host.id}`)).toBe(-19_400);
    expect(on('platform_revenue')).toBe(-3_000);
    expect(on('taxes_payable')).toBe(-1_000);
    const row = await t.ctx.db
      .selectFrom('bookings')
      .selectAll()
      .where('id', '=', b.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ host_fee: 600, host_payout: 19_400 });
  });
});
