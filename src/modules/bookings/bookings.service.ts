/**
 * Bookings: reservations and their life cycle. The no-overlap rule is the database's (an exclusion
 * constraint); this service turns its refusal into a clear 409. It knows nothing of listings, payments or
 * users: flows (src/flows) hand it a listing's terms and price, and carry out the refunds it decides.
 */
import { Type } from 'typebox';
import { findOrFail } from '../../db/find-or-fail.js';
import { afterCommit, inTransaction } from '../../db/transaction.js';
import { type Actor, assertRole } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { conflict, forbidden, notFound } from '../../platform/errors.js';
import { countBooking } from '../../platform/metrics.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import * as repo from './bookings.repository.js';
import { BookingCursor, type BookingView } from './bookings.schemas.js';
import { checkInInstant, guestCancellationRefund, POLICIES } from './policy.js';
import { assertTransition, type BookingStatus } from './state.js';
import { transition } from './transitions.js';

export type { BookingRow } from './bookings.repository.js';
export { transition } from './transitions.js';

type Db = ServiceContext['db'];

const todayOf = (d: Date) => d.toISOString().slice(0, 10);

/** What booking needs to know of the listing (the listing's booking terms carry at least this). */
export interface ListingTerms {
  id: string;
  hostId: string;
  cancellationPolicy: 'flexible' | 'moderate' | 'strict';
  checkInTime: string;
  instantBook: boolean;
}

/** A stay's price as the listing computed it (night by night, fees, taxes, the host's share). */
export interface StayPrice {
  currency: string;
  nights: { date: string; price: number }[];
  nightsSubtotal: number;
  discountPct: number;
  discount: number;
  extraGuestFees: number;
  cleaningFee: number;
  serviceFee: number;
  hostFee: number;
  taxLines: { name: string; kind: 'percent' | 'per_night'; rateBps: number | null; amount: number }[];
  taxes: number;
  total: number;
  hostPayout: number;
}

/** The booking columns a stay's price fills (a new booking, and a booking whose stay changed). */
export function priceColumns(price: StayPrice) {
  return {
    currency: price.currency,
    nights_subtotal: price.nightsSubtotal,
    discount_pct: price.discountPct,
    discount: price.discount,
    extra_guest_fees: price.extraGuestFees,
    cleaning_fee: price.cleaningFee,
    service_fee: price.serviceFee,
    host_fee: price.hostFee,
    taxes: price.taxes,
    tax_lines: JSON.stringify(price.taxLines),
    total: price.total,
    host_payout: price.hostPayout,
    nightly: JSON.stringify(price.nights),
  };
}

export interface CreateBookingInput {
  propertyId: string;
  checkIn: string;
  checkOut: string;
  guests: number;
  message?: string | undefined;
}

export function toBookingView(b: repo.BookingRow): BookingView {
  return {
    id: b.id,
    propertyId: b.property_id,
    guestId: b.guest_id,
    hostId: b.host_id,
    checkIn: b.check_in,
    checkOut: b.check_out,
    guests: b.guests,
    status: b.status,
    currency: b.currency,
    nights: b.nightly.length,
    nightly: b.nightly,
    nightsSubtotal: b.nights_subtotal,
    discountPct: b.discount_pct,
    discount: b.discount,
    extraGuestFees: b.extra_guest_fees,
    cleaningFee: b.cleaning_fee,
    serviceFee: b.service_fee,
    taxLines: taxLinesOf(b),
    taxes: b.taxes,
    total: b.total,
    refundedAmount: b.refunded_amount,
    cancellationPolicy: b.cancellation_policy,
    holdExpiresAt: b.hold_expires_at ? b.hold_expires_at.toISOString() : null,
    requestExpiresAt:
      b.status === 'awaiting_host' && b.request_expires_at
        ? new Date(b.request_expires_at).toISOString()
        : null,
    message: b.guest_message,
    createdAt: new Date(b.created_at).toISOString(),
  };
}

/**
 * A booking's taxes by name. Bookings made before taxes had lines carry one line, "Taxes", of their
 * whole tax (if any).
 */
export function taxLinesOf(b: Pick<repo.BookingRow, 'tax_lines' | 'taxes'>): StayPrice['taxLines'] {
  if (b.tax_lines) return b.tax_lines;
  return b.taxes > 0 ? [{ name: 'Taxes', kind: 'percent', rateBps: null, amount: b.taxes }] : [];
}

/** A guest may not book their own listing. */
export function assertMayBook(actor: Actor, listing: ListingTerms): void {
  if (listing.hostId === actor.userId) throw forbidden('You cannot book your own listing', 'own_listing');
}

/**
 * Hold a priced stay unpaid until `hold_expires_at`, in the caller's transaction (the one the price was
 * read in). Another booking of any of these nights makes it a 409.
 */
export async function holdStay(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  input: CreateBookingInput,
  listing: ListingTerms,
  price: StayPrice,
): Promise<BookingView> {
  const now = ctx.now();
  try {
    const row = await repo.insertBooking(trx, {
      id: newId(),
      property_id: listing.id,
      guest_id: actor.userId,
      host_id: listing.hostId,
      check_in: input.checkIn,
      check_out: input.checkOut,
      guests: input.guests,
      status: 'pending_payment',
      ...priceColumns(price),
      cancellation_policy: listing.cancellationPolicy,
      check_in_time: listing.checkInTime,
      instant_book: listing.instantBook,
      hold_expires_at: new Date(now.getTime() + ctx.config.BOOKING_HOLD_MINUTES * 60_000),
      guest_message: input.message ?? null,
    });
    await repo.insertEvent(trx, row.id, null, 'pending_payment', { actorId: actor.userId, at: now });
    afterCommit(trx, () => {
      countBooking('pending_payment');
      // These nights are taken now: cached search pages are stale.
      return ctx.cache.bump('search');
    });
    return toBookingView(row);
  } catch (err) {
    if (repo.isOverlapViolation(err)) {
      throw conflict('dates_unavailable', 'These dates were just booked by someone else');
    }
    throw err;
  }
}

/** The booking if the actor is its guest, its host or an admin; 404 otherwise (existence is not leaked). */
export async function getBookingFor(ctx: ServiceContext, actor: Actor, id: string): Promise<repo.BookingRow> {
  const booking = await repo.findBooking(ctx.db, id);
  if (!booking || !canSee(actor, booking)) throw notFound('Booking');
  return booking;
}

function canSee(actor: Actor, b: repo.BookingRow) {
  return actor.role === 'admin' || b.guest_id === actor.userId || b.host_id === actor.userId;
}

/** A booking by id, for a flow that checks what it may do with it itself (e.g. a completed stay to review). */
export function findBooking(ctx: ServiceContext, id: string): Promise<repo.BookingRow | undefined> {
  return repo.findBooking(ctx.db, id);
}

export async function getBooking(ctx: ServiceContext, actor: Actor, id: string) {
  const booking = await getBookingFor(ctx, actor, id);
  const events = await repo.listEvents(ctx.db, id);
  return {
    ...toBookingView(booking),
    events: events.map((e) => ({
      from: e.from_status,
      to: e.to_status,
      actorId: e.actor_id,
      reason: e.reason,
      at: new Date(e.created_at).toISOString(),
    })),
  };
}

export async function listBookings(
  ctx: ServiceContext,
  actor: Actor,
  q: {
    as: 'guest' | 'host';
    when?: 'upcoming' | 'past';
    propertyId?: string;
    limit: number;
    cursor?: string;
  },
) {
  if (q.as === 'host' && actor.role === 'guest')
    throw forbidden('Only hosts have bookings of their listings');
  const after = q.cursor ? decodeCursor<{ checkIn: string; id: string }>(q.cursor, BookingCursor) : undefined;
  const rows = await repo.listBookings(ctx.db, {
    ...(q.as === 'guest' ? { guestId: actor.userId } : { hostId: actor.userId }),
    propertyId: q.propertyId,
    when: q.when,
    today: todayOf(ctx.now()),
    after,
    limit: q.limit + 1,
  });
  return toPage(rows, q.limit, toBookingView, (b) => ({ checkIn: b.check_in, id: b.id }));
}

/** A guest's most recent bookings (by check-in, newest first), summarized: the admin's view of a user. */
export async function listBookingsOfGuest(ctx: ServiceContext, guestId: string, limit: number) {
  // "Past" as of the end of time: every booking, newest check-in first.
  const rows = await repo.listBookings(ctx.db, {
    guestId,
    when: 'past',
    today: '9999-12-31',
    limit: Math.min(Math.max(limit, 1), 100),
  });
  return rows.map((b) => ({
    id: b.id,
    propertyId: b.property_id,
    checkIn: b.check_in,
    checkOut: b.check_out,
    status: b.status,
    total: b.total,
    currency: b.currency,
  }));
}

/** Lock a booking for a change, in the caller's transaction. */
export function lockBooking(trx: Db, id: string): Promise<repo.BookingRow> {
  return findOrFail(repo.lockBooking(trx, id), 'Booking');
}

export interface CancellationPlan {
  booking: repo.BookingRow;
  to: Extract<BookingStatus, 'cancelled_by_guest' | 'cancelled_by_host'>;
  /** What goes back to the guest: the listing policy's share for a guest, everything for a host. */
  refund: number;
}

/**
 * Lock a booking the actor may cancel and decide the cancellation: the guest gets the listing policy's
 * refund (full while awaiting the host); a host (or an admin on the host's behalf) always refunds in full;
 * an unpaid hold refunds nothing. Changes nothing: the flow applies the plan.
 */
export async function planCancellation(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  id: string,
): Promise<CancellationPlan> {
  const booking = await lockBooking(trx, id);
  if (!canSee(actor, booking)) throw notFound('Booking');
  const side = booking.guest_id === actor.userId ? 'guest' : 'host';
  return { booking, ...decideCancellation(ctx, booking, side, 'policy') };
}

/** Who an admin cancels for, and whether the guest gets the policy's refund or everything paid. */
export interface AdminCancellationOptions {
  onBehalfOf: 'host' | 'guest';
  refund: 'policy' | 'full';
}

export interface CancellationDecision {
  to: CancellationPlan['to'];
  refund: number;
  /** What the guest has paid and not yet been refunded. */
  paid: number;
  /** The rule applied, in words (for an operator about to confirm). */
  explanation: string;
}

/**
 * What cancelling `booking` on `side`'s behalf means (409 `illegal_transition` if it cannot be): the
 * guest's side follows the listing's cancellation policy (everything while awaiting the host), the host's
 * side refunds everything; `full` refunds everything paid whichever side cancels. Pure: reads the clock.
 */
export function decideCancellation(
  ctx: ServiceContext,
  booking: repo.BookingRow,
  side: 'guest' | 'host',
  refundMode: 'policy' | 'full',
): CancellationDecision {
  const to = side === 'guest' ? 'cancelled_by_guest' : 'cancelled_by_host';
  assertTransition(booking.status, to);
  if (booking.status === 'pending_payment') {
    return { to, refund: 0, paid: 0, explanation: 'Unpaid hold: nothing was paid, nothing to refund.' };
  }
  const paid = booking.total - booking.refunded_amount;
  if (refundMode === 'full') {
    return { to, refund: paid, paid, explanation: 'Full refund: everything paid goes back to the guest.' };
  }
  if (side === 'host') {
    return { to, refund: paid, paid, explanation: 'Cancelled by the host: the guest gets everything back.' };
  }
  if (booking.status === 'awaiting_host') {
    return {
      to,
      refund: paid,
      paid,
      explanation: 'The host had not accepted yet: the guest gets everything back.',
    };
  }
  const rule = POLICIES[booking.cancellation_policy];
  const checkIn = checkInInstant(booking.check_in, booking.check_in_time);
  const { percent, amount } = guestCancellationRefund(booking.cancellation_policy, paid, checkIn, ctx.now());
  const hours = rule.before / 3_600_000;
  const cutoff = hours % 24 === 0 ? `${hours / 24} day(s)` : `${hours} hour(s)`;
  const inTime = checkIn.getTime() - ctx.now().getTime() >= rule.before;
  return {
    to,
    refund: amount,
    paid,
    explanation:
      `${booking.cancellation_policy} policy: ${rule.percent}% back if cancelled at least ${cutoff} before ` +
      `check-in (${checkIn.toISOString()}), ${rule.after}% after; this is ${inTime ? 'in time' : 'late'}: ${percent}%.`,
  };
}

/** Admin only: lock a booking and decide its cancellation on a side's behalf (the flow applies it). */
export async function planAdminCancellation(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  id: string,
  opts: AdminCancellationOptions,
): Promise<CancellationPlan & CancellationDecision> {
  assertRole(actor, 'admin');
  const booking = await lockBooking(trx, id);
  return { booking, ...decideCancellation(ctx, booking, opts.onBehalfOf, opts.refund) };
}

/** Admin only: what `planAdminCancellation` would decide now, without locking or changing anything. */
export async function previewAdminCancellationDecision(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  opts: AdminCancellationOptions,
): Promise<CancellationDecision & { booking: repo.BookingRow }> {
  assertRole(actor, 'admin');
  const booking = await repo.findBooking(ctx.db, id);
  if (!booking) throw notFound('Booking');
  return { booking, ...decideCancellation(ctx, booking, opts.onBehalfOf, opts.refund) };
}

/** Lock a request to book that the actor (its host, or an admin) may answer; 409 unless it awaits the host. */
export async function lockRequest(
  trx: Db,
  actor: Actor,
  id: string,
  accept: boolean,
): Promise<repo.BookingRow> {
  const booking = await lockBooking(trx, id);
  if (!canSee(actor, booking)) throw notFound('Booking');
  if (booking.host_id !== actor.userId && actor.role !== 'admin') {
    throw forbidden('Only the host can answer a booking request');
  }
  // Only a paid request waits for the host: an unpaid hold is confirmed by its payment, never by hand.
  if (booking.status !== 'awaiting_host') {
    throw conflict(
      'illegal_transition',
      `Only a booking awaiting the host can be ${accept ? 'accepted' : 'declined'}; this one is ${booking.status.replaceAll('_', ' ')}`,
    );
  }
  return booking;
}

/** Lock a booking its guest is about to pay; 404 for anyone else. */
export async function lockForPayment(trx: Db, actor: Actor, id: string): Promise<repo.BookingRow> {
  const booking = await repo.lockBooking(trx, id);
  if (!booking || booking.guest_id !== actor.userId) throw notFound('Booking');
  return booking;
}

/** 409 unless the booking is an unpaid hold still within its time. */
export function assertPayable(ctx: ServiceContext, booking: repo.BookingRow): void {
  if (booking.status !== 'pending_payment') {
    throw conflict('not_payable', `A booking that is ${booking.status.replaceAll('_', ' ')} cannot be paid`);
  }
  if (booking.hold_expires_at && booking.hold_expires_at.getTime() <= ctx.now().getTime()) {
    throw conflict('hold_expired', 'The hold on these dates has expired; book again');
  }
}

/**
 * The payment of a locked booking has succeeded: an unpaid hold becomes confirmed (instant book) or a
 * request awaiting the host. Returns null when the booking is no longer waiting for its money (it expired
 * or was cancelled while an asynchronous payment was pending): that money must go back.
 */
export async function markPaid(
  ctx: ServiceContext,
  trx: Db,
  booking: repo.BookingRow,
): Promise<repo.BookingRow | null> {
  if (booking.status !== 'pending_payment') return null;
  if (booking.instant_book) return transition(ctx, trx, booking, 'confirmed', booking.guest_id, 'paid');
  // A request: the host has BOOKING_REQUEST_HOURS to answer before it expires, refunded in full.
  const requestExpiresAt = new Date(ctx.now().getTime() + ctx.config.BOOKING_REQUEST_HOURS * 3_600_000);
  return transition(ctx, trx, booking, 'awaiting_host', booking.guest_id, 'paid', { requestExpiresAt });
}

/** Money promised back to the guest (positive) or given back to the booking after a refused refund (negative). */
export async function addRefunded(ctx: ServiceContext, trx: Db, bookingId: string, amount: number) {
  await repo.addRefunded(trx, bookingId, amount, ctx.now());
}

/** How a booking's total splits between host, platform and taxes (what the ledger records). */
export function chargeSplit(b: repo.BookingRow) {
  return {
    total: b.total,
    hostShare: b.host_payout,
    // Both service fees are the platform's: the guest's (on top of the stay) and the host's (out of it).
    serviceFee: b.service_fee + b.host_fee,
    taxes: b.taxes,
    hostId: b.host_id,
  };
}

/**
 * Give a locked confirmed booking a new stay (dates, guests, the new stay's price), in the caller's
 * transaction, with an event; 409 `dates_unavailable` when another booking holds one of the new nights
 * (the database's no-overlap guard). The flow (src/flows/change-booking.ts) moves the money.
 */
export async function applyStayChange(
  ctx: ServiceContext,
  trx: Db,
  booking: repo.BookingRow,
  stay: { checkIn: string; checkOut: string; guests: number },
  price: StayPrice,
  event: { actorId: string | null; reason: string },
): Promise<repo.BookingRow> {
  let changed: repo.BookingRow;
  try {
    changed = await repo.changeStay(
      trx,
      booking,
      { check_in: stay.checkIn, check_out: stay.checkOut, guests: stay.guests, ...priceColumns(price) },
      { ...event, at: ctx.now() },
    );
  } catch (err) {
    if (repo.isOverlapViolation(err)) {
      throw conflict('dates_unavailable', 'These dates were just booked by someone else');
    }
    throw err;
  }
  afterCommit(trx, () => ctx.cache.bump('search'));
  return changed;
}

/** Expire unpaid holds past their time, freeing their nights. Returns how many expired. */
export async function expireUnpaidHolds(ctx: ServiceContext, batch = 500): Promise<number> {
  return inTransaction(ctx.db, async (trx) => {
    const rows = await repo.lockExpiredHolds(trx, ctx.now(), batch);
    for (const b of rows) await transition(ctx, trx, b, 'expired', null, 'hold expired unpaid');
    return rows.length;
  });
}

/** Lock paid requests whose answer time has passed (the caller expires and refunds them). */
export function lockUnansweredRequests(
  ctx: ServiceContext,
  trx: Db,
  batch = 200,
): Promise<repo.BookingRow[]> {
  return repo.lockUnansweredRequests(trx, ctx.now(), batch);
}

/** Mark confirmed stays whose check-out day has come as completed. Returns how many. */
export async function completeFinishedStays(ctx: ServiceContext, batch = 500): Promise<number> {
  return inTransaction(ctx.db, async (trx) => {
    const rows = await repo.lockFinishedStays(trx, todayOf(ctx.now()), batch);
    for (const b of rows) await transition(ctx, trx, b, 'completed', null, 'stay finished');
    return rows.length;
  });
}

/** Confirmed stays starting `daysFromToday` days from now (1 = tomorrow), for reminders. */
export function confirmedStaysStarting(ctx: ServiceContext, daysFromToday: number) {
  return repo.confirmedStartingOn(
    ctx.db,
    todayOf(new Date(ctx.now().getTime() + daysFromToday * 86_400_000)),
  );
}

/** Completed stays that ended `daysAgo` days ago (1 = yesterday), for review reminders. */
export function completedStaysEnded(ctx: ServiceContext, daysAgo: number) {
  return repo.completedEndingOn(ctx.db, todayOf(new Date(ctx.now().getTime() - daysAgo * 86_400_000)));
}

const DAY_MS = 86_400_000;
const shiftDay = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/**
 * Development only (the demo world's "advance the clock"): a confirmed stay is moved into the past — the
 * same number of nights, ending today, or on the latest earlier day its listing is free (within the review
 * window) — and completed through the state machine, so its guest can review it now. Its price and
 * payment are left as they are. 409 for any other status, or when the listing has no free slot.
 */
export async function completeStayEarly(
  ctx: ServiceContext,
  actor: Actor | null,
  id: string,
): Promise<BookingView> {
  try {
    return await inTransaction(ctx.db, async (trx) => {
      const booking = await lockBooking(trx, id);
      if (booking.status !== 'confirmed') {
        throw conflict(
          'illegal_transition',
          `Only a confirmed stay can be completed early; this one is ${booking.status.replaceAll('_', ' ')}`,
        );
      }
      const today = todayOf(ctx.now());
      const nights = Math.round(
        (Date.parse(`${booking.check_out}T00:00:00Z`) - Date.parse(`${booking.check_in}T00:00:00Z`)) / DAY_MS,
      );
      const window = ctx.config.REVIEW_WINDOW_DAYS;
      const taken = await repo.occupiedRanges(
        trx,
        booking.property_id,
        booking.id,
        shiftDay(today, -window - nights),
      );
      let checkOut: string | undefined;
      for (let back = 0; back < window && !checkOut; back++) {
        const out = shiftDay(today, -back);
        const inn = shiftDay(out, -nights);
        if (!taken.some((r) => r.check_in < out && r.check_out > inn)) checkOut = out;
      }
      if (!checkOut) {
        throw conflict(
          'dates_unavailable',
          `The listing has no ${nights} free night(s) in the last ${window} days to move this stay to`,
        );
      }
      const checkIn = shiftDay(checkOut, -nights);
      const moved = await repo.moveStay(
        trx,
        booking,
        {
          checkIn,
          checkOut,
          nightly: booking.nightly.map((n, i) => ({ date: shiftDay(checkIn, i), price: n.price })),
        },
        ctx.now(),
      );
      const done = await transition(
        ctx,
        trx,
        moved,
        'completed',
        actor?.userId ?? null,
        `stay moved to ${checkIn}..${checkOut} and completed (development)`,
      );
      return toBookingView(done);
    });
  } catch (err) {
    if (repo.isOverlapViolation(err)) {
      throw conflict('dates_unavailable', 'Another booking took those nights meanwhile; try again');
    }
    throw err;
  }
}

/** A booking's status changes, oldest first (the caller has checked the actor may see the booking). */
export function bookingEvents(ctx: ServiceContext, id: string) {
  return repo.listEvents(ctx.db, id);
}

/** Admin search filters (a guest by email is resolved by the flow, src/flows/admin-bookings.ts). */
export type AdminBookingFilter = Omit<repo.AdminBookingFilter, 'beforeId' | 'limit'> & {
  limit: number;
  cursor?: string | undefined;
};

const AdminBookingCursor = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Admin only: bookings matching every filter given, newest first, keyset-paged. */
export async function adminSearchBookingRows(
  ctx: ServiceContext,
  actor: Actor,
  q: AdminBookingFilter,
): Promise<{ items: repo.BookingRow[]; nextCursor: string | null }> {
  assertRole(actor, 'admin');
  const after = q.cursor ? decodeCursor<{ id: string }>(q.cursor, AdminBookingCursor) : undefined;
  const rows = await repo.searchBookings(ctx.db, { ...q, beforeId: after?.id, limit: q.limit + 1 });
  return toPage(
    rows,
    q.limit,
    (r) => r,
    (r) => ({ id: r.id }),
  );
}

/** Confirmed or completed stays checking in and out on `day` (the operator dashboard). */
export async function staysStartingAndEnding(ctx: ServiceContext, day: string) {
  const [checkIns, checkOuts] = await Promise.all([
    repo.countStaysOn(ctx.db, 'check_in', day),
    repo.countStaysOn(ctx.db, 'check_out', day),
  ]);
  return { checkIns, checkOuts };
}

/** Bookings created since `since` per UTC day and currency: count, and revenue of confirmed/completed ones. */
export function bookingsByDay(ctx: ServiceContext, since: Date) {
  return repo.bookingsByDay(ctx.db, since);
}
