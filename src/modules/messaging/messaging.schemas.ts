import { type Static, Type } from 'typebox';
import { PageQuery } from '../../platform/pagination.js';
import { DateOnly } from '../../platform/schemas.js';

const CONVERSATION_ID = '1f3a5c7e-9b2d-4f6a-8c0e-2b4d6f8a0c1e';
const PROPERTY_ID = '7c2e4a10-3b8f-4d6e-a1c5-9f0b2d4e6a8c';
const GUEST_ID = 'b3e1c9a2-5f4d-4c7e-9a1b-2d3e4f5a6b7c';
const HOST_ID = '0d9f8e7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b';

export const MESSAGE_EXAMPLE = {
  id: '2a4c6e8a-0b2d-4f6a-9c1e-3b5d7f9a1c3e',
  conversationId: CONVERSATION_ID,
  seq: 2,
  senderId: GUEST_ID,
  kind: 'text' as const,
  body: 'Is the terrace shaded in the afternoon? My number is [phone number hidden until booking is confirmed]',
  masked: true,
  createdAt: '2026-07-10T09:42:00.000Z',
};

export const CONVERSATION_EXAMPLE = {
  id: CONVERSATION_ID,
  propertyId: PROPERTY_ID,
  guestId: GUEST_ID,
  hostId: HOST_ID,
  bookingId: null,
  lastSeq: 2,
  lastMessageAt: '2026-07-10T09:42:00.000Z',
  unread: 1,
  readSeq: { guest: 2, host: 1 },
  blocked: false,
  blockedByMe: false,
  contactDetailsVisible: false,
  createdAt: '2026-07-10T09:30:00.000Z',
  listing: { id: PROPERTY_ID, title: 'Sunny loft with terrace' },
  otherParty: { id: HOST_ID, firstName: 'Ana' },
};

export const MessageSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    conversationId: Type.String({ format: 'uuid' }),
    seq: Type.Integer({ minimum: 1, description: '1, 2, 3… within the conversation' }),
    senderId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: 'Null for a notice written by Roost (kind `system`)',
    }),
    kind: Type.Enum(['text', 'system', 'pre_approval']),
    body: Type.String({
      description:
        'As written, except that emails, phone numbers and links are replaced by a placeholder until a ' +
        'booking of the conversation is confirmed',
    }),
    masked: Type.Boolean({ description: 'Something in the body is hidden' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Message', examples: [MESSAGE_EXAMPLE] },
);
export type MessageView = Static<typeof MessageSchema>;

const Party = Type.Object({ id: Type.String({ format: 'uuid' }), firstName: Type.String() });
const ListingRef = Type.Object({ id: Type.String({ format: 'uuid' }), title: Type.String() });

const conversationFields = {
  id: Type.String({ format: 'uuid' }),
  propertyId: Type.String({ format: 'uuid' }),
  guestId: Type.String({ format: 'uuid' }),
  hostId: Type.String({ format: 'uuid' }),
  bookingId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
    description: 'The latest booking made from this conversation; null while it is an inquiry',
  }),
  lastSeq: Type.Integer({ minimum: 0, description: 'The newest message’s seq' }),
  lastMessageAt: Type.String({ format: 'date-time' }),
  unread: Type.Integer({ minimum: 0, description: 'Messages you have not read' }),
  readSeq: Type.Object(
    { guest: Type.Integer({ minimum: 0 }), host: Type.Integer({ minimum: 0 }) },
    { description: 'How far each side has read (read receipts)' },
  ),
  blocked: Type.Boolean({ description: 'A participant blocked it: no new messages' }),
  blockedByMe: Type.Boolean(),
  contactDetailsVisible: Type.Boolean({
    description: 'A booking of this conversation was confirmed: nothing is masked any more',
  }),
  createdAt: Type.String({ format: 'date-time' }),
};

/** A conversation as the service sees it (no names). */
export const ConversationCore = Type.Object(conversationFields);
export type ConversationView = Static<typeof ConversationCore>;

export const ConversationSchema = Type.Object(
  {
    ...conversationFields,
    listing: ListingRef,
    otherParty: Type.Union([Party, Type.Null()], {
      description: 'The other participant (for an admin reading: null)',
    }),
  },
  { $id: 'Conversation', examples: [CONVERSATION_EXAMPLE] },
);
export type ConversationWithNames = Static<typeof ConversationSchema>;

export const ConversationCursor = Type.Object({
  at: Type.String({ maxLength: 40 }),
  id: Type.String({ format: 'uuid' }),
});
export const MessageCursor = Type.Object({ seq: Type.Integer({ minimum: 1 }) });

export const ConversationsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
export const MessagesQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    cursor: Type.Optional(
      Type.String({
        maxLength: 1024,
        description: 'Opaque cursor from `nextCursor`: the page of older messages',
      }),
    ),
  },
  { additionalProperties: false },
);

const Body = Type.String({
  minLength: 1,
  maxLength: 4000,
  description: 'The message text (1–4000 characters, not only spaces)',
});

export const StartConversationBody = Type.Object(
  {
    propertyId: Type.String({ format: 'uuid', description: 'The listing to ask about' }),
    body: Body,
  },
  {
    additionalProperties: false,
    examples: [{ propertyId: PROPERTY_ID, body: 'Hi! Is the terrace shaded in the afternoon?' }],
  },
);

export const PostMessageBody = Type.Object(
  { body: Body },
  { additionalProperties: false, examples: [{ body: 'Thanks, see you in July!' }] },
);

export const MarkConversationReadBody = Type.Object(
  {
    upToSeq: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Default: every message so far' }),
    ),
  },
  { additionalProperties: false, examples: [{ upToSeq: 2 }] },
);

export const PostedSchema = Type.Object(
  { conversation: ConversationSchema, message: MessageSchema },
  { examples: [{ conversation: CONVERSATION_EXAMPLE, message: MESSAGE_EXAMPLE }] },
);

export const UnreadTotals = Type.Object(
  {
    messages: Type.Integer({ description: 'Unread messages over all your conversations' }),
    conversations: Type.Integer({ description: 'Conversations with unread messages' }),
  },
  { examples: [{ messages: 3, conversations: 2 }] },
);

export const PRE_APPROVAL_EXAMPLE = {
  id: '6d8f0a2c-4e6a-4b8d-9f1a-3c5e7a9b1d3f',
  conversationId: CONVERSATION_ID,
  propertyId: PROPERTY_ID,
  guestId: GUEST_ID,
  checkIn: '2026-07-10',
  checkOut: '2026-07-13',
  guests: 2,
  expiresAt: '2026-07-02T09:30:00.000Z',
  bookingId: null,
  withdrawn: false,
};

export const PreApprovalSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    conversationId: Type.String({ format: 'uuid' }),
    propertyId: Type.String({ format: 'uuid' }),
    guestId: Type.String({ format: 'uuid' }),
    checkIn: DateOnly,
    checkOut: DateOnly,
    guests: Type.Integer({ minimum: 1 }),
    expiresAt: Type.String({ format: 'date-time' }),
    bookingId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: 'The booking made with it (it is used once)',
    }),
    withdrawn: Type.Boolean(),
  },
  { $id: 'PreApproval', examples: [PRE_APPROVAL_EXAMPLE] },
);
export type PreApprovalView = Static<typeof PreApprovalSchema>;

export const PreApproveBody = Type.Object(
  {
    checkIn: DateOnly,
    checkOut: DateOnly,
    guests: Type.Integer({ minimum: 1, maximum: 50 }),
  },
  { additionalProperties: false, examples: [{ checkIn: '2026-07-10', checkOut: '2026-07-13', guests: 2 }] },
);
