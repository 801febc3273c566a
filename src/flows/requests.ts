/**
 * The request-to-book lifecycle around the host's answer (accepting and declining are in ./cancel.ts):
 * a paid request the host leaves unanswered past BOOKING_REQUEST_HOURS expires, refunded in full; a host
 * may instead pre-approve a guest for dates, which the guest can then book instantly.
 */
import { inTransaction } from '../db/transaction.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type { PreApprovalView } from '../modules/messaging/messaging.schemas.js';
import * as messaging from '../modules/messaging/messaging.service.js';
import * as stays from '../modules/properties/stays.service.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { notFound } from '../platform/errors.js';
import { bookingChanged, notifyUser } from './notify.js';
import { attemptRefundAfterCommit, promiseFullRefund } from './refunds.js';

/**
 * The `expire-requests` job: every paid request past its answer time becomes `expired`, everything paid
 * is promised back (a pending refund, carried out after the commit, or by `settle-refunds` if that
 * fails), both sides are told. A request the host answers meanwhile is locked by that answer and skipped
 * (or finds the request expired: 409). Returns how many expired.
 */
export async function expireUnansweredRequests(ctx: ServiceContext, batch = 200): Promise<number> {
  const refunds = await inTransaction(ctx.db, async (trx) => {
    const due = await bookings.lockUnansweredRequests(ctx, trx, batch);
    const promised: string[] = [];
    for (const request of due) {
      const refund = await promiseFullRefund(ctx, trx, request, 'request_expired');
      if (refund) promised.push(refund.id);
      const expired = await bookings.transition(
        ctx,
        trx,
        request,
        'expired',
        null,
        'request expired unanswered',
      );
      await bookingChanged(ctx, trx, expired, { from: 'awaiting_host' });
    }
    return { count: due.length, promised };
  });
  for (const id of refunds.promised) await attemptRefundAfterCommit(ctx, id);
  return refunds.count;
}

/**
 * The host pre-approves the guest of a conversation for a stay: the stay is checked and priced as a
 * booking would be (dates, rules, availability: 400/409 as for a booking), then offered in the thread;
 * the guest is told.
 */
export async function preApprove(
  ctx: ServiceContext,
  actor: Actor,
  conversationId: string,
  stay: { checkIn: string; checkOut: string; guests: number },
): Promise<PreApprovalView> {
  const thread = await messaging.readableConversation(ctx, actor, conversationId);
  if (!messaging.sideOf(actor, thread)) throw notFound('Conversation');
  const terms = await stays.bookableTerms(ctx, thread.property_id);
  await stays.priceStayAt(ctx, ctx.db, terms, { propertyId: thread.property_id, ...stay });
  return inTransaction(ctx.db, async (trx) => {
    const { preApproval, posted } = await messaging.preApprove(ctx, trx, actor, conversationId, stay);
    await notifyUser(ctx, trx, {
      userId: thread.guest_id,
      type: 'preapproval.received',
      data: {
        conversationId,
        propertyId: thread.property_id,
        preApprovalId: preApproval.id,
        checkIn: stay.checkIn,
        checkOut: stay.checkOut,
        guests: stay.guests,
        expiresAt: preApproval.expiresAt,
        messageId: posted.message.id,
      },
    });
    return preApproval;
  });
}

/** The pre-approvals of a conversation (its participants; an admin's read is recorded). */
export async function listPreApprovals(
  ctx: ServiceContext,
  actor: Actor,
  conversationId: string,
  requestId?: string,
) {
  const thread = await messaging.readableConversation(ctx, actor, conversationId, requestId);
  return messaging.preApprovalsOf(ctx, thread);
}

/** The host withdraws an unused pre-approval: booking those dates is a request again. */
export function withdrawPreApproval(
  ctx: ServiceContext,
  actor: Actor,
  conversationId: string,
  preApprovalId: string,
): Promise<PreApprovalView> {
  return inTransaction(ctx.db, (trx) =>
    messaging.withdrawPreApproval(ctx, trx, actor, conversationId, preApprovalId),
  );
}
