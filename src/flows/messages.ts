/**
 * Guests and hosts writing to each other: a guest asks about a listing (the listing's host is the other
 * participant), either side writes in a thread, reads it. A new message is pushed to both sides and
 * notified to the other one (one unread feed entry per thread; at most one email per thread per
 * MESSAGE_EMAIL_BATCH_MINUTES). Views name the listing and the other participant.
 */
import { inTransaction } from '../db/transaction.js';
import { firstNamesOf, getMe } from '../modules/accounts/users.service.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import type { ConversationWithNames, MessageView } from '../modules/messaging/messaging.schemas.js';
import * as messaging from '../modules/messaging/messaging.service.js';
import * as notifications from '../modules/notifications/notifications.service.js';
import * as properties from '../modules/properties/properties.service.js';
import * as stays from '../modules/properties/stays.service.js';
import type { Actor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { notifyUser } from './notify.js';

type Db = ServiceContext['db'];

const groupOf = (conversationId: string) => `conversation:${conversationId}`;

/** Conversation views with the listing's title and the other participant's first name. */
async function withNames(
  ctx: ServiceContext,
  rows: messaging.ConversationRow[],
  viewerId: string,
): Promise<ConversationWithNames[]> {
  const [titles, names] = await Promise.all([
    properties.listingTitles(
      ctx.db,
      rows.map((c) => c.property_id),
    ),
    firstNamesOf(
      ctx.db,
      rows.flatMap((c) => [c.guest_id, c.host_id]),
    ),
  ]);
  return rows.map((c) => {
    const side = messaging.sideOf({ userId: viewerId }, c);
    const other = side ? messaging.otherParticipant(c, viewerId) : null;
    return {
      ...messaging.toConversationView(c, viewerId),
      listing: { id: c.property_id, title: titles.get(c.property_id) ?? '' },
      otherParty: other ? { id: other, firstName: names.get(other) ?? '' } : null,
    };
  });
}

/** One conversation's view with names. */
async function named(ctx: ServiceContext, c: messaging.ConversationRow, viewerId: string) {
  const [view] = await withNames(ctx, [c], viewerId);
  return view as ConversationWithNames;
}

/** Tell the other side of a new message: the feed (grouped per thread) and, throttled, an email. */
async function notifyMessage(ctx: ServiceContext, trx: Db, posted: messaging.Posted, sender: Actor) {
  // The sender's profile as this request's session check found it (cached), else read in this
  // transaction (never on another connection while it is open: PGlite has only one).
  const { firstName } = await getMe({ ...ctx, db: trx }, sender);
  for (const userId of posted.recipients) {
    await notifyUser(ctx, trx, {
      userId,
      type: 'message.new',
      groupKey: groupOf(posted.conversation.id),
      emailEveryMinutes: ctx.config.MESSAGE_EMAIL_BATCH_MINUTES,
      data: {
        conversationId: posted.conversation.id,
        propertyId: posted.conversation.property_id,
        messageId: posted.message.id,
        fromName: firstName,
        // The text as the recipient sees it in the thread (masked until a booking is confirmed).
        preview: posted.message.body.slice(0, 140),
      },
    });
  }
}

/**
 * A guest writes to a listing's host: the (listing, guest) thread is made on the first message and
 * continued afterwards. 404 for a listing that is not listed; 403 for one's own listing.
 */
export async function startConversation(
  ctx: ServiceContext,
  actor: Actor,
  input: { propertyId: string; body: string },
): Promise<{ conversation: ConversationWithNames; message: MessageView }> {
  const terms = await stays.bookableTerms(ctx, input.propertyId);
  const posted = await inTransaction(ctx.db, async (trx) => {
    const thread = await messaging.openThread(ctx, trx, {
      propertyId: terms.id,
      hostId: terms.hostId,
      guestId: actor.userId,
    });
    const posted = await messaging.postInLockedThread(ctx, trx, thread, 'guest', actor.userId, input.body);
    await notifyMessage(ctx, trx, posted, actor);
    return posted;
  });
  return { conversation: await named(ctx, posted.conversation, actor.userId), message: posted.message };
}

/** A participant writes in a thread (404 for anyone else; 409 `conversation_blocked`). */
export async function sendMessage(
  ctx: ServiceContext,
  actor: Actor,
  conversationId: string,
  body: string,
): Promise<{ conversation: ConversationWithNames; message: MessageView }> {
  const posted = await inTransaction(ctx.db, async (trx) => {
    const posted = await messaging.postMessage(ctx, trx, actor, conversationId, body);
    await notifyMessage(ctx, trx, posted, actor);
    return posted;
  });
  return { conversation: await named(ctx, posted.conversation, actor.userId), message: posted.message };
}

export async function listConversations(
  ctx: ServiceContext,
  actor: Actor,
  q: { limit: number; cursor?: string | undefined },
) {
  const page = await messaging.listConversations(ctx, actor, q);
  // Names are looked up once for the whole page.
  return { items: await withNames(ctx, page.rows, actor.userId), nextCursor: page.nextCursor };
}

export async function getConversation(ctx: ServiceContext, actor: Actor, id: string, requestId?: string) {
  const c = await messaging.readableConversation(ctx, actor, id, requestId);
  return named(ctx, c, actor.userId);
}

export async function listMessages(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  q: { limit: number; cursor?: string | undefined },
  requestId?: string,
) {
  const c = await messaging.readableConversation(ctx, actor, id, requestId);
  return messaging.listMessages(ctx, c, q);
}

/** The participant read the thread (up to `upToSeq`); its unread feed entry is read too. */
export async function readConversation(ctx: ServiceContext, actor: Actor, id: string, upToSeq?: number) {
  const c = await inTransaction(ctx.db, async (trx) => {
    const c = await messaging.markRead(ctx, trx, actor, id, upToSeq);
    if (upToSeq === undefined || upToSeq >= c.last_seq) {
      await notifications.markGroupRead(ctx, trx, actor.userId, groupOf(id));
    }
    return c;
  });
  return named(ctx, c, actor.userId);
}

export async function setBlocked(ctx: ServiceContext, actor: Actor, id: string, blocked: boolean) {
  const c = await inTransaction(ctx.db, (trx) => messaging.setBlocked(ctx, trx, actor, id, blocked));
  return named(ctx, c, actor.userId);
}

/** The conversation of a booking its guest, host or an admin may see; made (and joined) if it has none. */
export async function bookingConversation(ctx: ServiceContext, actor: Actor, bookingId: string) {
  const booking = await bookings.getBookingFor(ctx, actor, bookingId);
  let c = await messaging.conversationOfBooking(ctx, booking.id);
  if (!c) {
    c = await inTransaction(
      ctx.db,
      async (trx) =>
        (
          await messaging.joinBooking(ctx, trx, {
            bookingId: booking.id,
            propertyId: booking.property_id,
            hostId: booking.host_id,
            guestId: booking.guest_id,
          })
        ).conversation,
    );
  }
  return getConversation(ctx, actor, c.id);
}
