/**
 * Paying for a booking, and everything that settles a payment later (webhooks, the reconcile job).
 * The payment row is committed `processing` before the provider is asked (no provider call inside a
 * transaction); the provider's answer is applied in one transaction with the booking locked: the payment,
 * its ledger posting, the booking's new status and the guest's email.
 */
import { inTransaction } from '../db/transaction.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type { PaymentView } from '../modules/payments/payments.schemas.js';
import * as payments from '../modules/payments/payments.service.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import type { ChargeResult } from '../platform/payment-provider.js';
import { changeOfPayment, settleChangeChargeIn } from './change-booking.js';
import { bookingChanged } from './notify.js';
import { applyPayoutEvent, isPayoutEvent, payoutOfEvent } from './payouts.js';
import { attemptRefundAfterCommit, promiseFullRefund, recordRefundAnswerIn } from './refunds.js';

/**
 * Pay for a booking the actor made. Idempotent per booking: while a payment is under way or done, paying
 * again returns it instead of charging twice; a failed payment can be retried with another card.
 */
export async function payBooking(
  ctx: ServiceContext,
  actor: Actor,
  bookingId: string,
  input: { paymentMethod: string },
): Promise<{ status: number; payment: PaymentView }> {
  const started = await inTransaction(ctx.db, async (trx) => {
    const booking = await bookings.lockForPayment(trx, actor, bookingId);
    const live = await payments.findLivePayment(trx, booking.id);
    if (live) return { live, created: false };
    bookings.assertPayable(ctx, booking);
    const payment = await payments.createPayment(ctx, trx, {
      bookingId: booking.id,
      amount: booking.total,
      currency: booking.currency,
    });
    return { live: payment, created: true };
  });
  let payment = started.live;
  if (started.created) {
    const answer = await payments.chargePayment(ctx, payment, input.paymentMethod);
    payment = await settleCharge(ctx, payment, answer);
    if (payment.status === 'failed') throw payments.paymentDeclined(payment);
  }
  return { status: payment.status === 'succeeded' ? 200 : 202, payment: payments.toPaymentView(payment) };
}

/** Apply a provider's answer about a charge (then carry out the refund of a late payment, if any). */
async function settleCharge(
  ctx: ServiceContext,
  payment: payments.PaymentRow,
  answer: ChargeResult,
): Promise<payments.PaymentRow> {
  const settled = await inTransaction(ctx.db, (trx) => settleChargeIn(ctx, trx, payment, answer));
  if (settled.lateRefund) await attemptRefundAfterCommit(ctx, settled.lateRefund.id);
  return settled.payment;
}

/**
 * In the caller's transaction: the payment's outcome, its ledger posting, and what it means for the
 * booking — an unpaid hold becomes confirmed or a request; money that arrives after the booking ended
 * (it expired or was cancelled while an asynchronous payment was pending) is promised back at once.
 */
async function settleChargeIn(
  ctx: ServiceContext,
  trx: ServiceContext['db'],
  payment: payments.PaymentRow,
  answer: ChargeResult,
): Promise<{ payment: payments.PaymentRow; lateRefund: payments.RefundRow | null }> {
  // A booking change's payment (src/flows/change-booking.ts) applies the change, not a booking's hold.
  if (await changeOfPayment(trx, payment.id)) {
    const settled = await settleChangeChargeIn(ctx, trx, payment, answer);
    return { payment: settled.payment, lateRefund: settled.refund };
  }
  const booking = await bookings.lockBooking(trx, payment.booking_id);
  const applied = await payments.applyChargeResult(
    ctx,
    trx,
    payment.id,
    answer,
    bookings.chargeSplit(booking),
  );
  if (!applied.newlySucceeded) return { payment: applied.payment, lateRefund: null };
  const paid = await bookings.markPaid(ctx, trx, booking);
  if (paid) {
    await bookingChanged(ctx, trx, paid, { from: booking.status });
    return { payment: applied.payment, lateRefund: null };
  }
  const lateRefund = await promiseFullRefund(ctx, trx, booking, 'late_payment');
  return { payment: applied.payment, lateRefund };
}

/** A verified, de-duplicated provider webhook about a payment or a refund. */
export async function handleWebhook(
  ctx: ServiceContext,
  providerName: string,
  rawBody: string,
  headers: Record<string, string | string[] | undefined>,
): Promise<{ received: true; duplicate: boolean }> {
  const { provider, event } = payments.verifyWebhook(ctx, providerName, rawBody, headers);
  const isCharge = event.type === 'payment.succeeded' || event.type === 'payment.failed';
  const isRefund = event.type === 'refund.succeeded' || event.type === 'refund.failed';
  // Found before the transaction: it locks the booking first, like every other booking change.
  const payment = isCharge ? await payments.findPaymentByRef(ctx.db, provider, event.objectRef) : undefined;
  const refund = isRefund ? await payments.findRefundByRef(ctx.db, provider, event.objectRef) : undefined;
  const payout = isPayoutEvent(event) ? await payoutOfEvent(ctx, provider, event) : undefined;
  const outcome = await inTransaction(ctx.db, async (trx) => {
    if (!(await payments.recordWebhookEvent(trx, provider, event)))
      return { duplicate: true, lateRefund: null };
    // Payouts (src/flows/payouts.ts): a transfer settled or failed, a payout account's new status.
    if (isPayoutEvent(event)) {
      await applyPayoutEvent(ctx, trx, provider, event, payout?.id);
      return { duplicate: false, lateRefund: null };
    }
    if (payment) {
      const answer: ChargeResult = {
        providerRef: event.objectRef,
        status: event.type === 'payment.succeeded' ? 'succeeded' : 'failed',
        ...(event.failureReason ? { failureReason: event.failureReason } : {}),
      };
      const { lateRefund } = await settleChargeIn(ctx, trx, payment, answer);
      return { duplicate: false, lateRefund };
    }
    if (refund) {
      await recordRefundAnswerIn(ctx, trx, refund.booking_id, refund.id, {
        providerRef: event.objectRef,
        status: event.type === 'refund.succeeded' ? 'succeeded' : 'failed',
        ...(event.failureReason ? { failureReason: event.failureReason } : {}),
      });
    }
    return { duplicate: false, lateRefund: null };
  });
  if (outcome.lateRefund) await attemptRefundAfterCommit(ctx, outcome.lateRefund.id);
  return { received: true, duplicate: outcome.duplicate };
}

/**
 * The `reconcile-payments` job: payments still `processing` after `olderThanMs` (a webhook lost or
 * delayed) are asked about directly and settled like a webhook would. Returns how many settled.
 */
export async function reconcileProcessingPayments(
  ctx: ServiceContext,
  olderThanMs = 10 * 60_000,
  batch = 100,
): Promise<number> {
  let settled = 0;
  for (const stale of await payments.staleProcessingPayments(ctx, olderThanMs, batch)) {
    let answer: ChargeResult | null;
    try {
      answer = await payments.retrieveCharge(ctx, stale);
    } catch {
      continue; // the provider did not answer: next run
    }
    if (!answer || answer.status === 'processing') continue;
    const after = await settleCharge(ctx, stale, answer);
    if (after.status !== 'processing') settled++;
  }
  return settled;
}

/** A booking's payments and refunds, for its guest, its host and admins (404 for anyone else). */
export async function listBookingPayments(ctx: ServiceContext, actor: Actor, bookingId: string) {
  await bookings.getBookingFor(ctx, actor, bookingId);
  return payments.listBookingPayments(ctx, bookingId);
}
