/**
 * Carrying out refunds. A refund is decided inside the transaction that cancels, declines or finds a late
 * payment, as a `pending` row (the intent); the money moves after that commit:
 *
 *   1. ask the provider (key `refund:<refund id>`: however often this runs, one refund) — no transaction open;
 *   2. record its answer, in one transaction with the booking locked: succeeded → ledger posted;
 *      refused → the promised amount released from the payment and the booking; pending → asked later.
 *
 * The request that decided the refund runs this once right after its commit; the `settle-refunds` job runs
 * it for every refund still pending (a crash between the commit and the call, a provider outage or timeout,
 * a refund the provider is still deciding).
 */
import { inTransaction } from '../db/transaction.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import * as changes from '../modules/bookings/changes.service.js';
import * as payments from '../modules/payments/payments.service.js';
import type { ServiceContext } from '../platform/context.js';
import type { RefundResult } from '../platform/payment-provider.js';

/** In the deciding transaction: the refund row (if anything was captured) and the booking's promised amount. */
export async function promiseRefund(
  ctx: ServiceContext,
  trx: ServiceContext['db'],
  bookingId: string,
  amount: number,
  reason: string,
): Promise<payments.RefundRow | null> {
  if (amount <= 0) return null;
  const refund = await payments.reserveRefund(ctx, trx, { bookingId, amount, reason });
  if (refund) await bookings.addRefunded(ctx, trx, bookingId, refund.amount);
  return refund;
}

/** In the deciding transaction: everything still paid on a locked booking goes back (decline, expiry, late payment). */
export function promiseFullRefund(
  ctx: ServiceContext,
  trx: ServiceContext['db'],
  booking: Pick<bookings.BookingRow, 'id' | 'total' | 'refunded_amount'>,
  reason: string,
): Promise<payments.RefundRow | null> {
  return promiseRefund(ctx, trx, booking.id, booking.total - booking.refunded_amount, reason);
}

/** What an attempt did: the refund as it stands afterwards, and the final state it moved it to (if it did). */
export interface RefundAttempt {
  refund: payments.RefundRow;
  outcome: 'succeeded' | 'failed' | null;
}

/** Steps 1 and 2 for one refund (still pending afterwards if the provider did not answer). */
export async function attemptRefund(ctx: ServiceContext, refundId: string): Promise<RefundAttempt> {
  const submitted = await payments.submitRefund(ctx, refundId);
  if ('final' in submitted) return { refund: submitted.final, outcome: null };
  if ('unanswered' in submitted) return { refund: await payments.getRefund(ctx, refundId), outcome: null };
  return recordRefundAnswer(ctx, refundId, submitted.answer);
}

/** Step 2: the provider's answer about a refund (from step 1, or from a webhook) applied once. */
export async function recordRefundAnswer(
  ctx: ServiceContext,
  refundId: string,
  answer: RefundResult,
): Promise<RefundAttempt> {
  const { booking_id: bookingId } = await payments.getRefund(ctx, refundId);
  return inTransaction(ctx.db, (trx) => recordRefundAnswerIn(ctx, trx, bookingId, refundId, answer));
}

/** Step 2 inside the caller's transaction (a webhook's, which also records the event id). */
export async function recordRefundAnswerIn(
  ctx: ServiceContext,
  trx: ServiceContext['db'],
  bookingId: string,
  refundId: string,
  answer: RefundResult,
): Promise<RefundAttempt> {
  const booking = await bookings.lockBooking(trx, bookingId);
  // A booking change's refund has its own exact split and is no cancellation refund (src/flows/change-booking.ts).
  const changeSplit = await changes.refundSplitOf(trx, refundId);
  const split = changeSplit ?? bookings.chargeSplit(booking);
  const settled = await payments.settleRefund(ctx, trx, refundId, answer, split);
  if (settled.outcome === 'failed' && !changeSplit) {
    await bookings.addRefunded(ctx, trx, bookingId, -settled.refund.amount);
  }
  return settled;
}

/**
 * The request's own attempt, right after its commit. It never fails the request: the booking change is
 * committed, and a refund the provider did not answer stays pending for the job.
 */
export async function attemptRefundAfterCommit(ctx: ServiceContext, refundId: string): Promise<void> {
  try {
    await attemptRefund(ctx, refundId);
  } catch (err) {
    process.emitWarning(`refund ${refundId} left pending: ${(err as Error)?.message ?? String(err)}`);
  }
}

/**
 * The `settle-refunds` job: every refund still pending and untouched for `olderThanMs` is attempted again
 * (same key). Returns how many this run moved to a final state (one that a concurrent run, or the
 * request's own attempt, settled meanwhile is not counted).
 */
export async function settlePendingRefunds(
  ctx: ServiceContext,
  opts: { olderThanMs?: number; batch?: number } = {},
): Promise<number> {
  let settled = 0;
  let failure: unknown;
  for (const due of await payments.duePendingRefunds(ctx, opts.olderThanMs ?? 30_000, opts.batch ?? 100)) {
    try {
      const { outcome } = await attemptRefund(ctx, due.id);
      if (outcome) settled++;
    } catch (err) {
      // One refund that cannot be carried out does not hold up the others; the job still reports it.
      failure ??= err;
    }
  }
  if (failure) throw failure;
  return settled;
}
