/**
 * Where and how to arrive for a booking: the booking says who may see it and whether the stay is
 * confirmed, the listing holds the address, the times and the host's private check-in details.
 */
import * as bookings from '../modules/bookings/bookings.service.js';
import * as properties from '../modules/properties/properties.service.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { conflict } from '../platform/errors.js';

/**
 * Where and how to arrive for a booking: the listing's address, times and the host's private check-in
 * details. The guest sees them once the stay is confirmed (409 `checkin_details_not_available` before,
 * and after a cancellation); the host and admins always. 404 for anyone else.
 */
export async function arrivalFor(ctx: ServiceContext, actor: Actor, bookingId: string) {
  const booking = await bookings.getBookingFor(ctx, actor, bookingId);
  const isGuest = booking.guest_id === actor.userId && booking.host_id !== actor.userId;
  if (isGuest && booking.status !== 'confirmed' && booking.status !== 'completed') {
    throw conflict(
      'checkin_details_not_available',
      `Check-in details are shown once the stay is confirmed; this booking is ${booking.status.replaceAll('_', ' ')}`,
    );
  }
  const info = await properties.arrivalInfo(ctx, booking.property_id);
  return { bookingId: booking.id, checkIn: booking.check_in, checkOut: booking.check_out, ...info };
}
