import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing, setCalendar } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';
import { newId } from '../../platform/crypto.js';

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
      guests: 1,
      nightsSubtotal: 21_000,
      discountPct: 0,
      discount: 0,
      extraGuestFees: 0,
      cleaningFee: 1_000,
      serviceFee: 2_200,
      taxLines: [],
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

describe('cover photos', () => {
  it("carries each result's cover photo, read for the whole page in one query", async () => {
    const photo = (
      propertyId: string,
      position: number,
      isCover: boolean,
      caption: string | null = null,
    ) => ({
      id: newId(),
      property_id: propertyId,
      storage_key: `${String(position).repeat(64).slice(0, 64)}.png`,
      content_type: 'image/png',
      bytes: 100,
      position,
      is_cover: isCover,
      caption,
    });
    const cheap = photo(ids['porto_cheap']!, 0, true, 'The river');
    const bigFirst = photo(ids['porto_big']!, 0, false);
    const bigCover = photo(ids['porto_big']!, 1, true, 'The pool');
    const bigThird = photo(ids['porto_big']!, 2, false);
    await t.ctx.db.insertInto('property_photos').values([cheap, bigFirst, bigCover, bigThird]).execute();
    // The cache holds pages from before the photos (fixtures bypass the service): a fresh version.
    await t.ctx.cache.bump('search');
    const cover = (p: typeof cheap) => ({
      id: p.id,
      url: `/media/${p.storage_key}`,
      contentType: 'image/png',
      caption: p.caption,
    });
    const before = t.database.stats.queries;
    const page = await search({ country: 'PT', sort: 'price_asc' });
    const pageQueries = t.database.stats.queries - before;
    const byName = Object.fromEntries(page.items.map((i) => [names([i])[0], i]));
    expect(Object.keys(byName).sort()).toEqual(['lisbon_loft', 'porto_big', 'porto_blocked', 'porto_cheap']);
    expect(byName['porto_cheap']).toMatchObject({ coverPhoto: cover(cheap) });
    // The photo marked as cover wins over the first one by position.
    expect(byName['porto_big']).toMatchObject({ coverPhoto: cover(bigCover) });
    expect(byName['lisbon_loft']).toMatchObject({ coverPhoto: null });
    // One query for the page, one for its covers, whatever the page holds.
    const again = t.database.stats.queries;
    const single = await search({ country: 'PT', sort: 'price_asc', maxPrice: 6_000 });
    expect(single.items).toHaveLength(1);
    expect(t.database.stats.queries - again).toBe(pageQueries);
    expect(pageQueries).toBe(2);
    // A page without any result asks nothing more.
    const none = t.database.stats.queries;
    expect((await search({ country: 'PT', minPrice: 99_000_000 })).items).toEqual([]);
    expect(t.database.stats.queries - none).toBe(1);

    // The host picks another cover: search shows it (the cached pages are stale then).
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/properties/${ids['porto_big']}/photos/${bigThird.id}/cover`,
      headers: host.auth,
    });
    expect(res.statusCode, res.body).toBe(200);
    const after = await search({ country: 'PT', sort: 'price_asc' });
    expect(after.items.find((i) => i.id === ids['porto_big'])).toMatchObject({ coverPhoto: cover(bigThird) });
    await t.ctx.db
      .deleteFrom('property_photos')
      .where('id', 'in', [cheap.id, bigFirst.id, bigCover.id, bigThird.id])
      .execute();
    await t.ctx.cache.bump('search');
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

describe('geo search', () => {
  // A cluster of listings far from every other fixture, with repeated prices (ties on price) and pairs
  // mirrored across the centre's meridian (exactly equal distances: ties on distance, broken by id).
  const CENTRE = { lat: 10, lng: 20 };
  const EARTH_KM = 6371.0088;
  const rad = (d: number) => (d * Math.PI) / 180;
  /** The search's own great-circle formula, and its sort key (rounded to 0.1 m). */
  const haversine = (lat: number, lng: number) =>
    EARTH_KM *
    2 *
    Math.asin(
      Math.sqrt(
        Math.sin(rad(lat - CENTRE.lat) / 2) ** 2 +
          Math.cos(rad(CENTRE.lat)) * Math.cos(rad(lat)) * Math.sin(rad(lng - CENTRE.lng) / 2) ** 2,
      ),
    );
  const distanceKey = (lat: number, lng: number) => Math.round(haversine(lat, lng) * 1e4) / 1e4;
  let geoHost: TestUser;
  const spots: { id: string; lat: number; lng: number; price: number }[] = [];

  beforeAll(async () => {
    geoHost = await createUser(t, 'host');
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 40; i++) {
      const lat = Math.round((CENTRE.lat + (rand() - 0.5) * 0.1) * 1e6) / 1e6;
      const dLng = Math.round((rand() - 0.5) * 0.1 * 1e6) / 1e6;
      const price = 4_000 + Math.floor(rand() * 6) * 1_000;
      // Every 4th listing has a twin mirrored across the meridian: the same distance from the centre.
      for (const lng of i % 4 === 0 ? [CENTRE.lng + dLng, CENTRE.lng - dLng] : [CENTRE.lng + dLng]) {
        const { id } = await createListing(t, geoHost, {
          city: 'Geotown',
          latitude: lat,
          longitude: lng,
          nightlyPrice: price,
        });
        spots.push({ id, lat, lng, price });
      }
    }
  });

  /** Every page of a search, following the cursors. */
  async function allPages(query: Record<string, string | number>, limit: number) {
    const items: { id: string; distanceKm?: number; nightlyPrice?: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await search({ ...query, limit, ...(cursor ? { cursor } : {}) });
      items.push(...(page.items as typeof items));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    return { items, pages };
  }

  /** Every listed listing in the database (other tests' too), with its position. */
  async function everyListed() {
    const rows = await t.ctx.db
      .selectFrom('properties')
      .select(['id', 'latitude', 'longitude', 'nightly_price'])
      .where('status', '=', 'listed')
      .where('deleted_at', 'is', null)
      .execute();
    return rows.map((r) => ({ id: r.id, lat: r.latitude, lng: r.longitude, price: Number(r.nightly_price) }));
  }
  const byKeyThenId =
    <T extends { id: string }>(key: (x: T) => number, dir: 1 | -1) =>
    (a: T, b: T) =>
      (key(a) - key(b)) * dir || (a.id < b.id ? -dir : a.id > b.id ? dir : 0);

  it('orders by exact distance, ties by id, across pages, with no gaps or repeats', async () => {
    expect(spots.length).toBe(50);
    const expected = (await everyListed())
      .sort(byKeyThenId((x) => distanceKey(x.lat, x.lng), 1))
      .map((x) => x.id);
    // Mirrored twins really tie on the key.
    const keys = spots.map((s) => distanceKey(s.lat, s.lng));
    expect(new Set(keys).size).toBeLessThan(keys.length);
    const { items, pages } = await allPages({ lat: CENTRE.lat, lng: CENTRE.lng, sort: 'distance' }, 7);
    expect(pages).toBeGreaterThan(3);
    expect(items.map((i) => i.id)).toEqual(expected);
    for (const item of items.slice(0, spots.length)) {
      const s = spots.find((x) => x.id === item.id)!;
      expect(item.distanceKm).toBe(Math.round(haversine(s.lat, s.lng) * 1000) / 1000);
    }
  });

  it('keeps exactly the listings within the radius, nearest first', async () => {
    const sizes: number[] = [];
    for (const radiusKm of [1, 2.5, 4]) {
      const expected = spots
        .filter((s) => haversine(s.lat, s.lng) <= radiusKm)
        .sort(byKeyThenId((x) => distanceKey(x.lat, x.lng), 1))
        .map((s) => s.id);
      sizes.push(expected.length);
      const { items } = await allPages({ lat: CENTRE.lat, lng: CENTRE.lng, radiusKm, sort: 'distance' }, 4);
      expect(items.map((i) => i.id)).toEqual(expected);
      // The same set under another order: the radius filter does not depend on the sort.
      const byPrice = await allPages({ lat: CENTRE.lat, lng: CENTRE.lng, radiusKm, sort: 'price_asc' }, 4);
      expect(byPrice.items.map((i) => i.id).sort()).toEqual([...expected].sort());
    }
    expect(sizes[1]).toBeGreaterThan(4);
    expect(sizes[2]).toBeLessThan(spots.length);
  });

  it('pages a map box with a price range, by price either way, like a brute-force sort', async () => {
    const box = { minLng: 19.97, minLat: 9.96, maxLng: 20.04, maxLat: 10.03 };
    const inBox = (await everyListed()).filter(
      (s) =>
        s.lat >= box.minLat &&
        s.lat <= box.maxLat &&
        s.lng >= box.minLng &&
        s.lng <= box.maxLng &&
        s.price >= 5_000 &&
        s.price <= 8_000,
    );
    expect(inBox.length).toBeGreaterThan(10);
    const bbox = `${box.minLng},${box.minLat},${box.maxLng},${box.maxLat}`;
    for (const [sort, dir] of [
      ['price_asc', 1],
      ['price_desc', -1],
    ] as const) {
      const expected = [...inBox].sort(byKeyThenId((x) => x.price, dir)).map((s) => s.id);
      for (const limit of [3, 5, 100]) {
        const { items } = await allPages({ bbox, minPrice: 5_000, maxPrice: 8_000, sort }, limit);
        expect(items.map((i) => i.id)).toEqual(expected);
      }
    }
    // A box with nothing in it, and one holding a single listing.
    expect((await search({ bbox: '21,11,21.01,11.01' })).items).toEqual([]);
    const one = spots[0]!;
    const tiny = await search({ bbox: `${one.lng},${one.lat},${one.lng},${one.lat}`, sort: 'price_asc' });
    expect(tiny.items.map((i) => i.id)).toEqual([one.id]);
  });

  it('finds a listing at its new place once it is moved', async () => {
    const moved = spots[1]!;
    const near = (lat: number, lng: number) =>
      search({ lat, lng, radiusKm: 0.2, sort: 'distance' }).then((r) => r.items.map((i) => i.id));
    expect(await near(moved.lat, moved.lng)).toContain(moved.id);
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/properties/${moved.id}`,
      headers: geoHost.auth,
      payload: { latitude: -20.5, longitude: 57.5 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await near(moved.lat, moved.lng)).not.toContain(moved.id);
    const there = await near(-20.5, 57.5);
    expect(there).toEqual([moved.id]);
    const boxed = await search({ bbox: '57.4,-20.6,57.6,-20.4', sort: 'price_desc' });
    expect(boxed.items.map((i) => i.id)).toEqual([moved.id]);
    const { items } = await allPages({ lat: -20.5, lng: 57.5, sort: 'distance' }, 10);
    expect(items[0]).toMatchObject({ id: moved.id, distanceKm: 0 });
  });
});
