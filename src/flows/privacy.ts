/**
 * Privacy tools: a person's data export, and erasing their account (issue 16).
 *
 * Export: everything Roost holds about the user, from each module (src/modules/<name>/<name>.privacy.ts),
 * as one JSON document. Credentials never appear (no password hash, TOTP secret or token hash).
 *
 * Erasure anonymizes the person in place, in one transaction: the account gets an anonymous name and an
 * undeliverable address, loses its phone, password, second factor, sessions and one-time tokens; the
 * text they wrote (messages, reviews, replies, booking messages, guest ratings' text) becomes
 * "[deleted]" or empty; their feed, preferences and unsent emails are deleted, sent emails re-addressed
 * and emptied; their listings are unlisted without street address, arrival details or photos; other
 * people's notifications and emails lose what they quoted of them (sender name, message previews,
 * email, phone). Bookings, payments, refunds and the ledger stay untouched: they refer to the person
 * by id only, and are the record of money that moved (the ledger stays balanced).
 *
 * Refused while they have a stay to come, as guest (409 `has_upcoming_stay`) or as host
 * (409 `host_has_upcoming_stays`). An admin erasing someone writes one audit row (ids only).
 */
import { afterCommit, inTransaction } from '../db/transaction.js';
import * as accounts from '../modules/accounts/accounts.privacy.js';
import * as bookings from '../modules/bookings/bookings.privacy.js';
import * as messaging from '../modules/messaging/messaging.privacy.js';
import * as notifications from '../modules/notifications/notifications.privacy.js';
import * as payments from '../modules/payments/payments.privacy.js';
import * as payouts from '../modules/payouts/payouts.privacy.js';
import { todayOf } from '../modules/properties/pricing.js';
import * as properties from '../modules/properties/properties.privacy.js';
import * as reviews from '../modules/reviews/reviews.privacy.js';
import { recordAdminAction } from '../platform/audit.js';
import { type Actor, assertRole } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { AppError, conflict, notFound } from '../platform/errors.js';
import type { FileStore } from '../platform/file-store.js';

export const EXPORT_FORMAT = 'roost-export/1';

/** The user themself (any role) or an admin; anyone else gets 404 (no hint the user exists). */
function mayAccess(actor: Actor, userId: string): boolean {
  return actor.userId === userId || actor.role === 'admin';
}

/** Everything Roost holds about the user, as one JSON document. */
export async function exportUserData(ctx: ServiceContext, actor: Actor, userId: string) {
  if (!mayAccess(actor, userId)) throw notFound('User');
  const db = ctx.db; // the primary: an export must be complete, never a moment stale
  const account = await accounts.exportAccount(db, userId);
  if (!account) throw notFound('User');
  const [listings, booked, reviewed, talked, notified, paidOut] = await Promise.all([
    properties.exportListings(db, userId),
    bookings.exportBookings(db, userId),
    reviews.exportReviews(db, userId),
    messaging.exportConversations(db, userId),
    notifications.exportNotifications(db, userId),
    payouts.exportPayouts(db, userId),
  ]);
  const money = await payments.exportPayments(db, await bookings.bookingIdsOf(db, userId));
  return {
    format: EXPORT_FORMAT,
    exportedAt: ctx.now().toISOString(),
    ...account,
    listings,
    bookings: booked,
    payments: money.payments,
    refunds: money.refunds,
    payoutAccounts: paidOut.payoutAccounts,
    payouts: paidOut.payouts,
    reviews: reviewed,
    conversations: talked.conversations,
    preApprovals: talked.preApprovals,
    supportReads: talked.supportReads,
    notifications: notified.notifications,
    notificationPreferences: notified.notificationPreferences,
  };
}

export type UserExport = Awaited<ReturnType<typeof exportUserData>>;

export interface EraseOptions {
  /** Erasing someone else's account as an admin (the admin route); else the user's own. */
  admin?: boolean | undefined;
  /** The user's current password (their own erasure only). */
  password?: string | undefined;
  /** Why (admin erasure; kept in the audit log). */
  reason?: string | undefined;
  /** Where photo files live (deleted after the commit); without it only the photo rows go. */
  files?: FileStore | undefined;
}

/** Erase the user's account (see the top of this file). */
export async function eraseUser(
  ctx: ServiceContext,
  actor: Actor,
  userId: string,
  opts: EraseOptions = {},
): Promise<void> {
  if (opts.admin) {
    assertRole(actor, 'admin');
    if (userId === actor.userId) {
      throw conflict('cannot_erase_self', 'An admin cannot erase their own account from the admin API');
    }
  } else {
    if (actor.userId !== userId) throw notFound('User');
    if (opts.password === undefined || !(await accounts.checkPassword(ctx.db, userId, opts.password))) {
      throw new AppError(403, 'invalid_credentials', 'The password is incorrect');
    }
  }
  await inTransaction(ctx.db, async (trx) => {
    const now = ctx.now();
    const person = await accounts.lockPerson(trx, userId);
    if (!person) throw notFound('User');
    if (person.deleted) throw conflict('already_erased', 'This account has already been erased');
    const upcoming = await bookings.upcomingStays(trx, userId, todayOf(now));
    if (upcoming.asGuest) {
      throw conflict('has_upcoming_stay', 'The account has a stay to come; it can be erased after it');
    }
    if (upcoming.asHost) {
      throw conflict(
        'host_has_upcoming_stays',
        "The account's listings have stays to come; cancel them or wait until they are over",
      );
    }
    const messageIds = await messaging.eraseAuthoredMessages(trx, userId);
    await reviews.eraseReviewTexts(trx, userId, now);
    await bookings.eraseBookingTexts(trx, userId);
    await notifications.eraseNotifications(trx, userId);
    const listings = await properties.eraseHostListings(trx, userId, now);
    await accounts.eraseAccount(trx, person, now);
    const mentions = {
      fragments: [person.email, person.phone ?? '', `${person.firstName} ${person.lastName}`],
      messageIds: new Set(messageIds),
    };
    await notifications.scrubNotificationMentions(trx, mentions);
    await accounts.scrubOutboxMentions(trx, mentions);
    if (opts.admin) {
      await recordAdminAction(ctx, trx, actor, {
        action: 'user.erase',
        objectType: 'user',
        objectId: userId,
        before: { role: person.role, erased: false },
        after: { erased: true, listingsUnlisted: listings.propertyIds.length },
        reason: opts.reason ?? null,
      });
    }
    afterCommit(trx, async () => {
      await ctx.sessions.forget(userId);
      await properties.afterHostErased(ctx, opts.files, listings);
    });
  });
}
