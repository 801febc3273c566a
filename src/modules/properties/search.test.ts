import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing, setCalendar } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';

let t: TestApp;
let host: TestUser;
const ids: Record<string, string> = {};

/** A fixture where the right answer to every filter is known. */
const FIXTURE = {
  porto_cheap: {
    city: 'Porto',
    countryCode: 'PT',
    latitude: 41.1496,
    longitude: -8.611,
    nightlyPrice: 6_000,
    maxGuests: 2,
    propertyType: 'private_room',
    amenities: ['wifi'],
    instantBook: true,
    title: 'Cosy room near the river',
    description: 'Ribeira views',
  },
  porto_big: {
    city: 'Porto',
    countryCode: 'PT',
    latitude: 41.158,
    longitude: -8.629,
    nightlyPrice: 25_000,
    maxGuests: 8,
    propertyType: 'entire_place',
    amenities: ['wifi', 'pool', 'parking'],
    instantBook: false,
    title: 'Family villa with pool',
    description: 'Garden and pool',
  },
  porto_blocked: {
    city: 'porto',
    countryCode: 'PT',
    latitude: 41.145,
    longitude: -8.61,
    nightlyPrice: 9_000,
    maxGuests: 4,
    propertyType: 'entire_place',
    amenities: ['wifi', 'pool'],
    instantBook: true,
    title: 'Pool apartment downtown',
    description: 'Central',
  },
  lisbon_loft: {
    city: 'Lisbon',
    countryCode: 'PT',
    latitude: 38.7223,
    longitude: -9.1393,
    nightlyPrice: 12_000,
    maxGuests: 4,
    propertyType: 'entire_place',
    amenities: ['wifi', 'workspace'],
    instantBook: true,
    title: 'Loft for remote work',
    description: 'Fast wifi and a desk',
  },
  madrid_flat: {
    city: 'Madrid',
    countryCode: 'ES',
    latitude: 40.4168,
    longitude: -3.7038,
    nightlyPrice: 10_000,
    maxGuests: 3,
    propertyType: 'entire_place',
    amenities: ['wifi', 'air_conditioning'],
    instantBook: false,
    title: 'Flat near the Prado',
    description: 'Museums and tapas',
  },
  porto_draft: {
    city: 'Porto',
    countryCode: 'PT',
    latitude: 41.15,
    longitude: -8.62,
    nightlyPrice: 7_000,
    maxGuests: 2,
    propertyType: 'private_room',
    amenities: ['wifi'],
    instantBook: true,
    title: 'Unpublished room',
    description: 'Not yet',
    publish: false,
  },
} as const;

beforeAll(async () => {
  t = await createTestApp({
    now: () => new Date('2030-01-01T00:00:00Z'),
    env: { SERVICE_FEE_BPS: '1000', TAX_BPS: '0' },
  });
  host = await createUser(t, 'host');
  for (const [name, o] of Object.entries(FIXTURE)) {
    ids[name] = (await createListing(t, host, { ...o, amenities: [...o.amenities], cleaningFee: 1_000 })).id;
  }
  // Blocked on one night inside 2030-06-10..13; free otherwise.
  await setCalendar(t, host, ids['porto_blocked']!, { from: '2030-06-11', to: '2030-06-11', blocked: true });
  // A price override inside the stay of the cheap room.
  await setCalendar(t, host, ids['porto_cheap']!, { from: '2030-06-12', to: '2030-06-12', price: 9_000 });
  // Madrid is booked 2030-06-09..11 (overlaps the range); Lisbon is booked right after it (adjacent: stays free).
  const guest = await createUser(t);
  for (const [name, checkIn, checkOut] of [
    ['madrid_flat', '2030-06-09', '2030-06-11'],
    ['lisbon_loft', '2030-06-13', '2030-06-15'],
  ] as const) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: guest.auth,
      payload: { propertyId: ids[name], checkIn, checkOut, guests: 1 },
    });
    expect(res.statusCode).toBe(201);
  }
});
afterAll(() => t.close());

async function search(query: Record<string, string | number | boolean>) {
  const res = await t.app.inject({
    method: 'GET',
    url: '/api/v1/properties',
    query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    items: { id: string; stay?: Record<string, number>; distanceKm?: number }[];
    nextCursor: string | null;
  };
}
const names = (items: { id: string }[]) =>
  items.map((i) => Object.keys(ids).find((k) => ids[k] === i.id)).sort();

describe('search filters', () => {
  it('returns exactly the listings that match each filter', async () => {
    const all = ['lisbon_loft', 'madrid_flat', 'porto_big', 'porto_blocked', 'porto_cheap'];
    expect(names((await search({})).items)).toEqual(all);
    expect(names((await search({ city: 'PORTO' })).items)).toEqual([
      'porto_big',
      'porto_blocked',
      'porto_cheap',
    ]);
    expect(names((await search({ country: 'es' })).items)).toEqual(['madrid_flat']);
    expect(names((await search({ guests: 4 })).items)).toEqual(['lisbon_loft', 'porto_big', 'porto_blocked']);
    expect(names((await search({ minPrice: 9_000, maxPrice: 12_000 })).items)).toEqual([
      'lisbon_loft',
      'madrid_flat',
      'porto_blocked',
    ]);
    expect(names((await search({ type: 'private_room' })).items)).toEqual(['porto_cheap']);
    expect(names((await search({ amenities: 'wifi,pool' })).items)).toEqual(['porto_big', 'porto_blocked']);
    expect(names((await search({ instantBook: true })).items)).toEqual([
      'lisbon_loft',
      'porto_blocked',
      'porto_cheap',
    ]);
    expect(names((await search({ q: 'pool' })).items)).toEqual(['porto_big', 'porto_blocked']);
    expect(names((await search({ q: 'remote wifi' })).items)).toEqual(['lisbon_loft']);
    // Bounding box around Porto's centre; radius 1.5 km from Ribeira.
    expect(names((await search({ bbox: '-8.65,41.14,-8.60,41.16' })).items)).toEqual([
      'porto_big',
      'porto_blocked',
      'porto_cheap',
    ]);
    expect(names((await search({ lat: 41.1496, lng: -8.611, radiusKm: 1.5 })).items)).toEqual([
      'porto_blocked',
      'porto_cheap',
    ]);
  });

  it('keeps only listings free for every night of the stay, with the stay price', async () => {
    const res = await search({ checkIn: '2030-06-10', checkOut: '2030-06-13', city: 'porto' });
    expect(names(res.items)).toEqual(['porto_big', 'porto_cheap']);
    const cheap = res.items.find((i) => i.id === ids['porto_cheap'])!;
    // 6 000 + 6 000 + 9 000 (override) + 1 000 cleaning = 22 000; 10% fee = 2 200.
    expect(cheap.stay).toEqual({
      checkIn: '2030-06-10',
      checkOut: '2030-06-13',
      nights: 3,
      nightsSubtotal: 21_000,
      cleaningFee: 1_000,
      serviceFee: 2_200,
      taxes: 0,
      total: 24_200,
    });
    const everywhere = await search({ checkIn: '2030-06-10', checkOut: '2030-06-13' });
    // Madrid overlaps a booking; Lisbon's booking starts on the check-out day, so it is free.
    expect(names(everywhere.items)).toEqual(['lisbon_loft', 'porto_big', 'porto_cheap']);
  });

  it('sorts by price, distance and relevance', async () => {
    const byPrice = await search({ sort: 'price_asc' });
    expect(byPrice.items.map((i) => names([i])[0])).toEqual([
      'porto_cheap',
      'porto_blocked',
      'madrid_flat',
      'lisbon_loft',
      'porto_big',
    ]);
    const byDistance = await search({ sort: 'distance', lat: 41.1496, lng: -8.611 });
    const d = byDistance.items.map((i) => i.distanceKm!);
    expect(d).toEqual([...d].sort((a, b) => a - b));
    expect(names([byDistance.items[0]!])).toEqual(['porto_cheap']);
    // "pool" is in the villa's title and description, but only in the apartment's title.
    const relevance = await search({ q: 'pool', sort: 'relevance' });
    expect(relevance.items.map((i) => names([i])[0])).toEqual(['porto_big', 'porto_blocked']);
  });

  it('rejects contradictory or malformed filters', async () => {
    for (const [query, field] of [
      [{ checkIn: '2030-06-10' }, 'checkOut'],
      [{ checkIn: '2030-06-10', checkOut: '2030-06-09' }, 'checkOut'],
      [{ bbox: '1,2,3' }, 'bbox'],
      [{ bbox: '10,50,5,40' }, 'bbox'],
      [{ sort: 'distance' }, 'sort'],
      [{ radiusKm: '5' }, 'lat'],
      [{ amenities: 'wifi,moat' }, 'amenities.1'],
      [{ minPrice: '500', maxPrice: '100' }, 'maxPrice'],
      [{ cursor: 'garbage' }, 'cursor'],
    ] as const) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/properties',
        query: query as Record<string, string>,
      });
      const body = expectProblem(res, 400);
      expect(body.errors?.map((e) => e.field)).toContain(field);
    }
  });
});

describe('keyset pagination', () => {
  it('pages over 3 pages without repeats or gaps while rows are inserted between pages', async () => {
    const pager = await createUser(t, 'host');
    const before: string[] = [];
    for (let i = 0; i < 9; i++)
      before.push(
        (await createListing(t, pager, { city: 'Pagetown', nightlyPrice: 5_000 + (i % 3) * 1_000 })).id,
      );
    for (const sort of ['newest', 'price_asc', 'price_desc']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await search({ city: 'pagetown', sort, limit: 3, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
        pages++;
        // Inserted between pages: newer and at every price, so they land before and after the cursor.
        await createListing(t, pager, { city: 'Pagetown', nightlyPrice: 5_000 + (pages % 3) * 1_000 });
      } while (cursor && pages < 10);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
      expect(pages).toBeGreaterThanOrEqual(3);
    }
  });
});
