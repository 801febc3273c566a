/**
 * Cancelling a booking and answering a request to book. One transaction decides everything — the new
 * status, the refund owed (a pending refund row), the notifications and emails — and the refund is carried out after
 * it commits (src/flows/refunds.ts).
 */
import { inTransaction } from '../db/transaction.js';
import type { BookingView } from '../modules/bookings/bookings.schemas.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type * as payments from '../modules/payments/payments.service.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { bookingChanged } from './notify.js';
import { attemptRefundAfterCommit, promiseFullRefund, promiseRefund } from './refunds.js';

/** Guest or host cancels: the booking's cancellation plan decides the refund (src/modules/bookings/policy.ts). */
export async function cancelBooking(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  reason?: string,
): Promise<BookingView> {
  const refund = await inTransaction(ctx.db, async (trx) => {
    const plan = await bookings.planCancellation(ctx, trx, actor, id);
    const refund = await promiseRefund(ctx, trx, id, plan.refund, plan.to);
    const cancelled = await bookings.transition(ctx, trx, plan.booking, plan.to, actor.userId, reason);
    const byAdmin = actor.userId !== plan.booking.guest_id && actor.userId !== plan.booking.host_id;
    await bookingChanged(ctx, trx, cancelled, { from: plan.booking.status, reason, byAdmin });
    return refund;
  });
  return afterRefundDecided(ctx, id, refund);
}

/** The host accepts (confirmed) or declines (everything paid goes back) a request to book. */
export async function respondToRequest(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  accept: boolean,
  reason?: string,
): Promise<BookingView> {
  const refund = await inTransaction(ctx.db, async (trx) => {
    const request = await bookings.lockRequest(trx, actor, id, accept);
    const to = accept ? 'confirmed' : 'declined';
    const refund = accept ? null : await promiseFullRefund(ctx, trx, request, 'declined');
    const answered = await bookings.transition(ctx, trx, request, to, actor.userId, reason);
    await bookingChanged(ctx, trx, answered, { from: request.status, reason });
    return refund;
  });
  return afterRefundDecided(ctx, id, refund);
}

/** After the commit: carry out the refund, then answer with the booking as it now stands. */
async function afterRefundDecided(
  ctx: ServiceContext,
  id: string,
  refund: payments.RefundRow | null,
): Promise<BookingView> {
  if (refund) await attemptRefundAfterCommit(ctx, refund.id);
  const booking = await bookings.findBooking(ctx, id);
  if (!booking) throw new Error(`booking ${id} vanished after it changed`);
  return bookings.toBookingView(booking);
}
