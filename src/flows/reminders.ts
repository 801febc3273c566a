/**
 * Scheduled reminders about stays: the day before check-in, and the day after check-out (a review,
 * please). Each is a notification (and an email, unless the guest switched the `stays` category's email
 * off), at most one per booking: a job that runs again, or twice at once, adds nothing.
 */
import { inTransaction } from '../db/transaction.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type { ServiceContext } from '../platform/context.js';
import { notifyUser } from './notify.js';

/** Remind guests whose stay starts tomorrow. Returns how many were reminded by this run. */
export async function queueCheckinReminders(ctx: ServiceContext): Promise<number> {
  let queued = 0;
  for (const b of await bookings.confirmedStaysStarting(ctx, 1)) {
    const { notified } = await inTransaction(ctx.db, (trx) =>
      notifyUser(ctx, trx, {
        userId: b.guest_id,
        type: 'checkin.reminder',
        groupKey: `checkin_reminder:${b.id}`,
        once: true,
        data: {
          bookingId: b.id,
          propertyId: b.property_id,
          checkIn: b.check_in,
          checkInTime: b.check_in_time,
        },
      }),
    );
    if (notified) queued++;
  }
  return queued;
}

/** Ask guests whose stay ended yesterday for a review. Returns how many were asked by this run. */
export async function queueReviewReminders(ctx: ServiceContext): Promise<number> {
  let queued = 0;
  for (const b of await bookings.completedStaysEnded(ctx, 1)) {
    const { notified } = await inTransaction(ctx.db, (trx) =>
      notifyUser(ctx, trx, {
        userId: b.guest_id,
        type: 'review.reminder',
        groupKey: `review_reminder:${b.id}`,
        once: true,
        data: { bookingId: b.id, propertyId: b.property_id, checkOut: b.check_out },
      }),
    );
    if (notified) queued++;
  }
  return queued;
}
