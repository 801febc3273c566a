/**
 * Bookings: quotes, reservations and their life cycle. The no-overlap rule is the database's
 * (an exclusion constraint); this service turns its refusal into a clear 409.
 */
import { findOrFail } from '../../db/find-or-fail.js';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { enqueueEmail } from '../../platform/email.js';
import { conflict, forbidden, invalidField, notFound } from '../../platform/errors.js';
import { withIdempotency } from '../../platform/idempotency.js';
import { countBooking } from '../../platform/metrics.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import { refundBookingPayment } from '../payments/payments.service.js';
import { type BookingTerms, getBookingTerms, nightlyCalendar } from '../properties/properties.repository.js';
import { findUserById } from '../users/users.repository.js';
import * as repo from './bookings.repository.js';
import { BookingCursor, type BookingView, type QuoteView } from './bookings.schemas.js';
import { checkInInstant, guestCancellationRefund } from './policy.js';
import { MAX_STAY_NIGHTS, nightCount, nightsOf, type PriceBreakdown, priceStay } from './pricing.js';
import { assertTransition, type BookingStatus } from './state.js';
import { transition } from './transitions.js';

export interface StayInput {
  propertyId: string;
  checkIn: string;
  checkOut: string;
  guests: number;
}

const todayOf = (d: Date) => d.toISOString().slice(0, 10);

function validateStay(ctx: ServiceContext, terms: BookingTerms, stay: StayInput): string[] {
  if (stay.checkOut <= stay.checkIn) throw invalidField('checkOut', 'must be after checkIn', 'invalid_dates');
  if (stay.checkIn < todayOf(ctx.now()))
    throw invalidField('checkIn', 'must not be in the past', 'invalid_dates');
  // Counted before anything is expanded: a far-away check-out is refused in constant time.
  const count = nightCount(stay.checkIn, stay.checkOut);
  if (count > MAX_STAY_NIGHTS) {
    throw invalidField('checkOut', `a stay may last at most ${MAX_STAY_NIGHTS} nights`, 'stay_too_long');
  }
  if (count < terms.minNights) {
    throw invalidField(
      'checkOut',
      `this listing needs a stay of at least ${terms.minNights} nights`,
      'stay_too_short',
    );
  }
  if (terms.maxNights !== null && count > terms.maxNights) {
    throw invalidField('checkOut', `this listing allows at most ${terms.maxNights} nights`, 'stay_too_long');
  }
  if (stay.guests > terms.maxGuests) {
    throw invalidField('guests', `this listing hosts at most ${terms.maxGuests} guests`, 'too_many_guests');
  }
  return nightsOf(stay.checkIn, stay.checkOut);
}

async function loadBookableTerms(ctx: ServiceContext, propertyId: string): Promise<BookingTerms> {
  const terms = await getBookingTerms(ctx.db, propertyId);
  if (!terms || terms.status !== 'listed') throw notFound('Property');
  return terms;
}

/** Price a stay night by night (calendar overrides applied); 409 if any night is blocked or taken. */
async function priceFor(ctx: ServiceContext, db: ServiceContext['db'], terms: BookingTerms, stay: StayInput) {
  const nights = validateStay(ctx, terms, stay);
  const calendar = await nightlyCalendar(db, terms.id, stay.checkIn, stay.checkOut);
  const taken = calendar.filter((n) => n.state !== 'available').map((n) => n.date);
  if (taken.length > 0) {
    throw conflict('dates_unavailable', `These dates are not available: ${taken.join(', ')}`);
  }
  const byDate = new Map(calendar.map((n) => [n.date, n.price]));
  return priceStay({
    currency: terms.currency,
    nights: nights.map((date) => ({ date, price: byDate.get(date) ?? terms.nightlyPrice })),
    cleaningFee: terms.cleaningFee,
    serviceFeeBps: ctx.config.SERVICE_FEE_BPS,
    taxBps: ctx.config.TAX_BPS,
  });
}

function toQuote(stay: StayInput, p: PriceBreakdown): QuoteView {
  return {
    propertyId: stay.propertyId,
    checkIn: stay.checkIn,
    checkOut: stay.checkOut,
    guests: stay.guests,
    currency: p.currency,
    nights: p.nightCount,
    nightly: p.nights,
    nightsSubtotal: p.nightsSubtotal,
    cleaningFee: p.cleaningFee,
    serviceFee: p.serviceFee,
    taxes: p.taxes,
    total: p.total,
  };
}

export async function quote(ctx: ServiceContext, stay: StayInput): Promise<QuoteView> {
  const terms = await loadBookableTerms(ctx, stay.propertyId);
  return toQuote(stay, await priceFor(ctx, ctx.db, terms, stay));
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
    cleaningFee: b.cleaning_fee,
    serviceFee: b.service_fee,
    taxes: b.taxes,
    total: b.total,
    refundedAmount: b.refunded_amount,
    cancellationPolicy: b.cancellation_policy,
    holdExpiresAt: b.hold_expires_at ? b.hold_expires_at.toISOString() : null,
    createdAt: new Date(b.created_at).toISOString(),
  };
}

export interface CreateBookingInput extends StayInput {
  message?: string | undefined;
}

/**
 * Reserve a stay: validated, priced with the quote's function, held unpaid until `hold_expires_at`.
 * With an idempotency key, a replay returns the first response and creates nothing.
 */
export async function createBooking(
  ctx: ServiceContext,
  actor: Actor,
  input: CreateBookingInput,
  idempotencyKey: string | undefined,
): Promise<{ status: number; body: BookingView; replayed: boolean }> {
  const terms = await loadBookableTerms(ctx, input.propertyId);
  if (terms.hostId === actor.userId) throw forbidden('You cannot book your own listing', 'own_listing');
  const run = async (db: ServiceContext['db']) => {
    const price = await priceFor(ctx, db, terms, input);
    const now = ctx.now();
    try {
      const row = await repo.insertBooking(db, {
        id: newId(),
        property_id: terms.id,
        guest_id: actor.userId,
        host_id: terms.hostId,
        check_in: input.checkIn,
        check_out: input.checkOut,
        guests: input.guests,
        status: 'pending_payment',
        currency: price.currency,
        nights_subtotal: price.nightsSubtotal,
        cleaning_fee: price.cleaningFee,
        service_fee: price.serviceFee,
        taxes: price.taxes,
        total: price.total,
        host_payout: price.hostPayout,
        nightly: JSON.stringify(price.nights),
        cancellation_policy: terms.cancellationPolicy,
        check_in_time: terms.checkInTime,
        instant_book: terms.instantBook,
        hold_expires_at: new Date(now.getTime() + ctx.config.BOOKING_HOLD_MINUTES * 60_000),
        guest_message: input.message ?? null,
      });
      await repo.insertEvent(db, row.id, null, 'pending_payment', { actorId: actor.userId, at: now });
      countBooking('pending_payment');
      await ctx.cache.bump('search');
      return { status: 201, body: toBookingView(row) };
    } catch (err) {
      if (repo.isOverlapViolation(err)) {
        throw conflict('dates_unavailable', 'These dates were just booked by someone else');
      }
      throw err;
    }
  };
  if (!idempotencyKey) {
    const result = await inTransaction(ctx.db, run);
    await ctx.cache.bump('search'); // again after commit: a search between the two bumps saw the old nights
    return { ...result, replayed: false };
  }
  return withIdempotency(
    ctx.db,
    { userId: actor.userId, scope: 'create_booking', key: idempotencyKey, request: input },
    run,
  );
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

/**
 * Cancel a booking. The guest gets the listing policy's refund (full while awaiting the host or unpaid);
 * a host cancellation always refunds in full.
 */
export async function cancelBooking(ctx: ServiceContext, actor: Actor, id: string, reason?: string) {
  const visible = await getBookingFor(ctx, actor, id);
  const byGuest = visible.guest_id === actor.userId;
  const byHost = visible.host_id === actor.userId || (actor.role === 'admin' && !byGuest);
  return inTransaction(ctx.db, async (trx) => {
    const booking = await findOrFail(repo.lockBooking(trx, id), 'Booking');
    const to: BookingStatus = byGuest ? 'cancelled_by_guest' : 'cancelled_by_host';
    if (!byGuest && !byHost) throw notFound('Booking');
    assertTransition(booking.status, to);
    let refund = 0;
    if (booking.status !== 'pending_payment') {
      const paid = booking.total - booking.refunded_amount;
      if (!byGuest || booking.status === 'awaiting_host') {
        refund = paid;
      } else {
        refund = guestCancellationRefund(
          booking.cancellation_policy,
          paid,
          checkInInstant(booking.check_in, booking.check_in_time),
          ctx.now(),
        ).amount;
      }
    }
    if (refund > 0) await refundBookingPayment(ctx, trx, booking, refund, to);
    return toBookingView(await transition(ctx, trx, booking, to, actor.userId, reason));
  });
}

/** The host answers a request to book (a paid booking of a listing without instant book). */
export async function respondToRequest(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  accept: boolean,
  reason?: string,
) {
  const visible = await getBookingFor(ctx, actor, id);
  if (visible.host_id !== actor.userId && actor.role !== 'admin') {
    throw forbidden('Only the host can answer a booking request');
  }
  return inTransaction(ctx.db, async (trx) => {
    const booking = await findOrFail(repo.lockBooking(trx, id), 'Booking');
    // Only a paid request waits for the host: an unpaid hold is confirmed by its payment, never by hand.
    if (booking.status !== 'awaiting_host') {
      throw conflict(
        'illegal_transition',
        `Only a booking awaiting the host can be ${accept ? 'accepted' : 'declined'}; this one is ${booking.status.replaceAll('_', ' ')}`,
      );
    }
    if (accept) return toBookingView(await transition(ctx, trx, booking, 'confirmed', actor.userId, reason));
    const refund = booking.total - booking.refunded_amount;
    if (refund > 0) await refundBookingPayment(ctx, trx, booking, refund, 'declined');
    return toBookingView(await transition(ctx, trx, booking, 'declined', actor.userId, reason));
  });
}

/** Expire unpaid holds past their time, freeing their nights. Returns how many expired. */
export async function expireUnpaidHolds(ctx: ServiceContext, batch = 500): Promise<number> {
  return inTransaction(ctx.db, async (trx) => {
    const rows = await repo.lockExpiredHolds(trx, ctx.now(), batch);
    for (const b of rows) await transition(ctx, trx, b, 'expired', null, 'hold expired unpaid');
    return rows.length;
  });
}

/** Mark confirmed stays whose check-out day has come as completed. Returns how many. */
export async function completeFinishedStays(ctx: ServiceContext, batch = 500): Promise<number> {
  return inTransaction(ctx.db, async (trx) => {
    const rows = await repo.lockFinishedStays(trx, todayOf(ctx.now()), batch);
    for (const b of rows) await transition(ctx, trx, b, 'completed', null, 'stay finished');
    return rows.length;
  });
}

/** Email guests whose stay starts tomorrow; at most one reminder per booking (outbox dedupe key). */
export async function queueCheckinReminders(ctx: ServiceContext): Promise<number> {
  const tomorrow = todayOf(new Date(ctx.now().getTime() + 86_400_000));
  let queued = 0;
  for (const b of await repo.confirmedStartingOn(ctx.db, tomorrow)) {
    const guest = await findUserById(ctx.db, b.guest_id);
    if (!guest) continue;
    const id = await enqueueEmail(ctx.db, {
      to: guest.email,
      template: 'checkin_reminder',
      data: {
        firstName: guest.first_name,
        bookingId: b.id,
        checkIn: b.check_in,
        checkInTime: b.check_in_time,
      },
      dedupeKey: `checkin_reminder:${b.id}`,
    });
    if (id) queued++;
  }
  return queued;
}

/** Ask guests whose stay ended yesterday for a review; at most one reminder per booking. */
export async function queueReviewReminders(ctx: ServiceContext): Promise<number> {
  const yesterday = todayOf(new Date(ctx.now().getTime() - 86_400_000));
  let queued = 0;
  for (const b of await repo.completedEndingOn(ctx.db, yesterday)) {
    const guest = await findUserById(ctx.db, b.guest_id);
    if (!guest) continue;
    const id = await enqueueEmail(ctx.db, {
      to: guest.email,
      template: 'review_reminder',
      data: { firstName: guest.first_name, bookingId: b.id, checkOut: b.check_out },
      dedupeKey: `review_reminder:${b.id}`,
    });
    if (id) queued++;
  }
  return queued;
}
