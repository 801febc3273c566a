/**
 * Booking changes (the module's side): who may ask and answer, which bookings may change, the change
 * rows and their views. The flow (src/flows/change-booking.ts) prices the new stay and moves the money.
 */
import type { BookingChangeStatus, SplitSnapshot } from '../../db/schema/booking-changes.js';
import type { Actor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { badRequest, conflict, forbidden, notFound } from '../../platform/errors.js';
import * as bookingsRepo from './bookings.repository.js';
import * as repo from './changes.repository.js';
import type { ChangeInput, ChangeView } from './changes.schemas.js';
import { checkInInstant } from './policy.js';

type Db = ServiceContext['db'];

export type { BookingChangeRow } from './changes.repository.js';
export type { SplitSnapshot };

export const OPEN_CHANGE_STATUSES: readonly BookingChangeStatus[] = ['requested', 'awaiting_payment'];

export function toChangeView(c: repo.BookingChangeRow): ChangeView {
  const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
  const day = (d: string | Date) => (typeof d === 'string' ? d.slice(0, 10) : d.toISOString().slice(0, 10));
  return {
    id: c.id,
    bookingId: c.booking_id,
    status: c.status,
    requestedBy: c.requested_by,
    currency: c.currency,
    from: {
      checkIn: day(c.from_check_in),
      checkOut: day(c.from_check_out),
      guests: c.from_guests,
      total: Number(c.from_total),
    },
    to: {
      checkIn: day(c.to_check_in),
      checkOut: day(c.to_check_out),
      guests: c.to_guests,
      total: Number(c.to_total),
    },
    difference: Number(c.difference),
    paymentId: c.payment_id,
    refundId: c.refund_id,
    decidedBy: c.decided_by,
    decidedAt: iso(c.decided_at),
    appliedAt: iso(c.applied_at),
    reason: c.reason,
    createdAt: new Date(c.created_at).toISOString(),
  };
}

const canSee = (actor: Actor, b: bookingsRepo.BookingRow) =>
  actor.role === 'admin' || b.guest_id === actor.userId || b.host_id === actor.userId;

/**
 * Lock a booking for a change decision by `who`: its guest (asks, withdraws, pays) or its host (an admin
 * may act for the host). 404 for anyone who cannot see the booking; 403 for the other party.
 */
export async function lockBookingAs(
  trx: Db,
  actor: Actor,
  bookingId: string,
  who: 'guest' | 'host',
): Promise<bookingsRepo.BookingRow> {
  const booking = await bookingsRepo.lockBooking(trx, bookingId);
  if (!booking || !canSee(actor, booking)) throw notFound('Booking');
  if (who === 'guest' && booking.guest_id !== actor.userId) {
    throw forbidden(
      'Only the guest of a booking can ask to change it, withdraw or pay the change',
      'not_the_guest',
    );
  }
  if (who === 'host' && booking.host_id !== actor.userId && actor.role !== 'admin') {
    throw forbidden('Only the host of a booking can accept or decline a change', 'not_the_host');
  }
  return booking;
}

/** The booking if the actor may see it (guest, host, admin); 404 otherwise. */
export async function bookingVisibleTo(db: Db, actor: Actor, bookingId: string) {
  const booking = await bookingsRepo.findBooking(db, bookingId);
  if (!booking || !canSee(actor, booking)) throw notFound('Booking');
  return booking;
}

/**
 * 409 unless the booking's stay may still change: confirmed, not yet begun (its check-in instant is in
 * the future), and never refunded (a partial refund is a share of the original stay's components).
 */
export function assertChangeable(ctx: ServiceContext, booking: bookingsRepo.BookingRow): void {
  if (booking.status !== 'confirmed') {
    throw conflict(
      'not_changeable',
      `Only a confirmed booking can be changed; this one is ${booking.status.replaceAll('_', ' ')}`,
    );
  }
  if (checkInInstant(booking.check_in, booking.check_in_time).getTime() <= ctx.now().getTime()) {
    throw conflict('stay_started', 'The stay has begun: it can no longer be changed');
  }
  if (booking.refunded_amount > 0) {
    throw conflict('booking_refunded', 'A booking that was partly refunded cannot be changed');
  }
}

/** The stay asked for: the booking's, with what the guest changes; 400 `same_stay` when nothing does. */
export function newStayOf(booking: bookingsRepo.BookingRow, input: ChangeInput) {
  const stay = {
    propertyId: booking.property_id,
    checkIn: input.checkIn ?? booking.check_in,
    checkOut: input.checkOut ?? booking.check_out,
    guests: input.guests ?? booking.guests,
  };
  if (
    stay.checkIn === booking.check_in &&
    stay.checkOut === booking.check_out &&
    stay.guests === booking.guests
  ) {
    throw badRequest('same_stay', 'The change asks for the stay the booking already has', [
      { field: 'checkIn', message: 'dates and guests are those of the booking', in: 'body' },
    ]);
  }
  return stay;
}

/** Record a change in `requested`; 409 `change_pending` if the booking has an open one already. */
export async function insertRequested(
  trx: Db,
  booking: bookingsRepo.BookingRow,
  actor: Actor,
  stay: { checkIn: string; checkOut: string; guests: number },
  price: { total: number } & object,
  reason: string | null,
): Promise<repo.BookingChangeRow> {
  if (await repo.findOpenChange(trx, booking.id)) {
    throw conflict('change_pending', 'This booking already has a change waiting; withdraw it first');
  }
  try {
    return await repo.insertChange(trx, {
      id: newId(),
      booking_id: booking.id,
      requested_by: actor.userId,
      status: 'requested',
      from_check_in: booking.check_in,
      from_check_out: booking.check_out,
      from_guests: booking.guests,
      to_check_in: stay.checkIn,
      to_check_out: stay.checkOut,
      to_guests: stay.guests,
      currency: booking.currency,
      from_total: booking.total,
      price: JSON.stringify(price),
      to_total: price.total,
      difference: price.total - booking.total,
      payment_id: null,
      refund_id: null,
      reason,
    });
  } catch (err) {
    if (repo.isOpenChangeViolation(err)) {
      throw conflict('change_pending', 'This booking already has a change waiting; withdraw it first');
    }
    throw err;
  }
}

/** Lock a change of this booking; 404 if it is not one of its changes. */
export async function lockChangeOf(trx: Db, bookingId: string, changeId: string) {
  const change = await repo.lockChange(trx, changeId);
  if (change?.booking_id !== bookingId) throw notFound('Change');
  return change;
}

/** 409 unless the change is in one of `statuses`. */
export function assertChangeStatus(
  change: repo.BookingChangeRow,
  statuses: readonly BookingChangeStatus[],
  doing: string,
): void {
  if (!statuses.includes(change.status)) {
    throw conflict(
      'illegal_change_transition',
      `A change that is ${change.status.replaceAll('_', ' ')} cannot be ${doing}`,
    );
  }
}

export function updateChange(
  ctx: ServiceContext,
  trx: Db,
  id: string,
  patch: Parameters<typeof repo.updateChange>[2],
) {
  return repo.updateChange(trx, id, patch, ctx.now());
}

/** A booking's changes, newest first (the caller has checked the actor may see the booking). */
export async function listChanges(db: Db, bookingId: string): Promise<ChangeView[]> {
  return (await repo.listChanges(db, bookingId, 100)).map(toChangeView);
}

/** The change a payment pays for, if it is a change's payment (else undefined). */
export function changeOfPayment(db: Db, paymentId: string) {
  return repo.findChangeOfPayment(db, paymentId);
}

/** The exact split of a refund a change promised (null: not a change's refund). */
export async function refundSplitOf(db: Db, refundId: string): Promise<SplitSnapshot | null> {
  const change = await repo.findChangeOfRefund(db, refundId);
  if (!change?.refund_split) return null;
  const s = change.refund_split;
  const split = typeof s === 'string' ? (JSON.parse(s) as SplitSnapshot) : s;
  return {
    total: Number(split.total),
    hostShare: Number(split.hostShare),
    serviceFee: Number(split.serviceFee),
    taxes: Number(split.taxes),
    hostId: split.hostId,
  };
}

/** The stored price of a change (parsed on either database family). */
export function priceOf<T>(change: repo.BookingChangeRow): T {
  const p = change.price as unknown;
  return (typeof p === 'string' ? JSON.parse(p) : p) as T;
}
