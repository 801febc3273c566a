/**
 * Payments: charges, refunds and provider webhooks, and their postings in the double-entry ledger.
 * It knows nothing of bookings: a flow (src/flows) tells it what a charge is for (`ChargeSplit`) and
 * applies what an outcome means to the booking.
 *
 * No provider call happens inside a transaction. A charge is written `processing` and committed before the
 * provider is asked; a refund is written `pending` (the intent) in the transaction that decides it and is
 * carried out after the commit by `submitRefund` + `settleRefund`, with the refund's id as the provider's
 * idempotency key, so any number of attempts (the request's own, the `settle-refunds` job's after a
 * crash or an outage) move the money once. The ledger records money when the provider confirms it moved.
 */

import { Value } from 'typebox/value';
import { findOrFail } from '../../db/find-or-fail.js';
import { afterCommit } from '../../db/transaction.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { AppError, badRequest, conflict, notFound } from '../../platform/errors.js';
import { findUnsafeValue } from '../../platform/input.js';
import { countPayment } from '../../platform/metrics.js';
import {
  type ChargeResult,
  type PaymentProvider,
  type ProviderEvent,
  ProviderEventSchema,
  type RefundResult,
  WebhookSignatureError,
} from '../../platform/payment-provider.js';
import { TIMED_OUT, within } from '../../platform/timeout.js';
import { type ChargeComponents, guestChargePostings, postTransaction, refundPostings } from './ledger.js';
import { hasLedgerPosting } from './ledger.repository.js';
import * as repo from './payments.repository.js';
import type { PaymentView } from './payments.schemas.js';

type Db = ServiceContext['db'];

/** How a charge splits between the host, the platform and taxes: what the ledger records. */
export type ChargeSplit = ChargeComponents;
export type { PaymentRow, RefundRow } from './payments.repository.js';
export { CHANGE_REFUND_REASON } from './payments.repository.js';

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

/** A provider call, bounded by PAYMENT_PROVIDER_TIMEOUT_MS: past it, the outcome is unknown. */
async function callProvider<T>(ctx: ServiceContext, work: () => Promise<T>): Promise<T> {
  const result = await within(work(), ctx.config.PAYMENT_PROVIDER_TIMEOUT_MS);
  if (result === TIMED_OUT) throw new ProviderTimeout();
  return result;
}

class ProviderTimeout extends Error {
  override name = 'ProviderTimeout';
  constructor() {
    super('the payment provider did not answer in time');
  }
}

const providerUnavailable = () =>
  new AppError(
    502,
    'provider_unavailable',
    'The payment provider did not answer; the payment stays processing and is settled when it does',
  );

// ---------------------------------------------------------------------------------------------- charges

/** The booking's payment that is under way or settled, if any (there is at most one). */
export function findLivePayment(db: Db, bookingId: string): Promise<repo.PaymentRow | undefined> {
  return repo.findLivePayment(db, bookingId);
}

/** A new `processing` payment with the configured provider, in the caller's transaction. */
export function createPayment(
  ctx: ServiceContext,
  trx: Db,
  what: { bookingId: string; amount: number; currency: string },
): Promise<repo.PaymentRow> {
  const provider = providerNamed(ctx, ctx.config.PAYMENT_PROVIDER);
  return repo.insertPayment(trx, {
    id: newId(),
    booking_id: what.bookingId,
    provider: provider.name,
    provider_ref: null,
    amount: what.amount,
    currency: what.currency,
    status: 'processing',
    failure_reason: null,
  });
}

/**
 * Ask the provider to charge a committed `processing` payment. Our payment id is the idempotency key: a
 * retried call cannot charge twice. No answer (an error, a timeout) is a 502 and leaves the payment
 * processing for a webhook or the reconcile job; the provider's own error text is not the client's to read.
 */
export async function chargePayment(
  ctx: ServiceContext,
  payment: repo.PaymentRow,
  paymentMethod: string,
): Promise<ChargeResult> {
  const provider = providerNamed(ctx, payment.provider);
  try {
    return await callProvider(ctx, () =>
      provider.charge({
        amount: payment.amount,
        currency: payment.currency,
        paymentMethod,
        idempotencyKey: payment.id,
        metadata: { paymentId: payment.id, bookingId: payment.booking_id },
      }),
    );
  } catch {
    throw providerUnavailable();
  }
}

/**
 * Apply a provider's answer to a payment, once, in the caller's transaction: a payment already final is
 * left as it is (a webhook and the synchronous answer may both report the same outcome). A success posts
 * the guest charge to the ledger. `newlySucceeded` tells the flow to apply it to the booking.
 */
export async function applyChargeResult(
  ctx: ServiceContext,
  trx: Db,
  paymentId: string,
  result: ChargeResult,
  split: ChargeSplit,
): Promise<{ payment: repo.PaymentRow; newlySucceeded: boolean }> {
  const payment = await findOrFail(repo.lockPayment(trx, paymentId), 'Payment');
  const now = ctx.now();
  if (payment.status === 'succeeded' || payment.status === 'failed') {
    return { payment, newlySucceeded: false };
  }
  if (result.status === 'processing') {
    const updated = await repo.updatePayment(trx, payment.id, { provider_ref: result.providerRef }, now);
    return { payment: updated, newlySucceeded: false };
  }
  afterCommit(trx, () => countPayment(payment.provider, result.status));
  if (result.status === 'failed') {
    const failed = await repo.updatePayment(
      trx,
      payment.id,
      {
        status: 'failed',
        provider_ref: result.providerRef,
        failure_reason: result.failureReason ?? 'failed',
      },
      now,
    );
    return { payment: failed, newlySucceeded: false };
  }
  const paid = await repo.updatePayment(
    trx,
    payment.id,
    { status: 'succeeded', provider_ref: result.providerRef },
    now,
  );
  await postTransaction(trx, {
    kind: 'guest_charge',
    reference: { type: 'payment', id: payment.id },
    currency: payment.currency,
    entries: guestChargePostings(split),
  });
  return { payment: paid, newlySucceeded: true };
}

/** The 402 a declined payment answers with. */
export function paymentDeclined(payment: repo.PaymentRow): AppError {
  return new AppError(
    402,
    'payment_failed',
    `The payment was declined (${payment.failure_reason ?? 'unknown reason'})`,
  );
}

/** Payments still `processing` after `olderThanMs` (a webhook lost or delayed), oldest first. */
export function staleProcessingPayments(ctx: ServiceContext, olderThanMs: number, batch: number) {
  return repo.staleProcessingPayments(ctx.db, new Date(ctx.now().getTime() - olderThanMs), batch);
}

/** Ask the provider where a processing payment stands (null: no provider or no reference to ask about). */
export async function retrieveCharge(ctx: ServiceContext, p: repo.PaymentRow): Promise<ChargeResult | null> {
  const provider = ctx.payments[p.provider];
  if (!provider || !p.provider_ref) return null;
  const ref = p.provider_ref;
  return callProvider(ctx, () => provider.retrieve(ref));
}

// --------------------------------------------------------------------------------------------- webhooks

/** Verify a webhook's signature and shape; 400 for anything else. */
export function verifyWebhook(
  ctx: ServiceContext,
  providerName: string,
  rawBody: string,
  headers: Record<string, string | string[] | undefined>,
): { provider: string; event: ProviderEvent } {
  const provider = providerNamed(ctx, providerName);
  let event: ProviderEvent;
  try {
    event = provider.verifyWebhook(rawBody, headers);
  } catch (err) {
    if (err instanceof WebhookSignatureError) throw badRequest('invalid_signature', err.message);
    throw badRequest('invalid_webhook', 'The webhook body could not be parsed');
  }
  if (!Value.Check(ProviderEventSchema, event) || findUnsafeValue(event)) {
    throw badRequest('invalid_webhook', 'The webhook event has missing or malformed fields');
  }
  return { provider: provider.name, event };
}

/** Record a webhook event id in the caller's transaction; false if it was seen before (a replay). */
export function recordWebhookEvent(trx: Db, provider: string, event: ProviderEvent): Promise<boolean> {
  return repo.recordWebhookEvent(trx, provider, event.id, event.type);
}

/** The payment a provider reference names, if it is ours. */
export function findPaymentByRef(db: Db, provider: string, ref: string) {
  return repo.findPaymentByRef(db, provider, ref);
}

/** The refund a provider reference names, if it is ours. */
export function findRefundByRef(db: Db, provider: string, ref: string) {
  return repo.findRefundByRef(db, provider, ref);
}

// ---------------------------------------------------------------------------------------------- refunds

/**
 * Promise `amount` of a booking's captured payment back to the guest, in the caller's transaction (which
 * decided it): a `pending` refund row (the intent) and the payment's refunded amount, never more than was
 * captured and not yet refunded. The money moves after the commit (`submitRefund`). Null when nothing was
 * captured (an unpaid or still-processing payment).
 */
export async function reserveRefund(
  ctx: ServiceContext,
  trx: Db,
  what: { bookingId: string; amount: number; reason: string; paymentId?: string | undefined },
): Promise<repo.RefundRow | null> {
  // A booking change names the payment it refunds (a booking may have two after a dearer change).
  const live = what.paymentId
    ? await repo.findPayment(trx, what.paymentId)
    : await repo.findLivePayment(trx, what.bookingId);
  if (live?.status !== 'succeeded' || live.booking_id !== what.bookingId) return null;
  const payment = await findOrFail(repo.lockPayment(trx, live.id), 'Payment');
  const refundable = payment.amount - payment.refunded_amount;
  if (what.amount > refundable) {
    throw conflict(
      'refund_exceeds_payment',
      `Cannot refund ${what.amount}; only ${refundable} is refundable`,
    );
  }
  const refund = await repo.insertRefund(trx, {
    id: newId(),
    payment_id: payment.id,
    booking_id: what.bookingId,
    amount: what.amount,
    currency: payment.currency,
    status: 'pending',
    provider_ref: null,
    reason: what.reason,
    attempts: 0,
    last_error: null,
    failure_reason: null,
  });
  await repo.updatePayment(
    trx,
    payment.id,
    { refunded_amount: payment.refunded_amount + what.amount },
    ctx.now(),
  );
  return refund;
}

export type SubmitOutcome = { answer: RefundResult } | { unanswered: string } | { final: repo.RefundRow };

/**
 * Carry out a pending refund at the provider, outside any transaction: sent with the key
 * `refund:<refund id>` (so a repeat is the same refund), or, once the provider has named it, asked about.
 * Returns the provider's answer for `settleRefund`; no answer (an error, a timeout) is recorded on the row
 * as an attempt and left for the `settle-refunds` job.
 */
export async function submitRefund(ctx: ServiceContext, refundId: string): Promise<SubmitOutcome> {
  const refund = await findOrFail(repo.findRefund(ctx.db, refundId), 'Refund');
  if (refund.status !== 'pending') return { final: refund };
  const payment = await findOrFail(repo.findPayment(ctx.db, refund.payment_id), 'Payment');
  const provider = providerNamed(ctx, payment.provider);
  const providerRef = refund.provider_ref;
  try {
    const answer = await callProvider(ctx, () =>
      providerRef
        ? provider.retrieveRefund(providerRef)
        : provider.refund({
            providerRef: payment.provider_ref ?? '',
            amount: refund.amount,
            currency: refund.currency,
            idempotencyKey: `refund:${refund.id}`,
            metadata: { refundId: refund.id, paymentId: payment.id },
          }),
    );
    return { answer };
  } catch (err) {
    const error = err instanceof ProviderTimeout ? 'timeout' : 'provider_unavailable';
    await repo.recordRefundAttempt(ctx.db, refund.id, { last_error: error }, ctx.now());
    return { unanswered: error };
  }
}

/**
 * Apply the provider's answer about a refund, in the caller's transaction, once (a webhook, the request
 * and the job may all report it): `succeeded` posts the refund to the ledger; `failed` releases the
 * promised amount from the payment (the flow releases it from the booking); `pending` keeps the
 * provider's reference to ask about later. `outcome` names the change made, or null for none.
 */
export async function settleRefund(
  ctx: ServiceContext,
  trx: Db,
  refundId: string,
  answer: RefundResult,
  split: ChargeSplit,
): Promise<{ refund: repo.RefundRow; outcome: 'succeeded' | 'failed' | null }> {
  const now = ctx.now();
  const current = await findOrFail(repo.findRefund(trx, refundId), 'Refund');
  // Payment first, then refund: the order every refund path locks in (and the booking before both).
  const payment = await findOrFail(repo.lockPayment(trx, current.payment_id), 'Payment');
  const refund = await findOrFail(repo.lockRefund(trx, refundId), 'Refund');
  if (refund.status !== 'pending') return { refund, outcome: null };
  const providerRef = answer.providerRef || refund.provider_ref;
  if (answer.status === 'pending') {
    const updated = await repo.updateRefund(
      trx,
      refund.id,
      { provider_ref: providerRef, attempts: refund.attempts + 1, last_error: null },
      now,
    );
    return { refund: updated, outcome: null };
  }
  if (answer.status === 'failed') {
    const failed = await repo.updateRefund(
      trx,
      refund.id,
      {
        status: 'failed',
        provider_ref: providerRef,
        attempts: refund.attempts + 1,
        last_error: null,
        failure_reason: answer.failureReason ?? 'refused',
      },
      now,
    );
    await repo.updatePayment(
      trx,
      payment.id,
      { refunded_amount: payment.refunded_amount - refund.amount },
      now,
    );
    afterCommit(trx, () => countPayment(payment.provider, 'refund_failed'));
    return { refund: failed, outcome: 'failed' };
  }
  const succeeded = await repo.updateRefund(
    trx,
    refund.id,
    { status: 'succeeded', provider_ref: providerRef, attempts: refund.attempts + 1, last_error: null },
    now,
  );
  // Refunds written before refunds became intents were posted when written: never post one twice.
  if (!(await hasLedgerPosting(trx, 'refund', refund.id))) {
    await postTransaction(trx, {
      kind: 'refund',
      reference: { type: 'refund', id: refund.id },
      currency: refund.currency,
      entries: refundPostings({
        original: split,
        // A booking change's refund stands alone: `split` is exactly what it gives back.
        alreadyRefunded:
          refund.reason === repo.CHANGE_REFUND_REASON
            ? 0
            : await repo.succeededRefundTotal(trx, payment.id, refund.id),
        amount: refund.amount,
      }),
    });
  }
  afterCommit(trx, () => countPayment(payment.provider, 'refunded'));
  return { refund: succeeded, outcome: 'succeeded' };
}

/** A refund by id. */
export function getRefund(ctx: ServiceContext, id: string): Promise<repo.RefundRow> {
  return findOrFail(repo.findRefund(ctx.db, id), 'Refund');
}

/** Pending refunds untouched for `olderThanMs` (a crash, an outage, a provider still deciding), oldest first. */
export function duePendingRefunds(ctx: ServiceContext, olderThanMs: number, batch: number) {
  return repo.duePendingRefunds(ctx.db, new Date(ctx.now().getTime() - olderThanMs), batch);
}

// ------------------------------------------------------------------------------------------------ views

/** A booking's payments and refunds (the caller has checked the actor may see the booking). */
export async function listBookingPayments(ctx: ServiceContext, bookingId: string) {
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
      failureReason: r.failure_reason,
      createdAt: new Date(r.created_at).toISOString(),
    })),
  };
}
