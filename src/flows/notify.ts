/**
 * Telling people what happened. A notification is written to the in-app feed in the transaction of the
 * change (src/modules/notifications), and — unless the user switched that category's email off — an email
 * to the outbox in the same transaction (sent by the worker), so both exist exactly when the change
 * committed. Pushes to open connections go out after the commit.
 *
 * `bookingChanged` is the one place that decides who hears of a booking's new status, and how; the
 * booking's conversation gets a notice, and a confirmation reveals its contact details.
 */

import { afterCommit } from '../db/transaction.js';
import { contactOf } from '../modules/accounts/users.service.js';
import type { BookingRow } from '../modules/bookings/bookings.service.js';
import * as messaging from '../modules/messaging/messaging.service.js';
import type { NotificationType } from '../modules/notifications/catalog.js';
import { specOf } from '../modules/notifications/catalog.js';
import * as notifications from '../modules/notifications/notifications.service.js';
import * as properties from '../modules/properties/properties.service.js';
import type { ServiceContext } from '../platform/context.js';
import { enqueueEmail } from '../platform/email.js';

type Db = ServiceContext['db'];

export interface NotifyInput {
  userId: string;
  type: NotificationType;
  data: Record<string, unknown>;
  /** One unread notification per group (a thread's messages); see notifications.record. */
  groupKey?: string | undefined;
  /** At most one email per group within this many minutes (the group's last email is remembered). */
  emailEveryMinutes?: number | undefined;
  /** With a group: nothing at all if the group has a notification already (one reminder per booking). */
  once?: boolean | undefined;
}

/** The feed entry, and the email when the user wants it (and it is not throttled), in `trx`. */
export async function notifyUser(
  ctx: ServiceContext,
  trx: Db,
  input: NotifyInput,
): Promise<{ notified: boolean; emailed: boolean }> {
  const recorded = await notifications.record(ctx, trx, input);
  if (!recorded) return { notified: false, emailed: false };
  const { notification, emailWanted, previous } = recorded;
  if (!emailWanted) return { notified: true, emailed: false };
  const now = ctx.now().getTime();
  if (input.emailEveryMinutes !== undefined) {
    const last = Date.parse(String(previous?.['emailedAt'] ?? notification.data['emailedAt'] ?? ''));
    if (Number.isFinite(last) && now - last < input.emailEveryMinutes * 60_000) {
      return { notified: true, emailed: false };
    }
  }
  const contact = await contactOf(trx, input.userId);
  if (!contact) return { notified: true, emailed: false };
  const id = await enqueueEmail(trx, {
    to: contact.email,
    template: specOf(input.type).template,
    data: { firstName: contact.firstName, ...input.data, notificationId: notification.id },
    ...(input.once && input.groupKey ? { dedupeKey: input.groupKey } : {}),
  });
  if (id && input.emailEveryMinutes !== undefined) {
    await notifications.annotate(ctx, trx, notification, { emailedAt: new Date(now).toISOString() });
  }
  return { notified: true, emailed: id !== null };
}

/** What a booking notification carries: ids, dates, money, the listing's title, the thread. */
async function bookingFacts(ctx: ServiceContext, trx: Db, b: BookingRow) {
  const titles = await properties.listingTitles(trx, [b.property_id]);
  const thread = await messaging.conversationOfBooking({ ...ctx, db: trx }, b.id);
  return {
    bookingId: b.id,
    propertyId: b.property_id,
    listingTitle: titles.get(b.property_id) ?? null,
    conversationId: thread?.id ?? null,
    checkIn: b.check_in,
    checkOut: b.check_out,
    guests: b.guests,
    status: b.status,
    total: b.total,
    refundedAmount: b.refunded_amount,
    currency: b.currency,
  };
}

const NOTICES: Partial<Record<BookingRow['status'], (b: BookingRow, reason?: string) => string>> = {
  awaiting_host: (b) =>
    `Request to book ${b.check_in} to ${b.check_out} sent (paid). The host has until ${b.request_expires_at ? new Date(b.request_expires_at).toISOString() : 'the deadline'} to answer.`,
  confirmed: (b) => `Booking confirmed: ${b.check_in} to ${b.check_out}. Contact details are now visible.`,
  declined: (b, reason) =>
    `The host declined the request for ${b.check_in} to ${b.check_out}${reason ? `: ${reason}` : '.'}`,
  expired: (b) =>
    `The request for ${b.check_in} to ${b.check_out} expired unanswered; it was refunded in full.`,
  cancelled_by_guest: (b) => `The guest cancelled the stay ${b.check_in} to ${b.check_out}.`,
  cancelled_by_host: (b) => `The stay ${b.check_in} to ${b.check_out} was cancelled by the host.`,
};

/**
 * A booking's status changed (in `trx`, after the transition): feed entries and emails for each side,
 * a notice in its conversation, and on confirmation the conversation's contact details revealed.
 * `from` is the status it had; `reason` the actor's (a decline's reason is passed on to the guest).
 */
export async function bookingChanged(
  ctx: ServiceContext,
  trx: Db,
  b: BookingRow,
  change: { from: BookingRow['status']; reason?: string | undefined; byAdmin?: boolean },
): Promise<void> {
  const facts = await bookingFacts(ctx, trx, b);
  const guest = (type: NotificationType, extra: Record<string, unknown> = {}) =>
    notifyUser(ctx, trx, { userId: b.guest_id, type, data: { ...facts, ...extra, role: 'guest' } });
  const host = (type: NotificationType, extra: Record<string, unknown> = {}) =>
    notifyUser(ctx, trx, { userId: b.host_id, type, data: { ...facts, ...extra, role: 'host' } });

  switch (b.status) {
    case 'awaiting_host':
      await host('booking.requested', {
        respondBy: b.request_expires_at ? new Date(b.request_expires_at).toISOString() : null,
      });
      break;
    case 'confirmed':
      await messaging.revealContacts(ctx, trx, b.id);
      if (change.from === 'awaiting_host') await guest('request.accepted');
      else {
        await guest('booking.confirmed');
        await host('booking.new');
      }
      if ((await properties.arrivalInfo({ ...ctx, db: trx }, b.property_id)).details) {
        await guest('checkin.details');
      }
      break;
    case 'declined':
      await guest('request.declined', { reason: change.reason ?? null });
      break;
    case 'expired':
      // An unpaid hold that lapsed tells nobody; an unanswered request tells both sides.
      if (change.from === 'awaiting_host') {
        await guest('request.expired');
        await host('request.expired');
      }
      break;
    case 'cancelled_by_guest':
    case 'cancelled_by_host': {
      if (change.from === 'pending_payment') break; // an unpaid hold: nothing was agreed yet
      const byGuest = b.status === 'cancelled_by_guest';
      if (!byGuest || change.byAdmin) await guest('booking.cancelled', { by: byGuest ? 'guest' : 'host' });
      if (byGuest || change.byAdmin) await host('booking.cancelled', { by: byGuest ? 'guest' : 'host' });
      if (change.from === 'confirmed') await host('payout.changed');
      break;
    }
    default:
      break;
  }
  const notice = NOTICES[b.status]?.(b, change.reason);
  if (notice && facts.conversationId && !(b.status === 'expired' && change.from !== 'awaiting_host')) {
    await messaging.postNotice(ctx, trx, facts.conversationId, notice);
  }
  afterCommit(trx, () =>
    ctx.events.publish([b.guest_id, b.host_id], {
      type: 'booking.changed',
      data: { ...facts, from: change.from },
    }),
  );
}
