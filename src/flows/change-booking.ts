/**
 * Changing a confirmed stay: the guest asks for other dates or another guest count, the host accepts or
 * declines (an instant-book listing accepts at once when the new nights are free). Applying a change is
 * one transaction with the booking locked: the new stay re-priced by the listing (its own nights ignored),
 * the booking's dates, guests and price columns updated in place — which takes the new nights and
 * releases the old ones under the database's no-overlap guard (PostgreSQL's exclusion constraint,
 * MySQL's booking_nights) — the change recorded, the notice written.
 *
 * Money (difference = new total − old total):
 *   = 0  nothing moves.
 *   < 0  the difference is promised back in the applying transaction (a `pending` refund of the captured
 *        payment, reason `booking_change`; carried out after the commit, or by the settle-refunds job).
 *   > 0  accepting puts the change in `awaiting_payment` (nights NOT taken yet); the guest pays the NEW
 *        TOTAL as a new payment (committed `processing` before the provider call, like a booking's). The
 *        transaction that records its success applies the change and promises the old payment back in
 *        full; if the nights were taken meanwhile (or the booking ended) the change `failed` and the new
 *        payment is promised back in full instead. Net, the guest pays the difference.
 *
 * Ledger invariant: for every booking, Σ of its postings per account = its current charge components
 * (bookings.chargeSplit of the row) minus the policy shares of its cancellation refunds. A change refund
 * is posted with its exact split (old − new components for a cheaper stay; the replaced payment's or
 * the late payment's whole split), never a proportional one, and does not count as a cancellation refund
 * (bookings.refunded_amount, succeededRefundTotal): a later cancellation refunds shares of the changed stay.
 */
import { afterCommit, inTransaction } from '../db/transaction.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type { ChangeInput, ChangeQuoteView, ChangeView } from '../modules/bookings/changes.schemas.js';
import * as changes from '../modules/bookings/changes.service.js';
import * as messaging from '../modules/messaging/messaging.service.js';
import type { PaymentView } from '../modules/payments/payments.schemas.js';
import * as payments from '../modules/payments/payments.service.js';
import * as payouts from '../modules/payouts/payouts.service.js';
import * as stays from '../modules/properties/stays.service.js';
import { recordAdminAction } from '../platform/audit.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { AppError, conflict } from '../platform/errors.js';
import type { ChargeResult } from '../platform/payment-provider.js';
import { attemptRefundAfterCommit } from './refunds.js';

type Db = ServiceContext['db'];
type Price = Parameters<typeof bookings.priceColumns>[0];
type Split = payments.ChargeSplit;

/** The charge split a booking would have with `price` (what the ledger records for it). */
const splitWith = (booking: bookings.BookingRow, price: Price): Split =>
  // chargeSplit reads the numeric price columns priceColumns writes (JSON ones are strings here, unread).
  bookings.chargeSplit({ ...booking, ...bookings.priceColumns(price) } as unknown as bookings.BookingRow);

/** old − new, component by component: what a cheaper stay gives back, exactly. */
const splitDelta = (from: Split, to: Split): Split => ({
  total: from.total - to.total,
  hostShare: from.hostShare - to.hostShare,
  serviceFee: from.serviceFee - to.serviceFee,
  taxes: from.taxes - to.taxes,
  hostId: from.hostId,
});

/** 409 `payout_released` once the stay's payout is out (a change is for a stay not yet begun). */
async function assertNoPayout(trx: Db, booking: bookings.BookingRow) {
  if (await payouts.findPayoutOfBooking(trx, booking.id)) {
    throw conflict('payout_released', "The stay's payout was released: it can no longer be changed");
  }
}

/** Price the new stay in `db` (the listing's rules, its calendar, other bookings' nights). */
async function priceNewStay(
  ctx: ServiceContext,
  db: Db,
  booking: bookings.BookingRow,
  stay: { checkIn: string; checkOut: string; guests: number },
) {
  const terms = await stays.bookableTerms({ ...ctx, db }, booking.property_id);
  const price = await stays.priceStayAt(
    ctx,
    db,
    terms,
    { propertyId: booking.property_id, ...stay },
    { exceptBookingId: booking.id },
  );
  return { terms, price };
}

function quoteView(
  booking: bookings.BookingRow,
  stay: { checkIn: string; checkOut: string; guests: number },
  price: stays.PriceBreakdown,
  instantBook: boolean,
): ChangeQuoteView {
  return {
    bookingId: booking.id,
    currency: booking.currency,
    from: {
      checkIn: booking.check_in,
      checkOut: booking.check_out,
      guests: booking.guests,
      total: booking.total,
    },
    to: {
      ...stay,
      total: price.total,
      nights: price.nightCount,
      nightsSubtotal: price.nightsSubtotal,
      cleaningFee: price.cleaningFee,
      serviceFee: price.serviceFee,
      taxes: price.taxes,
    },
    difference: price.total - booking.total,
    instantBook,
  };
}

/**
 * The guest asks to change a stay. `preview`: only the quote of the new stay (200). Otherwise the change
 * is recorded `requested` (201); on an instant-book listing it is accepted at once in the same
 * transaction (applied, or awaiting the guest's payment when dearer).
 */
export async function requestChange(
  ctx: ServiceContext,
  actor: Actor,
  bookingId: string,
  input: ChangeInput,
): Promise<{ status: 200; quote: ChangeQuoteView } | { status: 201; change: ChangeView }> {
  if (input.preview) {
    const booking = await inTransaction(ctx.db, (trx) =>
      changes.lockBookingAs(trx, actor, bookingId, 'guest'),
    );
    changes.assertChangeable(ctx, booking);
    const stay = changes.newStayOf(booking, input);
    const { terms, price } = await priceNewStay(ctx, ctx.db, booking, stay);
    return { status: 200, quote: quoteView(booking, stay, price, terms.instantBook) };
  }
  const outcome = await withOverlapRetry(() =>
    inTransaction(ctx.db, async (trx) => {
      const booking = await changes.lockBookingAs(trx, actor, bookingId, 'guest');
      changes.assertChangeable(ctx, booking);
      await assertNoPayout(trx, booking);
      const stay = changes.newStayOf(booking, input);
      const { terms, price } = await priceNewStay(ctx, trx, booking, stay);
      const change = await changes.insertRequested(trx, booking, actor, stay, price, input.message ?? null);
      if (!terms.instantBook) {
        await noticeOf(ctx, trx, booking, `The guest asks to change the stay to ${describe(change)}.`);
        return { change, refundId: null };
      }
      return accept(ctx, trx, actor, booking, change, 'instant book');
    }),
  );
  if (outcome.refundId) await attemptRefundAfterCommit(ctx, outcome.refundId);
  return { status: 201, change: changes.toChangeView(outcome.change) };
}

/**
 * Accepting (host, admin, or instant book) in the caller's transaction, booking locked: the new stay is
 * priced again now; cheaper or equal, it applies at once; dearer, it waits for the guest's payment.
 */
async function accept(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  booking: bookings.BookingRow,
  change: changes.BookingChangeRow,
  reason: string | null,
): Promise<{ change: changes.BookingChangeRow; refundId: string | null }> {
  const stay = { checkIn: change.to_check_in, checkOut: change.to_check_out, guests: change.to_guests };
  const { price } = await priceNewStay(ctx, trx, booking, stay);
  const difference = price.total - booking.total;
  const decided = { decided_by: actor.userId, decided_at: ctx.now(), price: JSON.stringify(price) };
  if (difference > 0) {
    const waiting = await changes.updateChange(ctx, trx, change.id, {
      ...decided,
      status: 'awaiting_payment',
      to_total: price.total,
      difference,
      ...(reason ? { reason } : {}),
    });
    await noticeOf(
      ctx,
      trx,
      booking,
      `The change to ${describe(waiting)} was accepted; it applies once the guest pays the new total.`,
    );
    return { change: waiting, refundId: null };
  }
  const applied = await applyChange(ctx, trx, actor, booking, change, price);
  let refundId: string | null = null;
  let refundSplit: string | null = null;
  if (difference < 0) {
    const delta = splitDelta(bookings.chargeSplit(booking), bookings.chargeSplit(applied));
    const refund = await payments.reserveRefund(ctx, trx, {
      bookingId: booking.id,
      amount: -difference,
      reason: payments.CHANGE_REFUND_REASON,
    });
    if (!refund) throw new Error(`booking ${booking.id} is confirmed but has no captured payment to refund`);
    refundId = refund.id;
    refundSplit = JSON.stringify(delta);
  }
  const done = await changes.updateChange(ctx, trx, change.id, {
    ...decided,
    status: 'applied',
    applied_at: ctx.now(),
    to_total: price.total,
    difference,
    refund_id: refundId,
    refund_split: refundSplit,
    ...(reason ? { reason } : {}),
  });
  return { change: done, refundId };
}

/** The booking takes the new stay (409 `dates_unavailable` on an overlap), with its notice. */
async function applyChange(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor | null,
  booking: bookings.BookingRow,
  change: changes.BookingChangeRow,
  price: Price,
): Promise<bookings.BookingRow> {
  const stay = { checkIn: change.to_check_in, checkOut: change.to_check_out, guests: change.to_guests };
  const changed = await bookings.applyStayChange(ctx, trx, booking, stay, price, {
    actorId: actor?.userId ?? change.requested_by,
    reason: `stay changed from ${booking.check_in}..${booking.check_out} (${booking.guests} guests) to ${describe(change)}`,
  });
  await noticeOf(
    ctx,
    trx,
    changed,
    `The stay was changed to ${describe(change)}; the new total is ${changed.total} ${changed.currency}.`,
  );
  return changed;
}

const describe = (c: changes.BookingChangeRow) =>
  `${c.to_check_in} to ${c.to_check_out}, ${c.to_guests} guest(s)`;

/** A notice in the booking's conversation, and a live event to both sides after the commit. */
async function noticeOf(ctx: ServiceContext, trx: Db, b: bookings.BookingRow, text: string) {
  const thread = await messaging.conversationOfBooking({ ...ctx, db: trx }, b.id);
  if (thread) await messaging.postNotice(ctx, trx, thread.id, text);
  afterCommit(trx, () =>
    ctx.events.publish([b.guest_id, b.host_id], {
      type: 'booking.changed',
      data: {
        bookingId: b.id,
        checkIn: b.check_in,
        checkOut: b.check_out,
        guests: b.guests,
        status: b.status,
        total: b.total,
        currency: b.currency,
        from: b.status,
      },
    }),
  );
}

/**
 * A transaction that lost a race for nights at the database's guard (an overlap at the UPDATE, which
 * aborts the transaction) is run once more: it then sees the winner's nights and answers 409 cleanly, or
 * (a payment's settlement) records the change as failed.
 */
async function withOverlapRetry<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (i >= attempts || !(err instanceof AppError && err.code === 'dates_unavailable')) throw err;
    }
  }
}

/** The host (or an admin, audited) accepts a requested change. */
export async function acceptChange(
  ctx: ServiceContext,
  actor: Actor,
  bookingId: string,
  changeId: string,
  reason?: string,
): Promise<ChangeView> {
  const outcome = await inTransaction(ctx.db, async (trx) => {
    const booking = await changes.lockBookingAs(trx, actor, bookingId, 'host');
    const change = await changes.lockChangeOf(trx, bookingId, changeId);
    changes.assertChangeStatus(change, ['requested'], 'accepted');
    changes.assertChangeable(ctx, booking);
    await assertNoPayout(trx, booking);
    const result = await accept(ctx, trx, actor, booking, change, reason ?? null);
    await auditIfAdmin(ctx, trx, actor, booking, 'booking.change.accept', change, result.change, reason);
    return result;
  });
  if (outcome.refundId) await attemptRefundAfterCommit(ctx, outcome.refundId);
  return changes.toChangeView(outcome.change);
}

/** The host (or an admin, audited) declines a requested change, with a reason for the guest. */
export async function declineChange(
  ctx: ServiceContext,
  actor: Actor,
  bookingId: string,
  changeId: string,
  reason?: string,
): Promise<ChangeView> {
  const row = await inTransaction(ctx.db, async (trx) => {
    const booking = await changes.lockBookingAs(trx, actor, bookingId, 'host');
    const change = await changes.lockChangeOf(trx, bookingId, changeId);
    changes.assertChangeStatus(change, ['requested'], 'declined');
    const declined = await changes.updateChange(ctx, trx, change.id, {
      status: 'declined',
      decided_by: actor.userId,
      decided_at: ctx.now(),
      reason: reason ?? null,
    });
    await noticeOf(
      ctx,
      trx,
      booking,
      `The host declined the change to ${describe(change)}${reason ? `: ${reason}` : '.'}`,
    );
    await auditIfAdmin(ctx, trx, actor, booking, 'booking.change.decline', change, declined, reason);
    return declined;
  });
  return changes.toChangeView(row);
}

/** The guest withdraws an open change (not while its payment is under way). */
export async function withdrawChange(
  ctx: ServiceContext,
  actor: Actor,
  bookingId: string,
  changeId: string,
): Promise<ChangeView> {
  const row = await inTransaction(ctx.db, async (trx) => {
    const booking = await changes.lockBookingAs(trx, actor, bookingId, 'guest');
    const change = await changes.lockChangeOf(trx, bookingId, changeId);
    changes.assertChangeStatus(change, changes.OPEN_CHANGE_STATUSES, 'withdrawn');
    if (change.payment_id) {
      const { payments: all } = await payments.listBookingPayments({ ...ctx, db: trx }, booking.id);
      const paying = all.find((p) => p.id === change.payment_id);
      if (paying && paying.status !== 'failed') {
        throw conflict('change_payment_under_way', "The change's payment is under way; wait for its outcome");
      }
    }
    const withdrawn = await changes.updateChange(ctx, trx, change.id, { status: 'withdrawn' });
    await noticeOf(ctx, trx, booking, `The guest withdrew the change to ${describe(change)}.`);
    return withdrawn;
  });
  return changes.toChangeView(row);
}

/** A booking's changes, newest first, for its guest, its host and admins (404 for anyone else). */
export async function listChanges(ctx: ServiceContext, actor: Actor, bookingId: string) {
  await changes.bookingVisibleTo(ctx.db, actor, bookingId);
  return { items: await changes.listChanges(ctx.db, bookingId) };
}

async function auditIfAdmin(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  booking: bookings.BookingRow,
  action: string,
  before: changes.BookingChangeRow,
  after: changes.BookingChangeRow,
  reason: string | undefined,
) {
  if (actor.role !== 'admin' || actor.userId === booking.host_id) return;
  await recordAdminAction(ctx, trx, actor, {
    action,
    objectType: 'booking',
    objectId: booking.id,
    before: { changeId: before.id, status: before.status },
    after: { changeId: after.id, status: after.status, difference: Number(after.difference) },
    reason: reason ?? null,
  });
}

// ------------------------------------------------------------------------------------ dearer changes

/**
 * The guest pays an accepted, dearer change: the new total, as a new payment committed `processing`
 * before the provider is asked. Paying again while it is under way or done returns it; a declined card
 * is 402 and the change keeps waiting (pay again with another card).
 */
export async function payChange(
  ctx: ServiceContext,
  actor: Actor,
  bookingId: string,
  changeId: string,
  input: { paymentMethod: string },
): Promise<{ status: number; change: ChangeView; payment: PaymentView }> {
  const started = await inTransaction(ctx.db, async (trx) => {
    const booking = await changes.lockBookingAs(trx, actor, bookingId, 'guest');
    const change = await changes.lockChangeOf(trx, bookingId, changeId);
    if (change.payment_id) {
      const current = (await payments.listBookingPayments({ ...ctx, db: trx }, booking.id)).payments.find(
        (p) => p.id === change.payment_id,
      );
      if (current && current.status !== 'failed') return { change, payment: null, view: current };
    }
    changes.assertChangeStatus(change, ['awaiting_payment'], 'paid');
    changes.assertChangeable(ctx, booking);
    const payment = await payments.createPayment(ctx, trx, {
      bookingId: booking.id,
      amount: Number(change.to_total),
      currency: change.currency,
    });
    const linked = await changes.updateChange(ctx, trx, change.id, { payment_id: payment.id });
    return { change: linked, payment, view: null };
  });
  if (!started.payment) {
    return {
      status: started.view?.status === 'succeeded' ? 200 : 202,
      change: changes.toChangeView(started.change),
      payment: started.view as PaymentView,
    };
  }
  const answer = await payments.chargePayment(ctx, started.payment, input.paymentMethod);
  const settled = await settleChangeCharge(ctx, started.payment, answer);
  if (settled.payment.status === 'failed') throw payments.paymentDeclined(settled.payment);
  return {
    status: settled.payment.status === 'succeeded' ? 200 : 202,
    change: changes.toChangeView(settled.change),
    payment: payments.toPaymentView(settled.payment),
  };
}

/** The provider's answer about a change's payment, applied (then its refund carried out, if any). */
async function settleChangeCharge(ctx: ServiceContext, payment: payments.PaymentRow, answer: ChargeResult) {
  const settled = await withOverlapRetry(() =>
    inTransaction(ctx.db, (trx) => settleChangeChargeIn(ctx, trx, payment, answer)),
  );
  if (settled.refund) await attemptRefundAfterCommit(ctx, settled.refund.id);
  return settled;
}

/** Is this payment a booking change's? (src/flows/pay.ts hands such payments' webhooks to the next function.) */
export function changeOfPayment(trx: Db, paymentId: string) {
  return changes.changeOfPayment(trx, paymentId);
}

/**
 * In the caller's transaction (a request's, a webhook's, the reconcile job's): the payment's outcome and
 * its ledger posting (the new stay's whole split); on a first success, the change applied and the old
 * payment promised back in full — or, when the change can no longer apply (nights taken, booking no longer
 * confirmed, stay begun, change withdrawn), the change failed and this payment promised back in full.
 */
export async function settleChangeChargeIn(
  ctx: ServiceContext,
  trx: Db,
  payment: payments.PaymentRow,
  answer: ChargeResult,
): Promise<{
  payment: payments.PaymentRow;
  change: changes.BookingChangeRow;
  refund: payments.RefundRow | null;
}> {
  const booking = await bookings.lockBooking(trx, payment.booking_id);
  const found = await changes.changeOfPayment(trx, payment.id);
  if (!found) throw new Error(`payment ${payment.id} is not a booking change's`);
  const change = await changes.lockChangeOf(trx, booking.id, found.id);
  const price = changes.priceOf<Price>(change);
  const newSplit = splitWith(booking, price);
  const applied = await payments.applyChargeResult(ctx, trx, payment.id, answer, newSplit);
  if (!applied.newlySucceeded) return { payment: applied.payment, change, refund: null };

  const failure = await whyNotApplicable(ctx, trx, booking, change);
  if (failure) {
    const refund = await payments.reserveRefund(ctx, trx, {
      bookingId: booking.id,
      amount: payment.amount,
      reason: payments.CHANGE_REFUND_REASON,
      paymentId: payment.id,
    });
    const failed = await changes.updateChange(ctx, trx, change.id, {
      ...(change.status === 'awaiting_payment' ? { status: 'failed' as const } : {}),
      refund_id: refund?.id ?? null,
      refund_split: JSON.stringify(newSplit),
      reason: failure,
    });
    await noticeOf(
      ctx,
      trx,
      booking,
      `The change to ${describe(change)} could not be made (${failure}); its payment is refunded in full.`,
    );
    return { payment: applied.payment, change: failed, refund };
  }
  // The payment being replaced: the captured one with something left to refund, other than this one.
  const { payments: all } = await payments.listBookingPayments({ ...ctx, db: trx }, booking.id);
  const old = all.filter(
    (p) => p.id !== payment.id && p.status === 'succeeded' && p.amount > p.refundedAmount,
  );
  if (old.length !== 1 || old[0]!.amount - old[0]!.refundedAmount !== booking.total) {
    throw new Error(`booking ${booking.id}: the payment a change replaces does not hold its total`);
  }
  const oldSplit = bookings.chargeSplit(booking);
  await applyChange(ctx, trx, null, booking, change, price);
  const refund = await payments.reserveRefund(ctx, trx, {
    bookingId: booking.id,
    amount: booking.total,
    reason: payments.CHANGE_REFUND_REASON,
    paymentId: old[0]!.id,
  });
  const done = await changes.updateChange(ctx, trx, change.id, {
    status: 'applied',
    applied_at: ctx.now(),
    refund_id: refund?.id ?? null,
    refund_split: JSON.stringify(oldSplit),
  });
  return { payment: applied.payment, change: done, refund };
}

/** Why a paid change cannot apply now (null: it can). Reads the calendar under the booking's lock. */
async function whyNotApplicable(
  ctx: ServiceContext,
  trx: Db,
  booking: bookings.BookingRow,
  change: changes.BookingChangeRow,
): Promise<string | null> {
  if (change.status !== 'awaiting_payment') return `the change is ${change.status.replaceAll('_', ' ')}`;
  try {
    changes.assertChangeable(ctx, booking);
    await assertNoPayout(trx, booking);
    await priceNewStay(ctx, trx, booking, {
      checkIn: change.to_check_in,
      checkOut: change.to_check_out,
      guests: change.to_guests,
    });
    return null;
  } catch (err) {
    if (err instanceof AppError && (err.status === 409 || err.status === 400 || err.status === 404)) {
      return err.code === 'dates_unavailable' ? 'the new nights were taken meanwhile' : err.message;
    }
    throw err;
  }
}
