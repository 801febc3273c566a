/**
 * Quoting and booking a stay: the listing prices it (src/modules/properties/stays.service.ts), bookings
 * hold it. Both happen in one transaction, so the booking is made at the price its nights had when it was.
 */
import { inTransaction } from '../db/transaction.js';
import type { BookingView, QuoteView } from '../modules/bookings/bookings.schemas.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import * as messaging from '../modules/messaging/messaging.service.js';
import * as stays from '../modules/properties/stays.service.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { withIdempotency } from '../platform/idempotency.js';

/** Price a stay night by night; no reservation is made. */
export async function quote(ctx: ServiceContext, stay: stays.StayInput): Promise<QuoteView> {
  const terms = await stays.bookableTerms(ctx, stay.propertyId);
  const p = await stays.priceStayAt(ctx, ctx.db, terms, stay);
  return {
    propertyId: stay.propertyId,
    checkIn: stay.checkIn,
    checkOut: stay.checkOut,
    guests: stay.guests,
    currency: p.currency,
    nights: p.nightCount,
    nightly: p.nights,
    nightsSubtotal: p.nightsSubtotal,
    discountPct: p.discountPct,
    discount: p.discount,
    extraGuestFees: p.extraGuestFees,
    cleaningFee: p.cleaningFee,
    serviceFee: p.serviceFee,
    taxLines: p.taxLines,
    taxes: p.taxes,
    total: p.total,
    hostFee: p.hostFee,
    hostPayout: p.hostPayout,
  };
}

/**
 * Reserve a stay: validated and priced by the listing, held unpaid until `hold_expires_at`. The booking
 * joins the guest's conversation about the listing (made if there is none), where the guest's message to
 * the host is posted. A live pre-approval of the host for exactly these dates makes it instant: paid, it
 * is confirmed without waiting for the host. With an idempotency key, a replay returns the first response
 * and creates nothing.
 */
export async function createBooking(
  ctx: ServiceContext,
  actor: Actor,
  input: bookings.CreateBookingInput,
  idempotencyKey: string | undefined,
): Promise<{ status: number; body: BookingView; replayed: boolean }> {
  const terms = await stays.bookableTerms(ctx, input.propertyId);
  bookings.assertMayBook(actor, terms);
  const run = async (trx: ServiceContext['db']) => {
    const price = await stays.priceStayAt(ctx, trx, terms, input);
    const approval = terms.instantBook
      ? undefined
      : await messaging.takePreApproval(ctx, trx, { ...input, guestId: actor.userId });
    const listing = approval ? { ...terms, instantBook: true } : terms;
    const booking = await bookings.holdStay(ctx, trx, actor, input, listing, price);
    if (approval) await messaging.markPreApprovalUsed(trx, approval.id, booking.id);
    await messaging.joinBooking(ctx, trx, {
      bookingId: booking.id,
      propertyId: terms.id,
      hostId: terms.hostId,
      guestId: actor.userId,
      message: input.message ?? null,
    });
    return { status: 201, body: booking };
  };
  if (!idempotencyKey) return { ...(await inTransaction(ctx.db, run)), replayed: false };
  return withIdempotency(
    ctx.db,
    { userId: actor.userId, scope: 'create_booking', key: idempotencyKey, request: input },
    run,
  );
}
