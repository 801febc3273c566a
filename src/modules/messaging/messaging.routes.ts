/** Conversations and messages, under /api/v1/conversations; a booking's conversation under /api/v1/bookings. */
import { Type } from 'typebox';
import * as flow from '../../flows/messages.js';
import * as requests from '../../flows/requests.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, idParams, pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import type { RateLimitGuard } from '../../platform/rate-limit.js';
import {
  CONVERSATION_EXAMPLE,
  ConversationSchema,
  ConversationsQuery,
  MarkConversationReadBody,
  MessageSchema,
  MessagesQuery,
  PostedSchema,
  PostMessageBody,
  PRE_APPROVAL_EXAMPLE,
  PreApprovalSchema,
  PreApproveBody,
  StartConversationBody,
  UnreadTotals,
} from './messaging.schemas.js';
import * as messaging from './messaging.service.js';

const IdParams = idParams('The conversation id', CONVERSATION_EXAMPLE.id);

export async function messagingRoutes(
  app: RoostApp,
  { ctx, messageLimit }: { ctx: ServiceContext; messageLimit: RateLimitGuard },
) {
  const tags = ['messaging'];
  const security = bearerSecurity;
  const limited = async (req: Parameters<RateLimitGuard>[0], reply: Parameters<RateLimitGuard>[1]) => {
    requireActor(req);
    await messageLimit(req, reply);
  };

  app.post(
    '/',
    {
      preHandler: limited,
      schema: {
        tags,
        security,
        operationId: 'startConversation',
        summary: 'Ask a host about a listing',
        description:
          'Writes to the host of a listed listing. There is one conversation per listing and guest: the first ' +
          'message makes it, later ones continue it, and a booking of the listing joins it. Emails, phone ' +
          'numbers and links are masked until a booking of the conversation is confirmed. Rate-limited per ' +
          'user (429 `rate_limited`); 403 `own_listing`; 409 `conversation_blocked`.',
        body: StartConversationBody,
        response: {
          201: described(PostedSchema, 'The conversation and the message'),
          ...problemResponses(400, 401, 403, 404, 409, 429),
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await flow.startConversation(ctx, requireActor(req), req.body)),
  );

  app.get(
    '/',
    {
      schema: {
        tags,
        security,
        operationId: 'listConversations',
        summary: 'List my conversations',
        description:
          'As guest and as host, most recent activity first, each with its unread count; keyset pages.',
        querystring: ConversationsQuery,
        response: {
          200: pageResponse(ConversationSchema, 'A page of conversations'),
          ...problemResponses(400, 401),
        },
      },
    },
    async (req) => flow.listConversations(ctx, requireActor(req), req.query),
  );

  app.get(
    '/unread-count',
    {
      schema: {
        tags,
        security,
        operationId: 'countUnreadMessages',
        summary: 'Count my unread messages',
        description: 'Over all my conversations.',
        response: { 200: described(UnreadTotals, 'The counts'), ...problemResponses(401) },
      },
    },
    async (req) => messaging.unreadTotals(ctx, requireActor(req)),
  );

  app.get(
    '/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'getConversation',
        summary: 'Get a conversation',
        description:
          'For its guest and host; an admin may read it for support, and each such read is recorded. ' +
          '404 for anyone else.',
        params: IdParams,
        response: {
          200: described(ConversationSchema, 'The conversation'),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (req) => flow.getConversation(ctx, requireActor(req), req.params.id, req.id),
  );

  app.get(
    '/:id/messages',
    {
      schema: {
        tags,
        security,
        operationId: 'listMessages',
        summary: 'Read a conversation’s messages',
        description:
          'The newest `limit` messages in the order they were written (newest last); `nextCursor` fetches ' +
          'the older page before them. Contact details are masked until a booking is confirmed.',
        params: IdParams,
        querystring: MessagesQuery,
        response: {
          200: pageResponse(MessageSchema, 'A page of messages'),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (req) => flow.listMessages(ctx, requireActor(req), req.params.id, req.query, req.id),
  );

  app.post(
    '/:id/messages',
    {
      preHandler: limited,
      schema: {
        tags,
        security,
        operationId: 'postMessage',
        summary: 'Write in a conversation',
        description:
          'Pushed at once to both participants (`message.created`); the other one is notified (one unread ' +
          'notification per conversation; at most one email per conversation every ' +
          'MESSAGE_EMAIL_BATCH_MINUTES). 409 `conversation_blocked`; 429 `rate_limited`.',
        params: IdParams,
        body: PostMessageBody,
        response: {
          201: described(PostedSchema, 'The conversation and the message'),
          ...problemResponses(400, 401, 404, 409, 429),
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await flow.sendMessage(ctx, requireActor(req), req.params.id, req.body.body)),
  );

  app.post(
    '/:id/read',
    {
      schema: {
        tags,
        security,
        operationId: 'markConversationRead',
        summary: 'Mark a conversation read',
        description:
          'Up to `upToSeq` (default: everything). The other side sees it (`readSeq`, and a ' +
          '`conversation.read` event); the conversation’s unread notification is read too.',
        params: IdParams,
        body: MarkConversationReadBody,
        response: {
          200: described(ConversationSchema, 'The conversation'),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (req) => flow.readConversation(ctx, requireActor(req), req.params.id, req.body.upToSeq),
  );

  app.put(
    '/:id/block',
    {
      schema: {
        tags,
        security,
        operationId: 'blockConversation',
        summary: 'Block the other participant',
        description:
          'No new messages either way until the participant who blocked unblocks. Bookings are not affected; ' +
          'Roost’s own notices still appear.',
        params: IdParams,
        response: {
          200: described(ConversationSchema, 'The conversation'),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (req) => flow.setBlocked(ctx, requireActor(req), req.params.id, true),
  );

  app.delete(
    '/:id/block',
    {
      schema: {
        tags,
        security,
        operationId: 'unblockConversation',
        summary: 'Unblock a conversation',
        description: 'Only by the participant who blocked it (403 `not_blocker`).',
        params: IdParams,
        response: {
          200: described(ConversationSchema, 'The conversation'),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => flow.setBlocked(ctx, requireActor(req), req.params.id, false),
  );

  app.post(
    '/:id/pre-approvals',
    {
      schema: {
        tags,
        security,
        operationId: 'preApproveStay',
        summary: 'Pre-approve the guest for dates',
        description:
          'The host offers the conversation’s guest these dates: checked like a booking (400 for dates the ' +
          'listing’s rules refuse, 409 `dates_unavailable`), valid for BOOKING_REQUEST_HOURS. A booking of ' +
          'exactly these dates (up to this many guests) by that guest is then instant: confirmed when paid. ' +
          'Posted in the conversation; the guest is notified. 403 `not_host`.',
        params: IdParams,
        body: PreApproveBody,
        response: {
          201: described(PreApprovalSchema, 'The pre-approval'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await requests.preApprove(ctx, requireActor(req), req.params.id, req.body)),
  );

  app.get(
    '/:id/pre-approvals',
    {
      schema: {
        tags,
        security,
        operationId: 'listPreApprovals',
        summary: 'List a conversation’s pre-approvals',
        description:
          'Newest first (the 20 latest), used, withdrawn or live; for its participants and admins.',
        params: IdParams,
        response: {
          200: described(
            Type.Array(PreApprovalSchema, { examples: [[PRE_APPROVAL_EXAMPLE]] }),
            'The pre-approvals',
          ),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (req) => requests.listPreApprovals(ctx, requireActor(req), req.params.id, req.id),
  );

  app.delete(
    '/:id/pre-approvals/:preApprovalId',
    {
      schema: {
        tags,
        security,
        operationId: 'withdrawPreApproval',
        summary: 'Withdraw a pre-approval',
        description:
          'The host takes back an offer not used yet: booking those dates is a request again. 409 ' +
          '`pre_approval_used` once a booking was made with it; 403 `not_host`.',
        params: PreApprovalParams,
        response: {
          200: described(PreApprovalSchema, 'The pre-approval, withdrawn'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) =>
      requests.withdrawPreApproval(ctx, requireActor(req), req.params.id, req.params.preApprovalId),
  );
}

const BookingIdParams = idParams('The booking id', 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d');

const PreApprovalParams = Type.Object({
  id: Type.String({
    format: 'uuid',
    description: 'The conversation id',
    examples: [CONVERSATION_EXAMPLE.id],
  }),
  preApprovalId: Type.String({
    format: 'uuid',
    description: 'The pre-approval id',
    examples: [PRE_APPROVAL_EXAMPLE.id],
  }),
});

/** Under /api/v1/bookings: a booking's conversation. */
export async function bookingThreadRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const security = bearerSecurity;
  app.get(
    '/:id/conversation',
    {
      schema: {
        tags: ['messaging'],
        security,
        operationId: 'getBookingConversation',
        summary: 'Get a booking’s conversation',
        description: 'For its guest, host or an admin (404 otherwise); made if the booking has none yet.',
        params: BookingIdParams,
        response: {
          200: described(ConversationSchema, 'The conversation'),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (req) => flow.bookingConversation(ctx, requireActor(req), req.params.id),
  );
}
