/** Scheduled emails about stays: the day before check-in, and the day after check-out (a review, please). */

import { contactOf } from '../modules/accounts/users.service.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type { ServiceContext } from '../platform/context.js';
import { enqueueEmail } from '../platform/email.js';

/** Email guests whose stay starts tomorrow; at most one reminder per booking (outbox dedupe key). */
export async function queueCheckinReminders(ctx: ServiceContext): Promise<number> {
  let queued = 0;
  for (const b of await bookings.confirmedStaysStarting(ctx, 1)) {
    const guest = await contactOf(ctx.db, b.guest_id);
    if (!guest) continue;
    const id = await enqueueEmail(ctx.db, {
      to: guest.email,
      template: 'checkin_reminder',
      data: {
        firstName: guest.firstName,
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
  let queued = 0;
  for (const b of await bookings.completedStaysEnded(ctx, 1)) {
    const guest = await contactOf(ctx.db, b.guest_id);
    if (!guest) continue;
    const id = await enqueueEmail(ctx.db, {
      to: guest.email,
      template: 'review_reminder',
      data: { firstName: guest.firstName, bookingId: b.id, checkOut: b.check_out },
      dedupeKey: `review_reminder:${b.id}`,
    });
    if (id) queued++;
  }
  return queued;
}
