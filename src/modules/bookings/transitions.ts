/** Every booking status change goes through here: state machine, event row, guest notification. */
import type { ServiceContext } from '../../platform/context.js';
import { enqueueEmail } from '../../platform/email.js';
import { countBooking } from '../../platform/metrics.js';
import { findUserById } from '../users/users.repository.js';
import * as repo from './bookings.repository.js';
import { assertTransition, type BookingStatus } from './state.js';

const NOTIFY: Partial<Record<BookingStatus, string>> = {
  confirmed: 'booking_confirmed',
  declined: 'booking_declined',
  cancelled_by_guest: 'booking_cancelled',
  cancelled_by_host: 'booking_cancelled',
};

/** Move a locked booking to a new status through the state machine, recording who and why. */
export async function transition(
  ctx: ServiceContext,
  db: ServiceContext['db'],
  booking: repo.BookingRow,
  to: BookingStatus,
  actorId: string | null,
  reason?: string,
): Promise<repo.BookingRow> {
  assertTransition(booking.status, to);
  const updated = await repo.setStatus(db, booking, to, { actorId, reason: reason ?? null, at: ctx.now() });
  countBooking(to);
  // Availability changed: cached search pages are stale.
  await ctx.cache.bump('search');
  const template = NOTIFY[to];
  if (template) {
    const guest = await findUserById(db, booking.guest_id);
    if (guest) {
      await enqueueEmail(db, {
        to: guest.email,
        template,
        data: {
          firstName: guest.first_name,
          bookingId: booking.id,
          checkIn: booking.check_in,
          checkOut: booking.check_out,
          refundedAmount: updated.refunded_amount,
          currency: booking.currency,
        },
      });
    }
  }
  return updated;
}
