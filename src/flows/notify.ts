/**
 * Telling a guest what happened to their booking: an email written to the outbox in the transaction that
 * made the change (so it exists exactly when the change committed), sent by the worker.
 */

import { contactOf } from '../modules/accounts/users.service.js';
import type { BookingRow } from '../modules/bookings/bookings.service.js';
import type { ServiceContext } from '../platform/context.js';
import { enqueueEmail } from '../platform/email.js';

const TEMPLATES: Partial<Record<BookingRow['status'], string>> = {
  confirmed: 'booking_confirmed',
  declined: 'booking_declined',
  cancelled_by_guest: 'booking_cancelled',
  cancelled_by_host: 'booking_cancelled',
};

/** Write the email for the booking's new status, if that status has one, in the caller's transaction. */
export async function notifyGuest(trx: ServiceContext['db'], booking: BookingRow): Promise<void> {
  const template = TEMPLATES[booking.status];
  if (!template) return;
  const guest = await contactOf(trx, booking.guest_id);
  if (!guest) return;
  await enqueueEmail(trx, {
    to: guest.email,
    template,
    data: {
      firstName: guest.firstName,
      bookingId: booking.id,
      checkIn: booking.check_in,
      checkOut: booking.check_out,
      refundedAmount: booking.refunded_amount,
      currency: booking.currency,
    },
  });
}
