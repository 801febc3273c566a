/**
 * The demo world: people, 50 listings with photos in ten cities, and bookings in every state — made
 * through the same services and flows as the API (book, pay, accept/decline, cancel, expire, complete,
 * review), with the service clock set to when each step would have happened, so every row is one the
 * app itself could have written: payments, refunds and ledger postings included.
 *
 * - Deterministic: listing content, photos, stays and reviews come from a seeded PRNG and fixed offsets
 *   from today (ids and timestamps are the app's own: UUIDv7, today's date).
 * - Idempotent: made once per database (present when the demo host hana@roost.dev has listings).
 * - Conversations and notifications come from the same flows: every booking joins its thread (with the
 *   guest's message), the demo guest has an inquiry with the demo host (a phone number in it, masked) and
 *   a pre-approval, and each guest and host has a feed (and outbox emails) of what happened to them.
 * - Never in production. Payments go through the built-in sandbox provider whatever PAYMENT_PROVIDER says.
 *
 * Made automatically at the first start of the embedded database (DEMO_DATA, src/server.ts), or by
 * `npm run seed -- --demo` on any engine.
 */

import {
  DEMO_USERS,
  DEMO_WORLD_USERS,
  type DemoUser,
  hasNoUsers,
  seedDemoUsers,
} from '../modules/accounts/demo-users.js';
import type { BookingView } from '../modules/bookings/bookings.schemas.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import * as messaging from '../modules/messaging/messaging.service.js';
import { houseImage, roomImage } from '../modules/properties/demo-photos.js';
import { prng } from '../modules/properties/generate.js';
import * as photos from '../modules/properties/photos.service.js';
import type { CreatePropertyInput } from '../modules/properties/properties.schemas.js';
import * as properties from '../modules/properties/properties.service.js';
import { createTaxRate } from '../modules/properties/tax-rates.admin.js';
import type { TaxRateInput } from '../modules/properties/tax-rates.schemas.js';
import type { Actor } from '../platform/auth.js';
import type { Config } from '../platform/config.js';
import type { ServiceContext } from '../platform/context.js';
import type { FileStore } from '../platform/file-store.js';
import { createBooking } from './book.js';
import { cancelBooking, respondToRequest } from './cancel.js';
import { sendMessage, startConversation } from './messages.js';
import { payBooking } from './pay.js';
import { queueCheckinReminders, queueReviewReminders } from './reminders.js';
import { preApprove } from './requests.js';
import { createReview, rateGuest, replyToReview } from './reviews.js';

export const DEMO_SEED = 2024;
export const DEMO_LISTINGS = 50;
/** The host whose listings mark the demo world as made. */
const MARKER_HOST = 'hana@roost.dev';

const DEMO_TAX_RATES: TaxRateInput[] = [
  { countryCode: 'PT', name: 'IVA', kind: 'percent', rateBps: 600 },
  { countryCode: 'ES', name: 'IVA', kind: 'percent', rateBps: 1000 },
  {
    countryCode: 'FR',
    name: 'Taxe de séjour',
    kind: 'per_night',
    amount: 260,
    currency: 'EUR',
    perGuest: true,
  },
];

const CITIES = [
  {
    city: 'Lisbon',
    country: 'PT',
    lat: 38.7139,
    lng: -9.1394,
    currency: 'EUR',
    base: 9_000,
    postal: '1200-001',
  },
  {
    city: 'Porto',
    country: 'PT',
    lat: 41.1496,
    lng: -8.6109,
    currency: 'EUR',
    base: 8_000,
    postal: '4050-001',
  },
  {
    city: 'Barcelona',
    country: 'ES',
    lat: 41.3874,
    lng: 2.1686,
    currency: 'EUR',
    base: 12_000,
    postal: '08001',
  },
  { city: 'Paris', country: 'FR', lat: 48.8566, lng: 2.3522, currency: 'EUR', base: 15_000, postal: '75004' },
  { city: 'Berlin', country: 'DE', lat: 52.52, lng: 13.405, currency: 'EUR', base: 10_000, postal: '10115' },
  {
    city: 'Amsterdam',
    country: 'NL',
    lat: 52.3676,
    lng: 4.9041,
    currency: 'EUR',
    base: 14_000,
    postal: '1012 AB',
  },
  { city: 'Rome', country: 'IT', lat: 41.9028, lng: 12.4964, currency: 'EUR', base: 11_000, postal: '00186' },
  {
    city: 'London',
    country: 'GB',
    lat: 51.5072,
    lng: -0.1276,
    currency: 'GBP',
    base: 13_000,
    postal: 'WC2N 5DU',
  },
  {
    city: 'New York',
    country: 'US',
    lat: 40.7128,
    lng: -74.006,
    currency: 'USD',
    base: 18_000,
    postal: '10007',
  },
  {
    city: 'Tokyo',
    country: 'JP',
    lat: 35.6762,
    lng: 139.6503,
    currency: 'JPY',
    base: 16_000,
    postal: '100-0001',
  },
] as const;
const STREETS = ['Market Street', 'River Walk', 'Old Town Lane', 'Garden Row', 'Station Road', 'Harbour Way'];
const ADJECTIVES = [
  'Sunny',
  'Cosy',
  'Quiet',
  'Bright',
  'Modern',
  'Charming',
  'Spacious',
  'Hidden',
  'Elegant',
];
const KINDS = {
  entire_place: ['loft', 'flat', 'house', 'apartment', 'townhouse'],
  private_room: ['room'],
  shared_room: ['bunk'],
};
const FEATURES = ['with a view', 'near the old town', 'by the river', 'with a terrace', 'in a quiet street'];
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
  'balcony',
  'pets_allowed',
  'self_check_in',
  'crib',
  'elevator',
  'smoke_alarm',
];
const TYPES = ['entire_place', 'entire_place', 'entire_place', 'private_room', 'shared_room'] as const;
const POLICIES = ['flexible', 'moderate', 'strict'] as const;
const REVIEWS = [
  'Spotless flat, great location and a very kind host. We would come back any time.',
  'Exactly as in the photos. Quiet at night and close to everything we wanted to see.',
  'Lovely place, easy self check-in, and the host answered every question within minutes.',
  'Good value for the area. The kitchen had everything we needed for a longer stay.',
  'Nice and bright, though the street was a little noisy on Saturday night.',
  'A perfect base for exploring the city on foot. Comfortable beds and strong Wi-Fi.',
];
/** The demo host's private check-in details (shown to guests of confirmed stays in the app, never emailed). */
export const DEMO_CHECKIN_DETAILS =
  'Key box to the left of the front door, code 4711. Wi-Fi: roost-guest / welcome-home. ' +
  'Hugo: +351 912 345 678 (call or text) if anything is missing.';
const REPLIES = [
  'Thank you, it was a pleasure to host you!',
  'Thanks for the kind words, see you next time.',
];

export interface DemoWorldSummary {
  created: boolean;
  /** Why nothing was made (when `created` is false). */
  reason?: string;
  users: number;
  listings: number;
  photos: number;
  bookings: Partial<Record<BookingView['status'], number>>;
  reviews: number;
  /** Conversations (one per booking's thread, and the inquiry), and notifications in the feeds. */
  conversations: number;
  notifications: number;
  ms: number;
  /** Where the time went: listings (with their photos), then stays and reviews. */
  phases?: { listingsMs: number; staysMs: number };
}

/**
 * Whether the server should make the demo world at start-up: DEMO_DATA=on always (it is made once);
 * `auto` on the embedded database in development, into a database without any account yet.
 */
export function demoWorldWanted(
  config: Config,
  dbKind: ServiceContext['dbKind'],
): 'always' | 'if-empty' | false {
  if (config.NODE_ENV === 'production' || config.DEMO_DATA === 'off') return false;
  if (config.DEMO_DATA === 'on') return 'always';
  return dbKind === 'pglite' && config.NODE_ENV === 'development' ? 'if-empty' : false;
}

const DAY = 86_400_000;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (day: string, n: number) => dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY));
/** An instant on a day (UTC). */
const at = (day: string, hour = 10) => new Date(Date.parse(`${day}T00:00:00Z`) + hour * 3_600_000);

interface Listing {
  id: string;
  hostEmail: string;
  instantBook: boolean;
  minNights: number;
  maxGuests: number;
  policy: (typeof POLICIES)[number];
}

async function countRows(ctx: ServiceContext, table: 'conversations' | 'notifications'): Promise<number> {
  const row = await ctx.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Make the demo world unless it is there already (or, with `onlyIfEmpty`, unless anybody has an account). */
export async function ensureDemoWorld(
  ctx: ServiceContext,
  files: FileStore,
  opts: { onlyIfEmpty?: boolean; seed?: number } = {},
): Promise<DemoWorldSummary> {
  const started = performance.now();
  const none = (reason: string): DemoWorldSummary => ({
    created: false,
    reason,
    users: 0,
    listings: 0,
    photos: 0,
    bookings: {},
    reviews: 0,
    conversations: 0,
    notifications: 0,
    ms: Math.round(performance.now() - started),
  });
  if (ctx.config.NODE_ENV === 'production') throw new Error('the demo world is never made in production');
  if (opts.onlyIfEmpty && !(await hasNoUsers(ctx.db))) return none('the database already has accounts');
  const users = await seedDemoUsers(ctx.db, [...DEMO_USERS, ...DEMO_WORLD_USERS]);
  const actors = new Map(users.map((u) => [u.email, actorOf(u)]));
  const marker = actors.get(MARKER_HOST)!;
  if ((await properties.listMyProperties(ctx, marker, { limit: 1 })).items.length > 0) {
    return none('the demo world is there already');
  }
  return makeWorld(ctx, files, actors, opts.seed ?? DEMO_SEED, started);
}

function actorOf(u: DemoUser): Actor {
  return { userId: u.id, role: u.role, sessionId: 'demo-world' };
}

async function makeWorld(
  base: ServiceContext,
  files: FileStore,
  actors: Map<string, Actor>,
  seed: number,
  started: number,
): Promise<DemoWorldSummary> {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const who = (email: string) => actors.get(email)!;
  // The service clock of each step; payments through the sandbox, whatever provider is configured.
  const today = dayOf(new Date());
  let clock = new Date();
  const ctx: ServiceContext = {
    ...base,
    config: { ...base.config, PAYMENT_PROVIDER: 'sandbox' },
    now: () => clock,
  };
  const summary: DemoWorldSummary = {
    created: true,
    users: actors.size,
    listings: 0,
    photos: 0,
    bookings: {},
    reviews: 0,
    conversations: 0,
    notifications: 0,
    ms: 0,
  };

  // Taxes by jurisdiction, as a deployment's operators would enter them: VAT on short stays in Portugal
  // and Spain, France's per-guest, per-night taxe de séjour (elsewhere: TAX_BPS, 0 by default).
  for (const rate of DEMO_TAX_RATES) await createTaxRate(ctx, who('admin@roost.dev'), rate);

  // Listings: five per city, spread over the four hosts (host@roost.dev gets every fourth).
  const hosts = ['host@roost.dev', 'hana@roost.dev', 'marco@roost.dev', 'olivia@roost.dev'];
  const listings: Listing[] = [];
  for (let i = 0; i < DEMO_LISTINGS; i++) {
    // Listing k (0–4) of each city: every city gets each type once, and one listing on request.
    const place = CITIES[i % CITIES.length]!;
    const k = Math.floor(i / CITIES.length);
    const type = TYPES[(i + k) % TYPES.length]!;
    const bedrooms = type === 'entire_place' ? 1 + Math.floor(rand() * 3) : 1;
    const title = `${pick(ADJECTIVES)} ${pick(KINDS[type])} ${pick(FEATURES)}`;
    const factor = type === 'shared_room' ? 0.35 : type === 'private_room' ? 0.55 : 0.8 + bedrooms * 0.25;
    const price = Math.round((place.base * factor * (0.8 + rand() * 0.5)) / 500) * 500;
    const hostEmail = hosts[i % hosts.length]!;
    // One listing in five asks to be approved (request to book); a few need two nights or more.
    const instantBook = (i + 2 * k) % 5 !== 2;
    const minNights = i % 7 === 6 ? 2 : 1;
    const policy = POLICIES[i % POLICIES.length]!;
    const input: CreatePropertyInput = {
      title,
      description: `${title} in ${place.city}: ${bedrooms} bedroom(s), ${pick(FEATURES)}. Ideal for ${pick(['families', 'couples', 'remote work', 'friends', 'a weekend away'])}.`,
      propertyType: type,
      address: {
        street: `${1 + Math.floor(rand() * 120)} ${pick(STREETS)}`,
        city: place.city,
        countryCode: place.country,
        postalCode: place.postal,
      },
      latitude: Math.round((place.lat + (rand() - 0.5) * 0.05) * 1e6) / 1e6,
      longitude: Math.round((place.lng + (rand() - 0.5) * 0.07) * 1e6) / 1e6,
      maxGuests: type === 'entire_place' ? bedrooms * 2 : type === 'private_room' ? 2 : 1,
      bedrooms,
      beds: bedrooms + (rand() < 0.4 ? 1 : 0),
      bathrooms: type === 'entire_place' ? Math.max(1, Math.round(bedrooms * 0.75 * 2) / 2) : 1,
      nightlyPrice: Math.max(500, price),
      currency: place.currency,
      cleaningFee: type === 'entire_place' ? Math.round((place.base * 0.3) / 500) * 500 : 0,
      // Pricing rules hosts set: whole homes give 10 % off a week and 25 % off a month and charge for
      // guests above two; every third listing asks more on Friday and Saturday nights.
      weekendPrice: i % 3 === 0 ? Math.round((Math.max(500, price) * 1.2) / 500) * 500 : null,
      weeklyDiscountPct: type === 'entire_place' ? 10 : 0,
      monthlyDiscountPct: type === 'entire_place' ? 25 : 0,
      guestsIncluded: type === 'entire_place' ? 2 : 1,
      extraGuestFee:
        type === 'entire_place' && bedrooms > 1 ? Math.round((place.base * 0.15) / 500) * 500 : 0,
      minNights,
      maxNights: i % 4 === 3 ? 30 : null,
      checkInTime: '15:00',
      checkOutTime: '11:00',
      cancellationPolicy: policy,
      instantBook,
      amenities: AMENITIES.filter(() => rand() < 0.4),
      houseRules: i % 3 === 0 ? 'No parties. Quiet hours after 22:00.' : null,
    };
    const host = who(hostEmail);
    const created = await properties.createProperty(ctx, host, input);
    await properties.setPublished(ctx, host, created.id, true);
    await photos.addPhoto(ctx, files, host, created.id, {
      bytes: houseImage(seed * 1000 + i),
      caption: `${place.city}, from the street`,
    });
    summary.photos++;
    // Every other listing has a second photo (a gallery to page through); fewer photos, faster first start.
    if (i % 2 === 0) {
      await photos.addPhoto(ctx, files, host, created.id, {
        bytes: roomImage(seed * 1000 + i),
        caption: 'Living room',
      });
      summary.photos++;
    }
    listings.push({ id: created.id, hostEmail, instantBook, minNights, maxGuests: input.maxGuests, policy });
  }
  summary.listings = listings.length;
  const listed = performance.now();

  // Each stay gets a listing of its own (no two demo stays ever compete for a night).
  const used = new Set<string>();
  const listingOf = (o: { host?: string; instant?: boolean; policy?: Listing['policy'] }) => {
    const l = listings.find(
      (x) =>
        !used.has(x.id) &&
        (o.host === undefined || x.hostEmail === o.host) &&
        (o.instant === undefined || x.instantBook === o.instant) &&
        (o.policy === undefined || x.policy === o.policy),
    );
    if (!l) throw new Error(`demo world: no listing left for ${JSON.stringify(o)}`);
    used.add(l.id);
    return l;
  };
  const count = (b: { status: BookingView['status'] }) => {
    summary.bookings[b.status] = (summary.bookings[b.status] ?? 0) + 1;
  };

  /** Book (and pay, unless `unpaid`) a stay of `nights` from `checkIn`, as `guest`, on `bookedOn`. */
  const stay = async (
    guestEmail: string,
    listing: Listing,
    checkIn: string,
    nights: number,
    bookedOn: Date,
    o: { message?: string; unpaid?: boolean } = {},
  ): Promise<BookingView> => {
    clock = bookedOn;
    const guest = who(guestEmail);
    const { body } = await createBooking(
      ctx,
      guest,
      {
        propertyId: listing.id,
        checkIn,
        checkOut: addDays(checkIn, Math.max(nights, listing.minNights)),
        guests: 1,
        ...(o.message ? { message: o.message } : {}),
      },
      undefined,
    );
    if (o.unpaid) return body;
    clock = new Date(bookedOn.getTime() + 2 * 60_000);
    await payBooking(ctx, guest, body.id, { paymentMethod: 'pm_card_visa' });
    return (await bookings.getBooking(ctx, guest, body.id)) as BookingView;
  };

  /** A stay that ended `endedDaysAgo` days ago: booked a month before, completed at check-out. */
  const pastStay = async (guestEmail: string, listing: Listing, endedDaysAgo: number, nights: number) => {
    const checkIn = addDays(today, -endedDaysAgo - Math.max(nights, listing.minNights));
    const b = await stay(guestEmail, listing, checkIn, nights, at(addDays(checkIn, -30)));
    if (b.status === 'awaiting_host') {
      clock = at(addDays(checkIn, -29));
      await respondToRequest(ctx, who(listing.hostEmail), b.id, true);
    }
    clock = at(addDays(today, -endedDaysAgo), 12);
    await bookings.completeFinishedStays(ctx);
    return { id: b.id, checkOut: addDays(today, -endedDaysAgo) };
  };

  const review = async (
    guestEmail: string,
    listing: Listing,
    s: { id: string; checkOut: string },
    rating: number,
    reply: boolean,
  ) => {
    clock = at(addDays(s.checkOut, 1), 18);
    const r = await createReview(ctx, who(guestEmail), {
      bookingId: s.id,
      rating,
      cleanliness: Math.min(5, rating + (rand() < 0.5 ? 0 : 1)),
      accuracy: rating,
      communication: Math.min(5, rating + 1),
      location: pick([4, 5]),
      checkIn: 5,
      value: Math.max(1, rating - (rand() < 0.5 ? 0 : 1)),
      body: pick(REVIEWS),
    });
    summary.reviews++;
    if (!reply) return;
    // The host answers the review and rates the guest back.
    clock = at(addDays(s.checkOut, 2), 9);
    await replyToReview(ctx, who(listing.hostEmail), r.id, pick(REPLIES));
    await rateGuest(ctx, who(listing.hostEmail), {
      bookingId: s.id,
      rating: 5,
      body: 'A considerate guest.',
    });
  };

  const G = 'guest@roost.dev';
  const H = 'host@roost.dev';
  /** The thread a booking joined when it was made. */
  const bookingThreadOf = async (bookingId: string) => {
    const c = await messaging.conversationOfBooking(ctx, bookingId);
    if (!c) throw new Error(`demo world: booking ${bookingId} has no conversation`);
    return c.id;
  };

  // Completed stays of the demo guest: two still to review (the README's "Try it"), two reviewed.
  for (const [host, ended, nights] of [
    [H, 2, 3],
    ['hana@roost.dev', 5, 2],
  ] as const) {
    await pastStay(G, listingOf({ host, instant: true }), ended, nights);
    count({ status: 'completed' });
  }
  for (const [host, ended, nights, rating] of [
    [H, 45, 4, 5],
    ['marco@roost.dev', 120, 3, 4],
  ] as const) {
    const l = listingOf({ host });
    await review(G, l, await pastStay(G, l, ended, nights), rating, host === H);
    count({ status: 'completed' });
  }
  // Other guests' past stays, reviewed (ratings on many listings); one recent one not yet reviewed.
  const others = ['gus@roost.dev', 'ines@roost.dev', 'theo@roost.dev'];
  for (let k = 0; k < 14; k++) {
    const guest = others[k % others.length]!;
    const l = listingOf({});
    const s = await pastStay(guest, l, 8 + k * 17, 2 + (k % 3));
    if (k > 0) await review(guest, l, s, [5, 4, 5, 3, 5, 4][k % 6]!, k % 2 === 0);
    count({ status: 'completed' });
  }

  const now = new Date();
  // Upcoming and current stays. The demo guest's: the host keeps check-in details on the listing (the
  // confirmation tells the guest they are there), and answers the guest's message in the booking's thread
  // (confirmed: contact details are no longer masked there).
  const anniversary = listingOf({ host: H, instant: true });
  clock = at(addDays(today, -20));
  await properties.setCheckInDetails(ctx, who(H), anniversary.id, DEMO_CHECKIN_DETAILS);
  const booked = await stay(G, anniversary, addDays(today, 14), 4, at(addDays(today, -3), 19), {
    message: "We're celebrating our anniversary — any tip for a dinner nearby?",
  });
  count(booked);
  clock = at(addDays(today, -2), 8);
  const thread = await bookingThreadOf(booked.id);
  await sendMessage(
    ctx,
    who(H),
    thread,
    'Congratulations! Try the little tasca two streets down, and book ahead. ' +
      'On the day, call me on +351 912 345 678 if you need anything.',
  );
  count(await stay('ines@roost.dev', listingOf({ host: H, instant: true }), addDays(today, 7), 3, now));
  count(
    await stay(
      'theo@roost.dev',
      listingOf({ host: H, instant: true }),
      addDays(today, -1),
      3,
      at(addDays(today, -20)),
    ),
  );
  // Requests to book, awaiting the host (with the guests' messages).
  count(
    await stay(G, listingOf({ host: H, instant: false }), addDays(today, 21), 3, now, {
      message: 'Hi Hugo! Two of us, arriving by train around 18:00. Is early luggage drop-off possible?',
    }),
  );
  count(
    await stay('gus@roost.dev', listingOf({ instant: false }), addDays(today, 35), 2, now, {
      message: 'Hello! Travelling for a conference, I would need a desk to work from.',
    }),
  );
  // An unpaid hold (it expires after BOOKING_HOLD_MINUTES), and one that expired long ago.
  count(await stay(G, listingOf({}), addDays(today, 40), 3, now, { unpaid: true }));
  const lapsed = await stay(G, listingOf({}), addDays(today, 50), 2, at(addDays(today, -10)), {
    unpaid: true,
  });
  clock = at(addDays(today, -10), 12);
  await bookings.expireUnpaidHolds(ctx);
  count({ status: (await bookings.findBooking(ctx, lapsed.id))!.status });
  // Declined by the host (refunded in full), cancelled by the guest and by the host (refunds per policy).
  const asked = await stay(G, listingOf({ instant: false }), addDays(today, 60), 2, at(addDays(today, -3)));
  clock = at(addDays(today, -2));
  const hostOf = (id: string) => listings.find((l) => l.id === id)!.hostEmail;
  count(
    await respondToRequest(
      ctx,
      who(hostOf(asked.propertyId)),
      asked.id,
      false,
      'Sorry, those dates are no longer free.',
    ),
  );
  const changed = await stay(
    G,
    listingOf({ instant: true, policy: 'flexible' }),
    addDays(today, 30),
    3,
    at(addDays(today, -6)),
  );
  clock = at(addDays(today, -4));
  count(await cancelBooking(ctx, who(G), changed.id, 'Plans changed'));
  const hostCancelled = await stay(
    'theo@roost.dev',
    listingOf({ host: H, instant: true }),
    addDays(today, 25),
    2,
    at(addDays(today, -8)),
  );
  clock = at(addDays(today, -7));
  count(await cancelBooking(ctx, who(H), hostCancelled.id, 'A pipe burst; the flat is being repaired.'));

  // An inquiry: the demo guest asks the demo host about a listing that takes requests, they write back and
  // forth (the guest's phone number is masked: nothing is booked), and the host pre-approves the dates,
  // so the guest can book them instantly.
  const inquired = listingOf({ host: H, instant: false });
  const wanted = {
    checkIn: addDays(today, 45),
    checkOut: addDays(today, 45 + Math.max(3, inquired.minNights)),
    guests: Math.min(2, inquired.maxGuests),
  };
  clock = at(addDays(today, -2), 9);
  const inquiry = await startConversation(ctx, who(G), {
    propertyId: inquired.id,
    body: `Hi Hugo! Is your place free from ${wanted.checkIn} to ${wanted.checkOut}? It would be our first time in the city.`,
  });
  const talk: [string, number, string][] = [
    [H, 11, 'Hi Greta, yes, those nights are still free. Happy to answer any question about the place.'],
    [G, 44, 'Great! Easier to talk: call me on +44 7700 900123, or write to greta.guest@example.com.'],
    [H, 45, 'Numbers and emails stay hidden here until a booking is confirmed: let us talk in the app.'],
  ];
  for (const [from, hours, body] of talk) {
    clock = new Date(at(addDays(today, -2), 0).getTime() + hours * 3_600_000);
    await sendMessage(ctx, who(from), inquiry.conversation.id, body);
  }
  // Pre-approved now (it lasts BOOKING_REQUEST_HOURS from here).
  clock = new Date(Math.max(now.getTime(), clock.getTime() + 60_000));
  await preApprove(ctx, who(H), inquiry.conversation.id, wanted);

  // The daily reminder jobs, on the days they ran: the day before the current stay began (check-in), and
  // the day after the demo guest's last stay ended (a review, please).
  clock = at(addDays(today, -2), 8);
  await queueCheckinReminders(ctx);
  clock = at(addDays(today, -1), 8);
  await queueReviewReminders(ctx);

  summary.conversations = await countRows(base, 'conversations');
  summary.notifications = await countRows(base, 'notifications');
  const end = performance.now();
  summary.ms = Math.round(end - started);
  summary.phases = { listingsMs: Math.round(listed - started), staysMs: Math.round(end - listed) };
  return summary;
}
