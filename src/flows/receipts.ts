/**
 * Documents that span modules: a guest's receipt (the booking, its payments and refunds, the listing,
 * the guest) and a host's payout statement (the host's ledger movements of a month, named by guest and
 * listing). The receipts module builds and renders them; this flow gathers what they say and checks who
 * may read them.
 */
import * as users from '../modules/accounts/users.service.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import * as payments from '../modules/payments/payments.service.js';
import * as properties from '../modules/properties/properties.service.js';
import { receiptPdf, statementPdf } from '../modules/receipts/pdf.js';
import type { PayoutStatementView, ReceiptView } from '../modules/receipts/receipts.schemas.js';
import * as receipts from '../modules/receipts/receipts.service.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { AppError, badRequest, forbidden, notFound } from '../platform/errors.js';

/**
 * The receipt of a booking: for its guest (the addressee), its host and admins; 404 for anyone else, 409
 * `receipt_not_available` while no payment of it has succeeded.
 */
export async function bookingReceipt(
  ctx: ServiceContext,
  actor: Actor,
  bookingId: string,
): Promise<ReceiptView> {
  const row = await bookings.getBookingFor(ctx, actor, bookingId);
  const booking = bookings.toBookingView(row);
  const money = await payments.listBookingPayments(ctx, booking.id);
  if (!money.payments.some((p) => p.status === 'succeeded')) throw receipts.receiptNotAvailable();
  const [providerRefs, listing, guest] = await Promise.all([
    receipts.providerRefsOf(ctx, booking.id),
    listingOf(ctx, booking.propertyId),
    users.contactOf(ctx.db, booking.guestId),
  ]);
  return receipts.buildReceipt(
    receipts.platformOf(ctx.config),
    {
      booking,
      guest: { id: booking.guestId, firstName: guest?.firstName ?? 'Guest' },
      listing,
      payments: money.payments,
      refunds: money.refunds,
      providerRefs,
    },
    ctx.now(),
  );
}

/** The listing's title and place; a deleted listing keeps its title (the place is no longer shown). */
async function listingOf(ctx: ServiceContext, propertyId: string) {
  try {
    const info = await properties.arrivalInfo(ctx, propertyId);
    return {
      id: propertyId,
      title: info.title,
      city: info.address.city,
      region: info.address.region,
      countryCode: info.address.countryCode,
    };
  } catch (err) {
    if (!(err instanceof AppError) || err.status !== 404) throw err;
    const titles = await properties.listingTitles(ctx.db, [propertyId]);
    return {
      id: propertyId,
      title: titles.get(propertyId) ?? 'Listing',
      city: null,
      region: null,
      countryCode: null,
    };
  }
}

export async function bookingReceiptPdf(ctx: ServiceContext, actor: Actor, bookingId: string) {
  const receipt = await bookingReceipt(ctx, actor, bookingId);
  return { receipt, pdf: await receiptPdf(receipt) };
}

/**
 * A host's payout statement for a month: a host's own (asking for another host's is 403); an admin's of
 * the host named by `hostId` (required; 404 for no such user); a guest's, none (403).
 */
export async function payoutStatement(
  ctx: ServiceContext,
  actor: Actor,
  q: { month: string; hostId?: string | undefined },
): Promise<PayoutStatementView> {
  if (actor.role === 'guest') throw forbidden('Only hosts and admins have payout statements');
  let hostId = q.hostId;
  if (actor.role === 'host') {
    if (hostId && hostId !== actor.userId) throw forbidden('You can only see your own payout statement');
    hostId = actor.userId;
  }
  if (!hostId) throw badRequest('host_id_required', 'Admins name the host: ?hostId=');
  const host = await users.contactOf(ctx.db, hostId);
  if (!host) throw notFound('Host');
  const entries = await receipts.hostLedgerEntries(ctx, hostId, q.month);
  const guestIds = entries.flatMap((e) => (e.guestId ? [e.guestId] : []));
  const propertyIds = entries.flatMap((e) => (e.propertyId ? [e.propertyId] : []));
  const [guestNames, listingTitles] = await Promise.all([
    users.firstNamesOf(ctx.db, guestIds),
    properties.listingTitles(ctx.db, propertyIds),
  ]);
  return receipts.buildStatement(
    receipts.platformOf(ctx.config),
    { host: { id: hostId, firstName: host.firstName }, month: q.month, entries, guestNames, listingTitles },
    ctx.now(),
  );
}

export async function payoutStatementPdf(
  ctx: ServiceContext,
  actor: Actor,
  q: { month: string; hostId?: string | undefined },
) {
  const statement = await payoutStatement(ctx, actor, q);
  return { statement, pdf: await statementPdf(statement) };
}
