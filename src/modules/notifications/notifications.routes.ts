/** The notification feed and email preferences, under /api/v1/notifications (the caller's own only). */
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import {
  MarkReadBody,
  MarkReadResult,
  NotificationSchema,
  NotificationsQuery,
  PreferencesSchema,
  UnreadCount,
  UpdatePreferencesBody,
} from './notifications.schemas.js';
import * as notifications from './notifications.service.js';

export async function notificationsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['notifications'];
  const security = bearerSecurity;

  app.get(
    '/',
    {
      schema: {
        tags,
        security,
        operationId: 'listNotifications',
        summary: 'List my notifications',
        description:
          'The in-app feed, newest first, in keyset pages. Every event is here whatever the email ' +
          'preferences say. A thread’s new messages share one unread notification (`data.count`).',
        querystring: NotificationsQuery,
        response: {
          200: pageResponse(NotificationSchema, 'A page of notifications'),
          ...problemResponses(400, 401),
        },
      },
    },
    async (req) => notifications.listNotifications(ctx, requireActor(req), req.query),
  );

  app.get(
    '/unread-count',
    {
      schema: {
        tags,
        security,
        operationId: 'countUnreadNotifications',
        summary: 'Count my unread notifications',
        description: 'The badge number; pushed changes arrive as `notification.created` events.',
        response: { 200: described(UnreadCount, 'The count'), ...problemResponses(401) },
      },
    },
    async (req) => notifications.unreadCount(ctx, requireActor(req)),
  );

  app.post(
    '/read',
    {
      schema: {
        tags,
        security,
        operationId: 'markNotificationsRead',
        summary: 'Mark notifications read',
        description:
          'These ids (up to 100; ids that are not yours, or already read, are left alone), or all of them ' +
          'when `ids` is omitted.',
        body: MarkReadBody,
        response: { 200: described(MarkReadResult, 'What changed'), ...problemResponses(400, 401) },
      },
    },
    async (req) => notifications.markRead(ctx, requireActor(req), req.body.ids),
  );

  app.get(
    '/preferences',
    {
      schema: {
        tags,
        security,
        operationId: 'getNotificationPreferences',
        summary: 'My notification preferences',
        description:
          'Per category: whether it is emailed too (default: yes). The in-app feed gets everything.',
        response: { 200: described(PreferencesSchema, 'The preferences'), ...problemResponses(401) },
      },
    },
    async (req) => notifications.preferences(ctx, requireActor(req)),
  );

  app.patch(
    '/preferences',
    {
      schema: {
        tags,
        security,
        operationId: 'updateNotificationPreferences',
        summary: 'Switch email on or off per category',
        description: 'Only the categories named change.',
        body: UpdatePreferencesBody,
        response: { 200: described(PreferencesSchema, 'The preferences now'), ...problemResponses(400, 401) },
      },
    },
    async (req) => notifications.updatePreferences(ctx, requireActor(req), req.body),
  );
}
