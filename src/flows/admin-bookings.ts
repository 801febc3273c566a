/**
 * The operator's tools for bookings (issue 16): search, a booking's full timeline, cancelling on either
 * side's behalf with the policy's or a full refund, and partial refunds. Every change is audited
 * (recordAdminAction) inside the transaction that makes it; refunds are carried out after the commit
 * like every other refund (src/flows/refunds.ts).
 */
import { inTransaction } from '../db/transaction.js';
import { findUserIdByEmail } from '../modules/accounts/users.service.js';
import { auditOf } from '../modules/audit/audit.service.js';
import type { BookingView } from '../modules/bookings/bookings.schemas.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type { BookingStatus } from '../modules/bookings/state.js';
import * as messaging from '../modules/messaging/messaging.service.js';
import { ledgerTransactions } from '../modules/payments/money.service.js';
import * as payments from '../modules/payments/payments.service.js';
import { listingTitles } from '../modules/properties/properties.service.js';
import { recordAdminAction } from '../platform/audit.js';
import { type Actor, assertRole } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { conflict, notFound } from '../platform/errors.js';
import { carryOutCancellation } from './cancel.js';
import { attemptRefundAfterCommit, promiseRefund } from './refunds.js';

export interface AdminBookingQuery {
  id?: string | undefined;
  guestId?: string | undefined;
  guestEmail?: string | undefined;
  propertyId?: string | undefined;
  hostId?: string | undefined;
  status?: BookingStatus | undefined;
  /** Stays overlapping [from, to) (dates). */
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface AdminBookingSummary {
  id: string;
  propertyId: string;
  propertyTitle: string | null;
  guestId: string;
  hostId: string;
  checkIn: string;
  checkOut: string;
  status: BookingStatus;
  total: number;
  refundedAmount: number;
  currency: string;
  createdAt: string;
}

export interface TimelineEvent {
  at: string;
  kind: 'status' | 'payment' | 'refund' | 'ledger' | 'message' | 'audit';
  summary: string;
  amount?: number;
  currency?: string;
  actorId?: string | null;
}

export interface AdminCancelOptions {
  onBehalfOf: 'host' | 'guest';
  refund: 'policy' | 'full';
}

export interface CancellationPreview {
  bookingId: string;
  to: 'cancelled_by_host' | 'cancelled_by_guest';
  paid: number;
  refund: number;
  currency: string;
  policy: string;
  explanation: string;
}

export interface AdminRefundView {
  id: string;
  bookingId: string;
  amount: number;
  currency: string;
  status: payments.RefundRow['status'];
  reason: string | null;
  failureReason: string | null;
  createdAt: string;
}

/**
 * Admin: bookings matching every filter given (a guest by id or by account email), newest first,
 * keyset-paged, with their listing's title. An email no account has matches nothing.
 */
export async function adminSearchBookings(
  ctx: ServiceContext,
  actor: Actor,
  q: AdminBookingQuery,
): Promise<{ items: AdminBookingSummary[]; nextCursor: string | null }> {
  assertRole(actor, 'admin');
  const { guestEmail, ...filter } = q;
  if (guestEmail !== undefined) {
    const guestId = await findUserIdByEmail(ctx, guestEmail);
    if (!guestId || (filter.guestId && filter.guestId !== guestId)) return { items: [], nextCursor: null };
    filter.guestId = guestId;
  }
  const page = await bookings.adminSearchBookingRows(ctx, actor, filter);
  const titles = await listingTitles(
    ctx.db,
    page.items.map((b) => b.property_id),
  );
  return {
    items: page.items.map((b) => ({
      id: b.id,
      propertyId: b.property_id,
      propertyTitle: titles.get(b.property_id) ?? null,
      guestId: b.guest_id,
      hostId: b.host_id,
      checkIn: b.check_in,
      checkOut: b.check_out,
      status: b.status,
      total: b.total,
      refundedAmount: b.refunded_amount,
      currency: b.currency,
      createdAt: new Date(b.created_at).toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}

const iso = (d: Date | string) => new Date(d).toISOString();
/** Timeline order: by instant, then by kind in the order one change writes its rows. */
const KIND_ORDER: Record<TimelineEvent['kind'], number> = {
  status: 0,
  payment: 1,
  refund: 2,
  ledger: 3,
  message: 4,
  audit: 5,
};

/**
 * Admin: everything that happened to a booking, oldest first — status changes, payment attempts,
 * refunds, ledger transactions, its thread's latest messages (kind, sequence and sender only: never
 * the text) and the audit rows about it. 404 for an unknown booking.
 */
export async function bookingTimeline(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
): Promise<{ booking: BookingView; events: TimelineEvent[] }> {
  assertRole(actor, 'admin');
  const booking = await bookings.findBooking(ctx, id);
  if (!booking) throw notFound('Booking');
  const [history, money, ledger, audit, thread] = await Promise.all([
    bookings.bookingEvents(ctx, id),
    payments.listBookingPayments(ctx, id),
    ledgerTransactions(ctx, actor, { bookingId: id, limit: 100 }),
    auditOf(ctx, 'booking', id),
    messaging.conversationOfBooking(ctx, id),
  ]);
  const messages = thread ? (await messaging.listMessages(ctx, thread, { limit: 50 })).items : [];
  const events: (TimelineEvent & { order: string })[] = [];
  for (const e of history) {
    events.push({
      at: iso(e.created_at),
      kind: 'status',
      summary: `${e.from_status ?? 'created'} → ${e.to_status}${e.reason ? ` (${e.reason})` : ''}`,
      actorId: e.actor_id,
      order: e.id,
    });
  }
  for (const p of money.payments) {
    events.push({
      at: p.createdAt,
      kind: 'payment',
      summary: `payment ${p.status} (${p.provider})${p.failureReason ? `: ${p.failureReason}` : ''}`,
      amount: p.amount,
      currency: p.currency,
      order: p.id,
    });
  }
  for (const r of money.refunds) {
    events.push({
      at: r.createdAt,
      kind: 'refund',
      summary: `refund ${r.status} (${r.reason})${r.failureReason ? `: ${r.failureReason}` : ''}`,
      amount: r.amount,
      currency: r.currency,
      order: r.id,
    });
  }
  for (const t of ledger.items) {
    const clearing = t.entries.find((e) => e.account === 'provider_clearing');
    events.push({
      at: t.createdAt,
      kind: 'ledger',
      summary: `ledger ${t.kind}: ${t.entries.map((e) => `${e.account} ${e.amount}`).join(', ')}`,
      ...(clearing ? { amount: clearing.amount } : {}),
      currency: t.currency,
      order: t.id,
    });
  }
  for (const m of messages) {
    events.push({
      at: m.createdAt,
      kind: 'message',
      summary: `message #${m.seq} (${m.kind})`,
      actorId: m.senderId,
      order: m.id,
    });
  }
  for (const a of audit) {
    events.push({
      at: a.createdAt,
      kind: 'audit',
      summary: `${a.action}${a.reason ? `: ${a.reason}` : ''}`,
      actorId: a.actorId,
      order: a.id,
    });
  }
  events.sort(
    (a, b) =>
      a.at.localeCompare(b.at) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.order.localeCompare(b.order),
  );
  return { booking: bookings.toBookingView(booking), events: events.map(({ order: _, ...e }) => e) };
}

/**
 * Admin: what cancelling on `onBehalfOf`'s behalf would do now — the status, what was paid and what goes
 * back, and the rule applied. Writes nothing. 409 `illegal_transition` when the booking cannot be cancelled
 * from its status on that side (only a confirmed stay can be cancelled on the host's behalf).
 */
export async function previewAdminCancellation(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  opts: AdminCancelOptions,
): Promise<CancellationPreview> {
  const d = await bookings.previewAdminCancellationDecision(ctx, actor, id, opts);
  return {
    bookingId: id,
    to: d.to,
    paid: d.paid,
    refund: d.refund,
    currency: d.booking.currency,
    policy: d.booking.cancellation_policy,
    explanation: d.explanation,
  };
}

/**
 * Admin: cancel on the host's or the guest's behalf, refunding what that side's rule gives (`policy`) or
 * everything paid (`full`) — the same transaction as any cancellation (src/flows/cancel.ts), audited as
 * `booking.cancel` with the reason; the booking's history and both parties see only "cancelled by Roost
 * support on the host's/guest's behalf". The refund is carried out after the commit.
 */
export function adminCancel(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  opts: AdminCancelOptions & { reason: string },
): Promise<BookingView> {
  assertRole(actor, 'admin');
  return carryOutCancellation(
    ctx,
    actor,
    id,
    (trx) => bookings.planAdminCancellation(ctx, trx, actor, id, opts),
    {
      // The operator's reason may be internal (fraud, a complaint): it stays in the audit log.
      reason: `cancelled by Roost support on the ${opts.onBehalfOf}'s behalf`,
      auditReason: opts.reason,
      auditAfter: { onBehalfOf: opts.onBehalfOf, refundMode: opts.refund },
    },
  );
}

/** Statuses in which what was paid can be partly refunded by an admin. */
export const REFUNDABLE: readonly BookingStatus[] = [
  'confirmed',
  'completed',
  'cancelled_by_guest',
  'cancelled_by_host',
];

/**
 * Admin: give back part of what was paid (a goodwill gesture, a partial stay…) on a confirmed, completed
 * or cancelled booking: 1..what is still paid and not refunded (more is 409 `refund_exceeds_paid`).
 * Promised in one transaction with its audit row (`booking.refund`), carried out after the commit like
 * every refund; answers the refund as it then stands (`pending` if the provider has not answered yet).
 */
export async function partialRefund(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  opts: { amount: number; reason: string },
): Promise<{ refund: AdminRefundView }> {
  assertRole(actor, 'admin');
  const promised = await inTransaction(ctx.db, async (trx) => {
    const booking = await bookings.lockBooking(trx, id);
    if (!REFUNDABLE.includes(booking.status)) {
      throw conflict(
        'not_refundable',
        `A booking that is ${booking.status.replaceAll('_', ' ')} cannot be refunded by hand`,
      );
    }
    const remaining = booking.total - booking.refunded_amount;
    if (opts.amount > remaining) {
      throw conflict('refund_exceeds_paid', `Cannot refund ${opts.amount}; only ${remaining} is still paid`);
    }
    const refund = await promiseRefund(ctx, trx, id, opts.amount, 'admin_refund');
    if (!refund) throw conflict('not_refundable', 'Nothing was captured for this booking');
    await recordAdminAction(ctx, trx, actor, {
      action: 'booking.refund',
      objectType: 'booking',
      objectId: id,
      before: { status: booking.status, refundedAmount: booking.refunded_amount },
      after: { refundId: refund.id, amount: refund.amount, currency: refund.currency },
      reason: opts.reason,
    });
    return refund;
  });
  await attemptRefundAfterCommit(ctx, promised.id);
  const r = await payments.getRefund(ctx, promised.id);
  return {
    refund: {
      id: r.id,
      bookingId: r.booking_id,
      amount: r.amount,
      currency: r.currency,
      status: r.status,
      reason: r.reason,
      failureReason: r.failure_reason,
      createdAt: iso(r.created_at),
    },
  };
}
