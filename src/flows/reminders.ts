/**
 * Scheduled reminders about stays: the day before check-in, and the day after check-out (a review,
 * please). Each is a notification (and an email, unless the guest switched the `stays` category's email
 * off), at most one per booking: a job that runs again, or twice at once, adds nothing.
 */
import { inTransaction } from '../db/transaction.js';
import type { BookingRow } from '../modules/bookings/bookings.service.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type { ServiceContext } from '../platform/context.js';
import { notifyUser } from './notify.js';

/** One reminder per booking, in its own transaction; returns how many this run added. */
async function remindOnce(
  ctx: ServiceContext,
  due: BookingRow[],
  type: 'checkin.reminder' | 'review.reminder',
  data: (b: BookingRow) => Record<string, unknown>,
): Promise<number> {
  let queued = 0;
  for (const b of due) {
    const { notified } = await inTransaction(ctx.db, (trx) =>
      notifyUser(ctx, trx, {
        userId: b.guest_id,
        type,
        groupKey: `${type.replace('.', '_')}:${b.id}`,
        once: true,
        data: { bookingId: b.id, propertyId: b.property_id, ...data(b) },
      }),
    );
    if (notified) queued++;
  }
  return queued;
}

/** Remind guests whose stay starts tomorrow. Returns how many were reminded by this run. */
export async function queueCheckinReminders(ctx: ServiceContext): Promise<number> {
  return remindOnce(ctx, await bookings.confirmedStaysStarting(ctx, 1), 'checkin.reminder', (b) => ({
    checkIn: b.check_in,
    checkInTime: b.check_in_time,
  }));
}

/** Ask guests whose stay ended yesterday for a review. Returns how many were asked by this run. */
export async function queueReviewReminders(ctx: ServiceContext): Promise<number> {
  return remindOnce(ctx, await bookings.completedStaysEnded(ctx, 1), 'review.reminder', (b) => ({
    checkOut: b.check_out,
  }));
}
