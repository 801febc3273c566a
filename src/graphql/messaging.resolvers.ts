/**
 * GraphQL over messaging and notifications: the same flows and services as the REST routes
 * (/api/v1/conversations, /api/v1/notifications), the same TypeBox bounds, the same authorization (a
 * conversation that is not yours is `not_found`), and messages count against the same per-user rate
 * limit as REST's (`messageLimit`, keyed by user id, so both APIs share one counter).
 */
import type { MercuriusContext } from 'mercurius';
import * as flow from '../flows/messages.js';
import * as requests from '../flows/requests.js';
import {
  ConversationsQuery,
  MarkConversationReadBody,
  MessagesQuery,
  PostMessageBody,
  PreApproveBody,
  StartConversationBody,
} from '../modules/messaging/messaging.schemas.js';
import * as messaging from '../modules/messaging/messaging.service.js';
import {
  MarkReadBody,
  NotificationsQuery,
  UpdatePreferencesBody,
} from '../modules/notifications/notifications.schemas.js';
import * as notifications from '../modules/notifications/notifications.service.js';
import { type Actor, requireActor } from '../platform/auth.js';
import type { RateLimitGuard } from '../platform/rate-limit.js';
import { validate } from '../platform/validation.js';

declare module 'mercurius' {
  interface MercuriusContext {
    /** The per-user message limit REST's message routes use. */
    messageLimit?: RateLimitGuard | undefined;
  }
}

type Ctx = MercuriusContext;
type Args = Record<string, unknown>;

/** The caller, or the same 401 the REST routes give. */
const actorOf = (c: Ctx): Actor => requireActor(c.reply.request);

/** Arguments as REST would receive them: an explicit null is the same as leaving the argument out. */
function given(args: Args): Args {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null && v !== undefined));
}

/** One more message by this user, counted with REST's (429 `rate_limited` past the limit). */
async function countMessage(c: Ctx, actor: Actor): Promise<void> {
  // Registered by the app with the REST routes' guard; without one, refuse rather than not count.
  if (!c.messageLimit) throw new Error('the message rate limit is not configured for GraphQL');
  await c.messageLimit.forKey(c.reply.request, c.reply, actor.userId);
}

interface ConversationNode {
  id: string;
}

export const messagingQuery = {
  notifications: async (_: unknown, args: Args, c: Ctx) =>
    notifications.listNotifications(
      c.ctx,
      actorOf(c),
      validate(NotificationsQuery, { limit: 20, ...given(args) }),
    ),
  conversations: async (_: unknown, args: Args, c: Ctx) =>
    flow.listConversations(c.ctx, actorOf(c), validate(ConversationsQuery, { limit: 20, ...given(args) })),
  conversation: async (_: unknown, { id }: Args, c: Ctx) =>
    flow.getConversation(c.ctx, actorOf(c), String(id), c.reply.request.id),
  bookingConversation: async (_: unknown, { bookingId }: Args, c: Ctx) =>
    flow.bookingConversation(c.ctx, actorOf(c), String(bookingId)),
  unreadMessages: async (_: unknown, __: Args, c: Ctx) => messaging.unreadTotals(c.ctx, actorOf(c)),
  unreadNotifications: async (_: unknown, __: Args, c: Ctx) =>
    (await notifications.unreadCount(c.ctx, actorOf(c))).unread,
  notificationPreferences: async (_: unknown, __: Args, c: Ctx) =>
    notifications.preferences(c.ctx, actorOf(c)),
};

export const messagingMutation = {
  startConversation: async (_: unknown, args: Args, c: Ctx) => {
    const actor = actorOf(c);
    const input = validate(StartConversationBody, given(args));
    await countMessage(c, actor);
    return flow.startConversation(c.ctx, actor, input);
  },
  sendMessage: async (_: unknown, { conversationId, body }: Args, c: Ctx) => {
    const actor = actorOf(c);
    const input = validate(PostMessageBody, { body });
    await countMessage(c, actor);
    return flow.sendMessage(c.ctx, actor, String(conversationId), input.body);
  },
  markConversationRead: async (_: unknown, { id, upToSeq }: Args, c: Ctx) => {
    const actor = actorOf(c);
    const input = validate(MarkConversationReadBody, given({ upToSeq }));
    return flow.readConversation(c.ctx, actor, String(id), input.upToSeq);
  },
  blockConversation: async (_: unknown, { id }: Args, c: Ctx) =>
    flow.setBlocked(c.ctx, actorOf(c), String(id), true),
  unblockConversation: async (_: unknown, { id }: Args, c: Ctx) =>
    flow.setBlocked(c.ctx, actorOf(c), String(id), false),
  preApproveStay: async (_: unknown, { conversationId, ...stay }: Args, c: Ctx) => {
    const actor = actorOf(c);
    return requests.preApprove(c.ctx, actor, String(conversationId), validate(PreApproveBody, stay));
  },
  withdrawPreApproval: async (_: unknown, { conversationId, preApprovalId }: Args, c: Ctx) =>
    requests.withdrawPreApproval(c.ctx, actorOf(c), String(conversationId), String(preApprovalId)),
  markNotificationsRead: async (_: unknown, args: Args, c: Ctx) => {
    const actor = actorOf(c);
    return notifications.markRead(c.ctx, actor, validate(MarkReadBody, given(args)).ids);
  },
  updateNotificationPreferences: async (_: unknown, { email }: Args, c: Ctx) => {
    const actor = actorOf(c);
    return notifications.updatePreferences(
      c.ctx,
      actor,
      validate(UpdatePreferencesBody, { email: given((email ?? {}) as Args) }),
    );
  },
};

export const messagingTypes = {
  Conversation: {
    // Read like REST's GET /conversations/:id/messages: checked again (an admin's read is recorded).
    messages: async (conversation: ConversationNode, args: Args, c: Ctx) =>
      flow.listMessages(
        c.ctx,
        actorOf(c),
        conversation.id,
        validate(MessagesQuery, { limit: 50, ...given(args) }),
        c.reply.request.id,
      ),
    preApprovals: async (conversation: ConversationNode, _: Args, c: Ctx) =>
      requests.listPreApprovals(c.ctx, actorOf(c), conversation.id, c.reply.request.id),
  },
};
