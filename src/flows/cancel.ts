/**
 * Cancelling a booking and answering a request to book. One transaction decides everything — the new
 * status, the refund owed (a pending refund row), the notifications and emails — and the refund is carried out after
 * it commits (src/flows/refunds.ts).
 */
import { inTransaction } from '../db/transaction.js';
import type { BookingView } from '../modules/bookings/bookings.schemas.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type * as payments from '../modules/payments/payments.service.js';
import { recordAdminAction } from '../platform/audit.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { bookingChanged } from './notify.js';
import { attemptRefundAfterCommit, promiseFullRefund, promiseRefund } from './refunds.js';

/** Guest or host cancels: the booking's cancellation plan decides the refund (src/modules/bookings/policy.ts). */
export function cancelBooking(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  reason?: string,
): Promise<BookingView> {
  return carryOutCancellation(ctx, actor, id, (trx) => bookings.planCancellation(ctx, trx, actor, id), {
    reason,
  });
}

/**
 * The one way a booking is cancelled, whoever decides how: in one transaction the plan (which locks the
 * booking), the promised refund, the status change, the notifications and — when an admin cancels a
 * booking that is not theirs, or whenever `auditAfter` is given (the admin API) — the audit row
 * (`booking.cancel`, with `auditAfter` added to its `after`); the refund is carried out after the commit.
 * `reason` (at most 500 characters) goes to the booking's history and the other party; `auditReason`
 * (default: `reason`) only to the audit row.
 */
export async function carryOutCancellation(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  plan: (trx: ServiceContext['db']) => Promise<bookings.CancellationPlan>,
  opts: {
    reason?: string | undefined;
    auditReason?: string | undefined;
    auditAfter?: Record<string, unknown>;
  },
): Promise<BookingView> {
  const { reason } = opts;
  const refund = await inTransaction(ctx.db, async (trx) => {
    const decided = await plan(trx);
    const booking = decided.booking;
    const refund = await promiseRefund(ctx, trx, id, decided.refund, decided.to);
    const cancelled = await bookings.transition(ctx, trx, booking, decided.to, actor.userId, reason);
    const byAdmin = actor.userId !== booking.guest_id && actor.userId !== booking.host_id;
    await bookingChanged(ctx, trx, cancelled, { from: booking.status, reason, byAdmin });
    if ((byAdmin && actor.role === 'admin') || opts.auditAfter) {
      await recordAdminAction(ctx, trx, actor, {
        action: 'booking.cancel',
        objectType: 'booking',
        objectId: id,
        before: { status: booking.status, refundedAmount: booking.refunded_amount },
        after: { status: cancelled.status, refund: refund?.amount ?? 0, ...opts.auditAfter },
        reason: opts.auditReason ?? reason ?? null,
      });
    }
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
    if (actor.role === 'admin' && actor.userId !== request.host_id) {
      await recordAdminAction(ctx, trx, actor, {
        action: accept ? 'booking.accept' : 'booking.decline',
        objectType: 'booking',
        objectId: id,
        before: { status: request.status, refundedAmount: request.refunded_amount },
        after: { status: answered.status, refund: refund?.amount ?? 0 },
        reason: reason ?? null,
      });
    }
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
