/** Every booking status change goes through here: state machine, event row; metric and cache after commit. */
import { afterCommit } from '../../db/transaction.js';
import type { ServiceContext } from '../../platform/context.js';
import { countBooking } from '../../platform/metrics.js';
import * as repo from './bookings.repository.js';
import { assertTransition, type BookingStatus } from './state.js';

/** Move a locked booking to a new status through the state machine, recording who and why. */
export async function transition(
  ctx: ServiceContext,
  db: ServiceContext['db'],
  booking: repo.BookingRow,
  to: BookingStatus,
  actorId: string | null,
  reason?: string,
  also: { requestExpiresAt?: Date } = {},
): Promise<repo.BookingRow> {
  assertTransition(booking.status, to);
  const updated = await repo.setStatus(
    db,
    booking,
    to,
    { actorId, reason: reason ?? null, at: ctx.now() },
    also.requestExpiresAt ? { request_expires_at: also.requestExpiresAt } : {},
  );
  afterCommit(db, () => {
    countBooking(to);
    // Availability changed: cached search pages are stale.
    return ctx.cache.bump('search');
  });
  return updated;
}
