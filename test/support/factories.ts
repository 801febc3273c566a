/**
 * Test data made straight in the database, for tests whose subject is something else: users with a
 * signed-in session, listings, bookings in a given status, captured payments with their ledger posting.
 *
 * Each factory writes the rows the application's own code path writes (same columns, same side effects
 * that later requests can observe: verification email and token on sign-up, a refresh-token family per
 * session, the search cache bumped after a listing is published, booking events, the guest-charge ledger
 * transaction), but skips HTTP and, above all, argon2: the shared test password is hashed once per process.
 *
 * Deliberately independent of `src/modules/*` (which is being reorganized): it relies only on the schema,
 * `src/platform/*` and the application's context (`t.ctx.db`, `t.ctx.tokens`, `t.ctx.cache`, `t.ctx.config`).
 * Tests that assert sign-up, login, listing creation or the booking/payment flow go through HTTP.
 */
import { hash } from '@node-rs/argon2';
import type { BookingStatusColumn } from '../../src/db/schema/bookings.js';
import type { Role } from '../../src/db/schema/index.js';
import { newId, randomToken, sha256Hex } from '../../src/platform/crypto.js';
import { enqueueEmail, outboxSealingKey } from '../../src/platform/email.js';
import type { TestApp } from './test-app.js';

export const TEST_PASSWORD = 'correct-horse-42';

/** The application's argon2id parameters (see the passwords module): a hash it verifies like its own. */
const ARGON2_OPTIONS = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const hashes = new Map<string, Promise<string>>();

/** An argon2id hash of `password`, computed once per process and password. */
export function passwordHash(password = TEST_PASSWORD): Promise<string> {
  let h = hashes.get(password);
  if (!h) {
    h = hash(password, ARGON2_OPTIONS);
    hashes.set(password, h);
  }
  return h;
}

const DAY_MS = 86_400_000;
/** What `app.inject` sends, so a factory session looks like one opened by a login through the API. */
const INJECT_CLIENT = { userAgent: 'lightMyRequest', ip: '127.0.0.1' };

export interface UserRowInput {
  email: string;
  role?: Role;
  firstName?: string;
  lastName?: string;
  phone?: string | null;
  password?: string;
  /** Mark the email verified (registration leaves it unverified). */
  verified?: boolean;
  /** Write the verification token and its outbox email, as registration does (default true). */
  verificationEmail?: boolean;
}

/** A user row as registration writes it (plus the role), with its verification token and email. */
export async function insertUser(t: TestApp, input: UserRowInput): Promise<{ id: string; email: string }> {
  const db = t.ctx.db;
  const id = newId();
  const email = input.email.trim().toLowerCase();
  const firstName = input.firstName ?? 'Test';
  const now = t.ctx.now();
  await db
    .insertInto('users')
    .values({
      id,
      email,
      password_hash: await passwordHash(input.password),
      first_name: firstName,
      last_name: input.lastName ?? input.role ?? 'guest',
      phone: input.phone ?? null,
      role: input.role ?? 'guest',
      email_verified_at: input.verified ? now : null,
    })
    .execute();
  if (input.verificationEmail !== false) {
    const token = randomToken();
    await db
      .insertInto('user_tokens')
      .values({
        id: newId(),
        user_id: id,
        purpose: 'verify_email',
        token_hash: sha256Hex(token),
        expires_at: new Date(now.getTime() + t.ctx.config.EMAIL_TOKEN_TTL_HOURS * 3_600_000),
        used_at: null,
      })
      .execute();
    await enqueueEmail(
      db,
      {
        to: email,
        template: 'verify_email',
        data: { firstName },
        sealed: {
          token,
          link: t.ctx.config.VERIFY_EMAIL_URL.replace('{token}', encodeURIComponent(token)),
        },
      },
      { key: outboxSealingKey(t.ctx.config) },
    );
  }
  return { id, email };
}

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

/** A new session (refresh-token family) for a user, as a login opens it: works with /auth/refresh. */
export async function startSession(t: TestApp, userId: string): Promise<SessionTokens> {
  const refreshToken = randomToken();
  const sessionId = newId();
  await t.ctx.db
    .insertInto('refresh_tokens')
    .values({
      id: newId(),
      user_id: userId,
      family_id: sessionId,
      token_hash: sha256Hex(refreshToken),
      expires_at: new Date(t.ctx.now().getTime() + t.ctx.config.REFRESH_TOKEN_TTL_DAYS * DAY_MS),
      rotated_at: null,
      revoked_at: null,
      revoked_reason: null,
      user_agent: INJECT_CLIENT.userAgent,
      ip: INJECT_CLIENT.ip,
    })
    .execute();
  const access = await t.ctx.tokens.sign({ userId, sessionId });
  return { accessToken: access.token, refreshToken, sessionId };
}

// ---------------------------------------------------------------------------------------------- listings

export interface ListingRowInput {
  title?: string;
  description?: string;
  city?: string;
  countryCode?: string;
  latitude?: number;
  longitude?: number;
  propertyType?: 'entire_place' | 'private_room' | 'shared_room';
  nightlyPrice?: number;
  currency?: string;
  cleaningFee?: number;
  maxGuests?: number;
  minNights?: number;
  maxNights?: number | null;
  instantBook?: boolean;
  cancellationPolicy?: 'flexible' | 'moderate' | 'strict';
  checkInTime?: string;
  amenities?: string[];
  publish?: boolean;
}

let listingSeq = 0;

/**
 * A listing as `POST /properties` (+ `/publish`, unless `publish: false`) writes it, with the same
 * defaults as the HTTP fixture. Publishing invalidates cached search pages, as the service does.
 */
export async function insertListing(
  t: TestApp,
  hostId: string,
  o: ListingRowInput = {},
): Promise<{ id: string }> {
  const n = ++listingSeq;
  const id = newId();
  const now = t.ctx.now();
  const publish = o.publish !== false;
  await t.ctx.db
    .insertInto('properties')
    .values({
      id,
      host_id: hostId,
      title: (o.title ?? `Test home ${n}`).trim(),
      description: o.description ?? 'A quiet place to stay.',
      property_type: o.propertyType ?? 'entire_place',
      street: `${n} Test Street`,
      city: (o.city ?? 'Lisbon').trim(),
      region: null,
      country_code: o.countryCode ?? 'PT',
      postal_code: '1000-001',
      latitude: o.latitude ?? 38.72,
      longitude: o.longitude ?? -9.14,
      max_guests: o.maxGuests ?? 4,
      bedrooms: 2,
      beds: 2,
      bathrooms: 1,
      nightly_price: o.nightlyPrice ?? 10_000,
      currency: o.currency ?? 'EUR',
      cleaning_fee: o.cleaningFee ?? 0,
      min_nights: o.minNights ?? 1,
      max_nights: o.maxNights === undefined ? null : o.maxNights,
      check_in_time: o.checkInTime ?? '15:00',
      check_out_time: '11:00',
      cancellation_policy: o.cancellationPolicy ?? 'flexible',
      instant_book: o.instantBook ?? true,
      status: publish ? 'listed' : 'draft',
      house_rules: null,
      published_at: publish ? now : null,
      deleted_at: null,
      ...(publish ? { updated_at: now } : {}),
    })
    .execute();
  const amenities = [...new Set(o.amenities ?? [])];
  if (amenities.length > 0) {
    await t.ctx.db
      .insertInto('property_amenities')
      .values(amenities.map((amenity_code) => ({ property_id: id, amenity_code })))
      .execute();
  }
  if (publish) {
    await t.ctx.cache.del(`property:${id}`);
    await t.ctx.cache.bump('search');
  }
  return { id };
}

// ---------------------------------------------------------------------------------------------- bookings

/** Statuses a booking factory can leave a booking in (the ones reached without refunds). */
export type FactoryBookingStatus = Extract<
  BookingStatusColumn,
  'pending_payment' | 'awaiting_host' | 'confirmed' | 'completed' | 'expired'
>;

export interface BookingInput {
  guestId: string;
  propertyId: string;
  checkIn: string;
  checkOut: string;
  guests?: number;
  message?: string | null;
  /**
   * Where to leave it (default `confirmed`). `awaiting_host`, `confirmed` and `completed` are paid: a
   * captured payment and its guest-charge ledger transaction come with them. `confirmed` on a listing
   * without instant book goes through `awaiting_host` and the host's acceptance.
   */
  status?: FactoryBookingStatus;
}

export interface FactoryBooking {
  id: string;
  hostId: string;
  total: number;
  currency: string;
  /** The captured payment (paid statuses only). */
  paymentId?: string;
}

const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** amount × bps / 10 000, rounded half up (the pricing rule). */
const applyBps = (amount: number, bps: number) => Math.floor((amount * bps + 5000) / 10_000);

/**
 * A booking of a listing taken to `status` with the rows the API writes on the way: the priced booking,
 * one event per status change (guest, host or system as actor), and for paid statuses a `succeeded`
 * sandbox payment plus the balanced guest-charge ledger transaction. No emails, no availability checks:
 * pick free nights (the database still refuses overlapping active bookings).
 */
export async function insertBooking(t: TestApp, input: BookingInput): Promise<FactoryBooking> {
  const db = t.ctx.db;
  const status = input.status ?? 'confirmed';
  const listing = await db
    .selectFrom('properties')
    .select([
      'host_id',
      'nightly_price',
      'currency',
      'cleaning_fee',
      'cancellation_policy',
      'check_in_time',
      'instant_book',
    ])
    .where('id', '=', input.propertyId)
    .executeTakeFirstOrThrow();
  const overrides = await db
    .selectFrom('property_calendar')
    .select(['night', 'price_override'])
    .where('property_id', '=', input.propertyId)
    .where('night', '>=', input.checkIn)
    .where('night', '<', input.checkOut)
    .execute();
  const overrideOf = new Map(overrides.map((r) => [String(r.night).slice(0, 10), r.price_override]));
  const nightly: { date: string; price: number }[] = [];
  for (let d = dayNumber(input.checkIn); d < dayNumber(input.checkOut); d++) {
    const date = dateOf(d);
    nightly.push({ date, price: overrideOf.get(date) ?? listing.nightly_price });
  }
  if (nightly.length === 0) throw new Error('insertBooking: checkOut must be after checkIn');
  const nightsSubtotal = nightly.reduce((s, n) => s + n.price, 0);
  const base = nightsSubtotal + listing.cleaning_fee;
  const serviceFee = applyBps(base, t.ctx.config.SERVICE_FEE_BPS);
  const taxes = applyBps(base, t.ctx.config.TAX_BPS);
  const total = base + serviceFee + taxes;

  const now = t.ctx.now();
  const id = newId();
  const hostId = listing.host_id;
  // Each change gets its own instant, so events keep their order when sorted by time.
  let tick = 0;
  const at = () => new Date(now.getTime() + tick++);
  const event = (
    from: BookingStatusColumn | null,
    to: BookingStatusColumn,
    actorId: string | null,
    reason: string | null,
  ) =>
    db
      .insertInto('booking_events')
      .values({
        id: newId(),
        booking_id: id,
        from_status: from,
        to_status: to,
        actor_id: actorId,
        reason,
        created_at: at(),
      })
      .execute();

  await db
    .insertInto('bookings')
    .values({
      id,
      property_id: input.propertyId,
      guest_id: input.guestId,
      host_id: hostId,
      check_in: input.checkIn,
      check_out: input.checkOut,
      guests: input.guests ?? 1,
      status: 'pending_payment',
      currency: listing.currency,
      nights_subtotal: nightsSubtotal,
      cleaning_fee: listing.cleaning_fee,
      service_fee: serviceFee,
      taxes,
      total,
      host_payout: base,
      nightly: JSON.stringify(nightly),
      cancellation_policy: listing.cancellation_policy,
      check_in_time: listing.check_in_time,
      instant_book: listing.instant_book,
      hold_expires_at: new Date(now.getTime() + t.ctx.config.BOOKING_HOLD_MINUTES * 60_000),
      guest_message: input.message ?? null,
    })
    .execute();
  await event(null, 'pending_payment', input.guestId, null);

  const path: [BookingStatusColumn, string | null, string | null][] = [];
  let paymentId: string | undefined;
  if (status === 'expired') {
    path.push(['expired', null, 'hold expired unpaid']);
  } else if (status !== 'pending_payment') {
    paymentId = await insertCapturedPayment(t, {
      bookingId: id,
      hostId,
      total,
      hostShare: base,
      serviceFee,
      taxes,
      currency: listing.currency,
    });
    path.push([listing.instant_book ? 'confirmed' : 'awaiting_host', input.guestId, 'paid']);
    if (!listing.instant_book && status !== 'awaiting_host') path.push(['confirmed', hostId, null]);
    if (status === 'completed') path.push(['completed', null, 'stay finished']);
    if (status === 'awaiting_host' && listing.instant_book) {
      throw new Error('insertBooking: an instant-book listing never leaves a paid booking awaiting the host');
    }
  }
  let from: BookingStatusColumn = 'pending_payment';
  for (const [to, actorId, reason] of path) {
    await db.updateTable('bookings').set({ status: to, updated_at: at() }).where('id', '=', id).execute();
    await event(from, to, actorId, reason);
    from = to;
  }
  await t.ctx.cache.bump('search');
  return { id, hostId, total, currency: listing.currency, ...(paymentId ? { paymentId } : {}) };
}

/**
 * A captured (`succeeded`) sandbox payment of a booking and its guest-charge ledger transaction, as a
 * successful `POST /bookings/:id/pay` records them. The provider reference is one the sandbox refunds.
 */
export async function insertCapturedPayment(
  t: TestApp,
  p: {
    bookingId: string;
    hostId: string;
    total: number;
    hostShare: number;
    serviceFee: number;
    taxes: number;
    currency: string;
  },
): Promise<string> {
  const db = t.ctx.db;
  const id = newId();
  await db
    .insertInto('payments')
    .values({
      id,
      booking_id: p.bookingId,
      provider: 'sandbox',
      provider_ref: `pi_sbx_${sha256Hex(id).slice(0, 24)}`,
      amount: p.total,
      currency: p.currency,
      status: 'succeeded',
      failure_reason: null,
    })
    .execute();
  if (p.hostShare + p.serviceFee + p.taxes !== p.total)
    throw new Error('insertCapturedPayment: unbalanced split');
  const entries = [
    { account: 'provider_clearing', amount: p.total },
    { account: `host_payable:${p.hostId}`, amount: -p.hostShare },
    { account: 'platform_revenue', amount: -p.serviceFee },
    { account: 'taxes_payable', amount: -p.taxes },
  ].filter((e) => e.amount !== 0);
  const transactionId = newId();
  await db
    .insertInto('ledger_transactions')
    .values({
      id: transactionId,
      kind: 'guest_charge',
      reference_type: 'payment',
      reference_id: id,
      currency: p.currency,
      memo: null,
    })
    .execute();
  await db
    .insertInto('ledger_entries')
    .values(entries.map((e) => ({ id: newId(), transaction_id: transactionId, currency: p.currency, ...e })))
    .execute();
  return id;
}

/**
 * What the scheduled `complete-stays` job does: every confirmed booking whose check-out day has come (by
 * `t.ctx.now()`) becomes completed, with a system event. Returns the ids it completed.
 */
export async function completeFinishedStays(t: TestApp): Promise<string[]> {
  const db = t.ctx.db;
  const now = t.ctx.now();
  const rows = await db
    .selectFrom('bookings')
    .select('id')
    .where('status', '=', 'confirmed')
    .where('check_out', '<=', now.toISOString().slice(0, 10))
    .orderBy('check_out')
    .execute();
  for (const { id } of rows) {
    await db
      .updateTable('bookings')
      .set({ status: 'completed', updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'confirmed')
      .execute();
    await db
      .insertInto('booking_events')
      .values({
        id: newId(),
        booking_id: id,
        from_status: 'confirmed',
        to_status: 'completed',
        actor_id: null,
        reason: 'stay finished',
        created_at: now,
      })
      .execute();
  }
  if (rows.length > 0) await t.ctx.cache.bump('search');
  return rows.map((r) => r.id);
}
