/**
 * Paying for bookings, provider webhooks and refunds. Every settled movement of money is posted to
 * the double-entry ledger in the same transaction as the state change it belongs to.
 */

import { Value } from 'typebox/value';
import { findOrFail } from '../../db/find-or-fail.js';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { AppError, badRequest, conflict, notFound } from '../../platform/errors.js';
import { findUnsafeValue } from '../../platform/input.js';
import { countPayment } from '../../platform/metrics.js';
import type { BookingRow } from '../bookings/bookings.repository.js';
import * as bookingsRepo from '../bookings/bookings.repository.js';
import { transition } from '../bookings/transitions.js';
import { guestChargePostings, postTransaction, refundPostings } from './ledger.js';
import * as repo from './payments.repository.js';
import type { PaymentView } from './payments.schemas.js';
import {
  type ChargeResult,
  type PaymentProvider,
  ProviderEventSchema,
  WebhookSignatureError,
} from './provider.js';

type Db = ServiceContext['db'];

export function toPaymentView(p: repo.PaymentRow): PaymentView {
  return {
    id: p.id,
    bookingId: p.booking_id,
    provider: p.provider,
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    failureReason: p.failure_reason,
    refundedAmount: p.refunded_amount,
    createdAt: new Date(p.created_at).toISOString(),
  };
}

function providerNamed(ctx: ServiceContext, name: string): PaymentProvider {
  const provider = ctx.payments[name];
  if (!provider) throw notFound(`Payment provider ${name}`);
  return provider;
}

/**
 * Pay for a booking the actor made. Idempotent per booking: while a payment is under way or done,
 * paying again returns it instead of charging twice; a failed payment can be retried with another card.
 */
export async function payBooking(
  ctx: ServiceContext,
  actor: Actor,
  bookingId: string,
  input: { paymentMethod: string },
): Promise<{ status: number; payment: PaymentView }> {
  const provider = providerNamed(ctx, ctx.config.PAYMENT_PROVIDER);
  const started = await inTransaction(ctx.db, async (trx) => {
    const booking = await bookingsRepo.lockBooking(trx, bookingId);
    if (!booking || booking.guest_id !== actor.userId) throw notFound('Booking');
    const live = await repo.findLivePayment(trx, booking.id);
    if (live) return { existing: live };
    if (booking.status !== 'pending_payment') {
      throw conflict(
        'not_payable',
        `A booking that is ${booking.status.replaceAll('_', ' ')} cannot be paid`,
      );
    }
    if (booking.hold_expires_at && booking.hold_expires_at.getTime() <= ctx.now().getTime()) {
      throw conflict('hold_expired', 'The hold on these dates has expired; book again');
    }
    const payment = await repo.insertPayment(trx, {
      id: newId(),
      booking_id: booking.id,
      provider: provider.name,
      provider_ref: null,
      amount: booking.total,
      currency: booking.currency,
      status: 'processing',
      failure_reason: null,
    });
    return { created: payment };
  });
  if ('existing' in started && started.existing) {
    return {
      status: started.existing.status === 'succeeded' ? 200 : 202,
      payment: toPaymentView(started.existing),
    };
  }
  const payment = started.created!;
  let result: ChargeResult;
  try {
    // Our payment id is the provider's idempotency key: a retried call cannot charge twice.
    result = await provider.charge({
      amount: payment.amount,
      currency: payment.currency,
      paymentMethod: input.paymentMethod,
      idempotencyKey: payment.id,
      metadata: { paymentId: payment.id, bookingId },
    });
  } catch {
    // Unknown outcome: leave the payment processing; a webhook or follow-up settles it.
    // The provider's own error text (hosts, addresses, SDK internals) is not the client's to read.
    throw new AppError(
      502,
      'provider_unavailable',
      'The payment provider did not answer; the payment stays processing and is settled when it does',
    );
  }
  const settled = await inTransaction(ctx.db, (trx) => applyChargeResult(ctx, trx, payment.id, result));
  if (settled.status === 'failed') {
    throw new AppError(
      402,
      'payment_failed',
      `The payment was declined (${settled.failure_reason ?? 'unknown reason'})`,
    );
  }
  return { status: settled.status === 'succeeded' ? 200 : 202, payment: toPaymentView(settled) };
}

/**
 * Apply a provider outcome to a payment, once: a payment already final is left as it is
 * (webhooks and synchronous answers may both report the same outcome).
 */
async function applyChargeResult(ctx: ServiceContext, trx: Db, paymentId: string, result: ChargeResult) {
  const payment = await findOrFail(repo.lockPayment(trx, paymentId), 'Payment');
  const now = ctx.now();
  if (payment.status === 'succeeded' || payment.status === 'failed') return payment;
  if (result.status !== 'processing') countPayment(payment.provider, result.status);
  if (result.status === 'processing') {
    return repo.updatePayment(trx, payment.id, { provider_ref: result.providerRef }, now);
  }
  if (result.status === 'failed') {
    return repo.updatePayment(
      trx,
      payment.id,
      {
        status: 'failed',
        provider_ref: result.providerRef,
        failure_reason: result.failureReason ?? 'failed',
      },
      now,
    );
  }
  const paid = await repo.updatePayment(
    trx,
    payment.id,
    { status: 'succeeded', provider_ref: result.providerRef },
    now,
  );
  const booking = await findOrFail(bookingsRepo.lockBooking(trx, payment.booking_id), 'Booking');
  await postTransaction(trx, {
    kind: 'guest_charge',
    reference: { type: 'payment', id: payment.id },
    currency: payment.currency,
    entries: guestChargePostings({
      total: booking.total,
      hostShare: booking.host_payout,
      serviceFee: booking.service_fee,
      taxes: booking.taxes,
      hostId: booking.host_id,
    }),
  });
  if (booking.status === 'pending_payment') {
    await transition(
      ctx,
      trx,
      booking,
      booking.instant_book ? 'confirmed' : 'awaiting_host',
      booking.guest_id,
      'paid',
    );
  } else {
    // The money arrived after the booking ended (e.g. expired while an async payment was pending): give it back.
    await refundBookingPayment(ctx, trx, booking, booking.total - booking.refunded_amount, 'late_payment');
  }
  return paid;
}

/** A verified, de-duplicated provider webhook. Returns whether it changed anything. */
export async function handleWebhook(
  ctx: ServiceContext,
  providerName: string,
  rawBody: string,
  headers: Record<string, string | string[] | undefined>,
): Promise<{ received: true; duplicate: boolean }> {
  const provider = providerNamed(ctx, providerName);
  let event: ReturnType<PaymentProvider['verifyWebhook']>;
  try {
    event = provider.verifyWebhook(rawBody, headers);
  } catch (err) {
    if (err instanceof WebhookSignatureError) throw badRequest('invalid_signature', err.message);
    throw badRequest('invalid_webhook', 'The webhook body could not be parsed');
  }
  if (!Value.Check(ProviderEventSchema, event) || findUnsafeValue(event)) {
    throw badRequest('invalid_webhook', 'The webhook event has missing or malformed fields');
  }
  return inTransaction(ctx.db, async (trx) => {
    const fresh = await repo.recordWebhookEvent(trx, provider.name, event.id, event.type);
    if (!fresh) return { received: true as const, duplicate: true };
    if (event.type === 'payment.succeeded' || event.type === 'payment.failed') {
      const payment = await repo.lockPaymentByRef(trx, provider.name, event.objectRef);
      if (payment) {
        await applyChargeResult(ctx, trx, payment.id, {
          providerRef: event.objectRef,
          status: event.type === 'payment.succeeded' ? 'succeeded' : 'failed',
          ...(event.failureReason ? { failureReason: event.failureReason } : {}),
        });
      }
    }
    if (event.type === 'refund.succeeded' || event.type === 'refund.failed') {
      // A refund the provider reported as pending has settled. (A failed one is flagged for support:
      // the guest was promised that money, so it is retried by hand, not silently dropped.)
      const settled = await repo.settleRefund(
        trx,
        provider.name,
        event.objectRef,
        event.type === 'refund.succeeded' ? 'succeeded' : 'failed',
        ctx.now(),
      );
      if (settled?.status === 'failed') countPayment(provider.name, 'refund_failed');
    }
    return { received: true as const, duplicate: false };
  });
}

/**
 * Refund part of a booking's captured payment (inside the caller's transaction, which holds the
 * booking lock). Never more than was captured and not yet refunded. The provider call uses a key
 * derived from the booking's refund history, so a retry after a crash cannot refund twice.
 */
export async function refundBookingPayment(
  ctx: ServiceContext,
  trx: Db,
  booking: BookingRow,
  amount: number,
  reason: string,
) {
  const payment = await repo.findLivePayment(trx, booking.id);
  if (!payment || payment.status !== 'succeeded') return null;
  const refundable = payment.amount - payment.refunded_amount;
  if (amount > refundable) {
    throw conflict('refund_exceeds_payment', `Cannot refund ${amount}; only ${refundable} is refundable`);
  }
  const provider = providerNamed(ctx, payment.provider);
  const refundId = newId();
  const result = await provider.refund({
    providerRef: payment.provider_ref!,
    amount,
    currency: payment.currency,
    idempotencyKey: `refund:${payment.id}:${payment.refunded_amount}:${amount}`,
    metadata: { refundId, paymentId: payment.id },
  });
  if (result.status === 'failed') {
    throw new AppError(
      502,
      'refund_failed',
      `The payment provider refused the refund (${result.failureReason ?? 'unknown'})`,
    );
  }
  const now = ctx.now();
  countPayment(payment.provider, 'refunded');
  const refund = await repo.insertRefund(trx, {
    id: refundId,
    payment_id: payment.id,
    booking_id: booking.id,
    amount,
    currency: payment.currency,
    status: result.status === 'succeeded' ? 'succeeded' : 'pending',
    provider_ref: result.providerRef,
    reason,
  });
  await repo.updatePayment(trx, payment.id, { refunded_amount: payment.refunded_amount + amount }, now);
  await bookingsRepo.addRefunded(trx, booking.id, amount, now);
  await postTransaction(trx, {
    kind: 'refund',
    reference: { type: 'refund', id: refund.id },
    currency: payment.currency,
    entries: refundPostings({
      original: {
        total: booking.total,
        hostShare: booking.host_payout,
        serviceFee: booking.service_fee,
        taxes: booking.taxes,
        hostId: booking.host_id,
      },
      alreadyRefunded: payment.refunded_amount,
      amount,
    }),
  });
  return refund;
}

export async function listBookingPayments(ctx: ServiceContext, actor: Actor, bookingId: string) {
  const booking = await bookingsRepo.findBooking(ctx.db, bookingId);
  if (
    !booking ||
    (booking.guest_id !== actor.userId && booking.host_id !== actor.userId && actor.role !== 'admin')
  ) {
    throw notFound('Booking');
  }
  const [payments, refunds] = await Promise.all([
    repo.listPayments(ctx.db, bookingId),
    repo.listRefunds(ctx.db, bookingId),
  ]);
  return {
    payments: payments.map(toPaymentView),
    refunds: refunds.map((r) => ({
      id: r.id,
      amount: r.amount,
      currency: r.currency,
      status: r.status,
      reason: r.reason,
      createdAt: new Date(r.created_at).toISOString(),
    })),
  };
}

/**
 * Payment follow-up (scheduled): payments still `processing` after `olderThanMs` — a webhook lost or
 * delayed — are asked about directly and settled like a webhook would. Returns how many settled.
 */
export async function reconcileProcessingPayments(
  ctx: ServiceContext,
  olderThanMs = 10 * 60_000,
  batch = 100,
): Promise<number> {
  const stale = await repo.staleProcessingPayments(
    ctx.db,
    new Date(ctx.now().getTime() - olderThanMs),
    batch,
  );
  let settled = 0;
  for (const p of stale) {
    const provider = ctx.payments[p.provider];
    if (!provider || !p.provider_ref) continue;
    const result = await provider.retrieve(p.provider_ref);
    if (result.status === 'processing') continue;
    const after = await inTransaction(ctx.db, (trx) => applyChargeResult(ctx, trx, p.id, result));
    if (after.status !== 'processing') settled++;
  }
  return settled;
}
