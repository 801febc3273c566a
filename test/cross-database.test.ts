/**
 * One fixture loaded into PostgreSQL, PGlite and MySQL/MariaDB: every search and every quote must give
 * the same answer on each. Runs in every suite mode (it needs all three databases).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateListings } from '../src/modules/properties/generate.js';
import { upsertCalendar } from '../src/modules/properties/properties.repository.js';
import { createTestApp, createUser, type TestApp } from './support/test-app.js';
import type { TestDbKind } from './support/test-db.js';

const ENGINES: TestDbKind[] = ['postgres', 'pglite', 'mysql'];
const apps = new Map<TestDbKind, TestApp>();

/** The same ids in every database: UUID-shaped, ordered like the UUIDv7s they stand in for. */
function sequentialIds() {
  let n = 0;
  return () => `01900000-0000-7000-8000-${(++n).toString(16).padStart(12, '0')}`;
}

const STAYS: [string, string][] = [
  ['2030-06-10', '2030-06-13'],
  ['2030-06-12', '2030-06-16'],
  ['2030-06-20', '2030-06-22'],
];

/** What each engine answered, in fixture order: booking attempts must agree too. */
const bookingOutcomes = new Map<TestDbKind, number[]>();

async function load(engine: TestDbKind): Promise<TestApp> {
  const t = await createTestApp({
    engine,
    now: () => new Date('2030-01-01T00:00:00Z'),
    env: { SERVICE_FEE_BPS: '1200', TAX_BPS: '700' },
  });
  await generateListings(t.ctx.db, { listings: 400, seed: 11, hosts: 8, newId: sequentialIds() });
  const listings = await t.ctx.db
    .selectFrom('properties')
    .select(['id', 'max_guests'])
    .where('status', '=', 'listed')
    .orderBy('id')
    .execute();
  // Calendar blocks and price overrides on every 5th and 7th listing.
  for (const [i, p] of listings.entries()) {
    if (i % 5 === 0) await upsertCalendar(t.ctx.db, p.id, ['2030-06-11', '2030-06-12'], { blocked: true });
    if (i % 7 === 0) await upsertCalendar(t.ctx.db, p.id, ['2030-06-13', '2030-06-21'], { price: 31_700 });
  }
  // Bookings on every 3rd listing, some of them overlapping (those must be refused everywhere).
  const guest = await createUser(t);
  const outcomes: number[] = [];
  for (const [i, p] of listings.entries()) {
    if (i % 3 !== 0) continue;
    for (const [checkIn, checkOut] of STAYS.slice(0, 1 + (i % STAYS.length))) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/bookings',
        headers: guest.auth,
        payload: { propertyId: p.id, checkIn, checkOut, guests: 1 },
      });
      outcomes.push(res.statusCode);
    }
  }
  bookingOutcomes.set(engine, outcomes);
  return t;
}

beforeAll(async () => {
  for (const engine of ENGINES) apps.set(engine, await load(engine));
}, 120_000);
afterAll(async () => {
  for (const t of apps.values()) await t.close();
});

interface Page {
  items: Record<string, unknown>[];
  nextCursor: string | null;
}

async function searchAll(t: TestApp, query: Record<string, string | number | boolean>) {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/properties',
      query: {
        ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
        limit: '7',
        ...(cursor ? { cursor } : {}),
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json() as Page;
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

const SEARCHES: Record<string, Record<string, string | number | boolean>> = {
  'city, price ascending': { city: 'lisbon', sort: 'price_asc' },
  'country, dates and guests': {
    country: 'IT',
    checkIn: '2030-06-10',
    checkOut: '2030-06-14',
    guests: 2,
    sort: 'price_asc',
  },
  'dates across a booking and a block': {
    country: 'ES',
    checkIn: '2030-06-12',
    checkOut: '2030-06-21',
    sort: 'price_desc',
  },
  'map box and price range': {
    bbox: '-10,36,4,44',
    minPrice: 8_000,
    maxPrice: 20_000,
    sort: 'price_desc',
  },
  'centre and radius, by distance': { lat: 48.8566, lng: 2.3522, radiusKm: 12, sort: 'distance' },
  'amenities, type and instant book': {
    amenities: 'wifi,kitchen',
    type: 'entire_place',
    instantBook: true,
    sort: 'newest',
  },
  'text word': { q: 'cottage', sort: 'price_asc' },
  'text phrase and word': { q: '"old town" studio', sort: 'price_asc' },
  'text exclusion': { q: 'villa -garden', sort: 'rating' },
  'text with or': { q: 'cabin or loft', country: 'DE', sort: 'price_asc' },
};

describe('the same fixture on PostgreSQL, PGlite and MySQL', () => {
  it('takes the same bookings and refuses the same overlaps', () => {
    const outcomes = ENGINES.map((e) => bookingOutcomes.get(e));
    expect(outcomes[0]).toContain(201);
    expect(outcomes[0]).toContain(409);
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[2]).toEqual(outcomes[0]);
  });

  for (const [name, query] of Object.entries(SEARCHES)) {
    it(`finds the same listings, in the same order: ${name}`, async () => {
      const [pg, lite, my] = await Promise.all(ENGINES.map((e) => searchAll(apps.get(e)!, query)));
      expect(pg!.length).toBeGreaterThan(0);
      expect(lite).toEqual(pg);
      expect(my).toEqual(pg);
    });
  }

  it('finds the same listings by relevance (each engine ranks in its own way)', async () => {
    const query = { q: 'terrace apartment', sort: 'relevance' };
    const [pg, lite, my] = await Promise.all(ENGINES.map((e) => searchAll(apps.get(e)!, query)));
    const ids = (items: Record<string, unknown>[] | undefined) => items!.map((i) => String(i['id'])).sort();
    expect(pg!.length).toBeGreaterThan(0);
    expect(ids(lite)).toEqual(ids(pg));
    expect(ids(my)).toEqual(ids(pg));
  });

  it('quotes the same totals', async () => {
    const t = apps.get('postgres')!;
    const sample = await t.ctx.db
      .selectFrom('properties')
      .select('id')
      .where('status', '=', 'listed')
      .orderBy('id')
      .limit(25)
      .execute();
    let priced = 0;
    for (const { id } of sample) {
      const answers = await Promise.all(
        ENGINES.map(async (e) => {
          const res = await apps.get(e)!.app.inject({
            method: 'POST',
            url: '/api/v1/bookings/quote',
            payload: { propertyId: id, checkIn: '2030-06-19', checkOut: '2030-06-24', guests: 1 },
          });
          return { status: res.statusCode, body: res.json() };
        }),
      );
      if (answers[0]!.status === 200) priced++;
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
    }
    expect(priced).toBeGreaterThan(10);
  });
});
