/**
 * Deterministic demo/benchmark listings: the same seed gives the same rows. Bulk multi-row inserts,
 * so 10 000 listings take seconds.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { newId } from '../../platform/crypto.js';
import { hashPassword } from '../../platform/passwords.js';

const CITIES: [string, string, number, number, string][] = [
  ['Lisbon', 'PT', 38.7223, -9.1393, 'EUR'],
  ['Porto', 'PT', 41.1579, -8.6291, 'EUR'],
  ['Madrid', 'ES', 40.4168, -3.7038, 'EUR'],
  ['Barcelona', 'ES', 41.3874, 2.1686, 'EUR'],
  ['Seville', 'ES', 37.3891, -5.9845, 'EUR'],
  ['Paris', 'FR', 48.8566, 2.3522, 'EUR'],
  ['Lyon', 'FR', 45.764, 4.8357, 'EUR'],
  ['Nice', 'FR', 43.7102, 7.262, 'EUR'],
  ['Rome', 'IT', 41.9028, 12.4964, 'EUR'],
  ['Florence', 'IT', 43.7696, 11.2558, 'EUR'],
  ['Venice', 'IT', 45.4408, 12.3155, 'EUR'],
  ['Milan', 'IT', 45.4642, 9.19, 'EUR'],
  ['Berlin', 'DE', 52.52, 13.405, 'EUR'],
  ['Munich', 'DE', 48.1351, 11.582, 'EUR'],
  ['Hamburg', 'DE', 53.5511, 9.9937, 'EUR'],
  ['Amsterdam', 'NL', 52.3676, 4.9041, 'EUR'],
  ['Vienna', 'AT', 48.2082, 16.3738, 'EUR'],
  ['Prague', 'CZ', 50.0755, 14.4378, 'CZK'],
  ['Budapest', 'HU', 47.4979, 19.0402, 'HUF'],
  ['Copenhagen', 'DK', 55.6761, 12.5683, 'DKK'],
  ['Stockholm', 'SE', 59.3293, 18.0686, 'SEK'],
  ['London', 'GB', 51.5072, -0.1276, 'GBP'],
  ['Edinburgh', 'GB', 55.9533, -3.1883, 'GBP'],
  ['Dublin', 'IE', 53.3498, -6.2603, 'EUR'],
  ['New York', 'US', 40.7128, -74.006, 'USD'],
  ['Austin', 'US', 30.2672, -97.7431, 'USD'],
  ['San Francisco', 'US', 37.7749, -122.4194, 'USD'],
  ['Mexico City', 'MX', 19.4326, -99.1332, 'MXN'],
  ['Tokyo', 'JP', 35.6762, 139.6503, 'JPY'],
  ['Kyoto', 'JP', 35.0116, 135.7681, 'JPY'],
  ['Cape Town', 'ZA', -33.9249, 18.4241, 'ZAR'],
  ['Sydney', 'AU', -33.8688, 151.2093, 'AUD'],
];
const ADJECTIVES = [
  'Sunny',
  'Cosy',
  'Quiet',
  'Bright',
  'Modern',
  'Charming',
  'Spacious',
  'Rustic',
  'Elegant',
  'Hidden',
];
const KINDS = [
  'loft',
  'flat',
  'studio',
  'house',
  'cottage',
  'room',
  'villa',
  'apartment',
  'cabin',
  'townhouse',
];
const FEATURES = [
  'with a view',
  'near the old town',
  'by the river',
  'with a garden',
  'close to the beach',
  'with a terrace',
  'near the station',
  'in a quiet street',
];
const AMENITIES = [
  'wifi',
  'kitchen',
  'washer',
  'heating',
  'air_conditioning',
  'workspace',
  'tv',
  'parking',
  'pool',
  'hot_tub',
  'bbq',
  'garden',
  'balcony',
  'pets_allowed',
  'self_check_in',
  'crib',
  'elevator',
  'smoke_alarm',
];
const TYPES = ['entire_place', 'entire_place', 'entire_place', 'private_room', 'shared_room'] as const;
const POLICIES = ['flexible', 'moderate', 'strict'] as const;

/** mulberry32: a small, fast, seedable PRNG. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface GenerateOptions {
  listings: number;
  seed: number;
  hosts?: number;
  /** Existing host ids to include among the owners. */
  extraHostIds?: string[];
  /** Id generator (default: UUIDv7); a deterministic one gives the same fixture in every database. */
  newId?: () => string;
}

export async function generateListings(
  db: Kysely<DB>,
  o: GenerateOptions,
): Promise<{ hosts: number; listings: number }> {
  const rand = prng(o.seed);
  const nextId = o.newId ?? newId;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const hostCount = o.hosts ?? Math.max(1, Math.ceil(o.listings / 25));
  const passwordHash = await hashPassword('roost-demo-2024');
  const hostIds: string[] = [...(o.extraHostIds ?? [])];
  const hosts = Array.from({ length: hostCount }, (_, i) => ({
    id: nextId(),
    email: `host${o.seed}.${i}@hosts.roost.dev`,
    password_hash: passwordHash,
    first_name: 'Host',
    last_name: String(i),
    phone: null,
    role: 'host' as const,
    email_verified_at: new Date(),
  }));
  // The hosts of a seed are created once; running the same seed again adds listings to them.
  const existing = await db
    .selectFrom('users')
    .select('id')
    .where('email', 'like', `host${o.seed}.%`)
    .orderBy('email')
    .execute();
  if (existing.length > 0) {
    hostIds.push(...existing.map((r) => r.id));
  } else {
    for (let i = 0; i < hosts.length; i += 1000) {
      await db
        .insertInto('users')
        .values(hosts.slice(i, i + 1000))
        .execute();
    }
    hostIds.push(...hosts.map((h) => h.id));
  }

  const chunk = 500;
  for (let start = 0; start < o.listings; start += chunk) {
    const rows = [];
    const amenityRows: { property_id: string; amenity_code: string }[] = [];
    for (let i = start; i < Math.min(o.listings, start + chunk); i++) {
      const [city, country, lat, lng, currency] = pick(CITIES);
      const type = pick(TYPES);
      const bedrooms = type === 'entire_place' ? 1 + Math.floor(rand() * 4) : 1;
      const id = nextId();
      const title = `${pick(ADJECTIVES)} ${pick(KINDS)} ${pick(FEATURES)}`;
      const base =
        type === 'shared_room' ? 2_500 : type === 'private_room' ? 5_000 : 8_000 + bedrooms * 3_000;
      const scale =
        currency === 'JPY' || currency === 'HUF'
          ? 100
          : currency === 'CZK' ||
              currency === 'MXN' ||
              currency === 'ZAR' ||
              currency === 'SEK' ||
              currency === 'DKK'
            ? 10
            : 1;
      rows.push({
        id,
        host_id: hostIds[i % hostIds.length]!,
        title,
        description: `${title} in ${city}. ${bedrooms} bedroom(s), ${pick(FEATURES)}; ideal for ${pick(['families', 'couples', 'remote work', 'friends', 'a weekend away'])}.`,
        property_type: type,
        street: `${1 + Math.floor(rand() * 200)} ${pick(['Main', 'High', 'Church', 'Market', 'River', 'Station'])} Street`,
        city,
        region: null,
        country_code: country,
        postal_code: String(10000 + Math.floor(rand() * 89999)),
        latitude: Math.round((lat + (rand() - 0.5) * 0.2) * 1e6) / 1e6,
        longitude: Math.round((lng + (rand() - 0.5) * 0.2) * 1e6) / 1e6,
        max_guests: type === 'entire_place' ? bedrooms * 2 : type === 'private_room' ? 2 : 1,
        bedrooms,
        beds: bedrooms + Math.floor(rand() * 2),
        bathrooms: Math.max(1, Math.round(bedrooms * rand() * 2) / 2),
        nightly_price: Math.round((base * (0.6 + rand() * 1.2)) / 100) * 100 * scale,
        currency,
        cleaning_fee: Math.round((rand() * 5_000) / 100) * 100 * scale,
        min_nights: rand() < 0.8 ? 1 : 2 + Math.floor(rand() * 3),
        max_nights: rand() < 0.7 ? null : 14 + Math.floor(rand() * 60),
        check_in_time: '15:00',
        check_out_time: '11:00',
        cancellation_policy: pick(POLICIES),
        instant_book: rand() < 0.6,
        status: rand() < 0.95 ? ('listed' as const) : ('unlisted' as const),
        house_rules: null,
        published_at: new Date(),
        deleted_at: null,
      });
      for (const a of AMENITIES) if (rand() < 0.35) amenityRows.push({ property_id: id, amenity_code: a });
    }
    await db.insertInto('properties').values(rows).execute();
    if (amenityRows.length > 0) await db.insertInto('property_amenities').values(amenityRows).execute();
  }
  return { hosts: hostIds.length, listings: o.listings };
}
