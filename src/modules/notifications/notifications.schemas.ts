import { type Static, Type } from 'typebox';
import { PageQuery } from '../../platform/pagination.js';
import { NOTIFICATION_CATEGORIES, NOTIFICATION_TYPE_NAMES } from './catalog.js';

export const NOTIFICATION_EXAMPLE = {
  id: '5b7d9f1a-3c5e-4a7b-9d1f-2a4c6e8a0b2d',
  type: 'message.new' as const,
  category: 'messages' as const,
  title: '2 new messages from Ana',
  data: {
    conversationId: '1f3a5c7e-9b2d-4f6a-8c0e-2b4d6f8a0c1e',
    fromName: 'Ana',
    preview: 'Is the terrace shaded in the afternoon?',
    count: 2,
  },
  readAt: null,
  createdAt: '2026-07-10T09:30:00.000Z',
  updatedAt: '2026-07-10T09:42:00.000Z',
};

export const NotificationSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: Type.Enum([...NOTIFICATION_TYPE_NAMES], {
      description: 'What happened (see the README for each type and its data)',
    }),
    category: Type.Enum([...NOTIFICATION_CATEGORIES], { description: 'The preference category' }),
    title: Type.String({ description: 'One line for the feed' }),
    data: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Ids and facts of the event (bookingId, conversationId, checkIn, …)',
    }),
    readAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({
      format: 'date-time',
      description: 'Later than createdAt when more events joined it (a thread’s new messages)',
    }),
  },
  { $id: 'Notification', examples: [NOTIFICATION_EXAMPLE] },
);
export type NotificationView = Static<typeof NotificationSchema>;

export const NotificationCursor = Type.Object({
  at: Type.String({ maxLength: 40 }),
  id: Type.String({ format: 'uuid' }),
});

export const NotificationsQuery = Type.Object(
  {
    unread: Type.Optional(Type.Boolean({ description: 'Only unread ones' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const MarkReadBody = Type.Object(
  {
    ids: Type.Optional(
      Type.Array(Type.String({ format: 'uuid' }), {
        maxItems: 100,
        uniqueItems: true,
        description: 'These notifications; omit to mark every notification read',
      }),
    ),
  },
  { additionalProperties: false, examples: [{ ids: [NOTIFICATION_EXAMPLE.id] }] },
);

export const MarkReadResult = Type.Object(
  {
    marked: Type.Integer({ description: 'How many were unread and are now read' }),
    unread: Type.Integer({ description: 'Unread notifications left' }),
  },
  { examples: [{ marked: 1, unread: 3 }] },
);

export const UnreadCount = Type.Object({ unread: Type.Integer() }, { examples: [{ unread: 4 }] });

const CategoryPreference = Type.Object({
  category: Type.Enum([...NOTIFICATION_CATEGORIES]),
  description: Type.String(),
  email: Type.Boolean({ description: 'Sent by email too (default true)' }),
  inApp: Type.Boolean({ description: 'Always true: the feed gets every event' }),
});

export const PreferencesSchema = Type.Object(
  { categories: Type.Array(CategoryPreference) },
  {
    $id: 'NotificationPreferences',
    examples: [
      {
        categories: [
          {
            category: 'messages',
            description: 'New messages in your conversations',
            email: false,
            inApp: true,
          },
        ],
      },
    ],
  },
);
export type PreferencesView = Static<typeof PreferencesSchema>;

export const UpdatePreferencesBody = Type.Object(
  {
    email: Type.Object(
      Object.fromEntries(NOTIFICATION_CATEGORIES.map((c) => [c, Type.Optional(Type.Boolean())])),
      { additionalProperties: false, description: 'Categories to switch email on (true) or off (false)' },
    ),
  },
  { additionalProperties: false, examples: [{ email: { messages: false } }] },
);
