/**
 * The in-app notification feed and each user's email preferences. A notification is written in the
 * transaction of the change it tells about, and pushed to the user's open connections after the commit.
 * Whether it is also emailed is the caller's (src/flows/notify.ts) to carry out: this module knows no
 * addresses.
 */
import { createHash } from 'node:crypto';
import { afterCommit } from '../../db/transaction.js';
import type { Actor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import {
  CATEGORY_DESCRIPTIONS,
  NOTIFICATION_CATEGORIES,
  type NotificationCategory,
  type NotificationType,
  specOf,
} from './catalog.js';
import * as repo from './notifications.repository.js';
import { NotificationCursor, type NotificationView, type PreferencesView } from './notifications.schemas.js';

type Db = ServiceContext['db'];

/** A UUID (version 8, name-based) determined by the user and the group. */
function onceId(userId: string, groupKey: string): string {
  const h = createHash('sha256').update(`notification-once\n${userId}\n${groupKey}`).digest('hex');
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function toNotificationView(row: repo.NotificationRow): NotificationView {
  const type = row.type as NotificationType;
  const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Record<string, unknown>;
  return {
    id: row.id,
    type,
    category: row.category as NotificationCategory,
    title: specOf(type)?.title(data) ?? type,
    data,
    readAt: row.read_at ? new Date(row.read_at).toISOString() : null,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export interface RecordInput {
  userId: string;
  type: NotificationType;
  data: Record<string, unknown>;
  /**
   * Events of one group (a thread's messages) share one unread notification: a new event while it is
   * unread updates it (`data.count` goes up) instead of adding another.
   */
  groupKey?: string | undefined;
  /** With a group: write nothing if the group has a notification already (one reminder per booking). */
  once?: boolean | undefined;
}

export interface Recorded {
  notification: NotificationView;
  /** The user wants this category by email (the default). */
  emailWanted: boolean;
  /** The group's previous notification (read or not): its data, e.g. when it was last emailed. */
  previous: Record<string, unknown> | null;
}

/**
 * Write (or, in a group, update) a notification in the caller's transaction; pushed after the commit.
 * Null when `once` and the group has one already.
 */
export async function record(ctx: ServiceContext, trx: Db, input: RecordInput): Promise<Recorded | null> {
  const spec = specOf(input.type);
  const now = ctx.now();
  let previous: Record<string, unknown> | null = null;
  let row: repo.NotificationRow | undefined;
  if (input.groupKey) {
    const latest = await repo.lockLatestInGroup(trx, input.userId, input.groupKey);
    if (latest && input.once) return null;
    if (latest) {
      previous = toNotificationView(latest).data;
      if (!latest.read_at) {
        const data = { ...previous, ...input.data, count: Number(previous['count'] ?? 1) + 1 };
        await repo.updateData(trx, latest.id, data, now);
        row = { ...latest, data, updated_at: now };
      }
    }
  }
  if (!row) {
    // A `once` notification has an id derived from its user and group: two runs at once write one row.
    const id = input.once && input.groupKey ? onceId(input.userId, input.groupKey) : newId();
    const data = input.groupKey ? { ...input.data, count: 1 } : input.data;
    const fresh = {
      id,
      user_id: input.userId,
      category: spec.category,
      type: input.type,
      data,
      group_key: input.groupKey ?? null,
      created_at: now,
    };
    if (!(await repo.insertNotification(trx, fresh))) return null;
    row = { ...fresh, updated_at: now, read_at: null };
  }
  const notification = toNotificationView(row);
  afterCommit(trx, () =>
    ctx.events.publish([input.userId], { type: 'notification.created', data: notification }),
  );
  const emailWanted = (await repo.emailPreference(trx, input.userId, spec.category)) ?? true;
  return { notification, emailWanted, previous };
}

/** Keep data on a notification written in this transaction (e.g. when it was emailed). */
export async function annotate(ctx: ServiceContext, trx: Db, view: NotificationView, extra: object) {
  await repo.updateData(trx, view.id, { ...view.data, ...extra }, ctx.now());
}

export async function listNotifications(
  ctx: ServiceContext,
  actor: Actor,
  q: { unread?: boolean | undefined; limit: number; cursor?: string | undefined },
) {
  const after = q.cursor ? decodeCursor<{ at: string; id: string }>(q.cursor, NotificationCursor) : undefined;
  const rows = await repo.listNotifications(ctx.db, {
    userId: actor.userId,
    unreadOnly: q.unread === true,
    after,
    limit: q.limit + 1,
  });
  return toPage(rows, q.limit, toNotificationView, (r) => ({
    at: new Date(r.created_at).toISOString(),
    id: r.id,
  }));
}

export async function unreadCount(ctx: ServiceContext, actor: Actor): Promise<{ unread: number }> {
  return { unread: await repo.countUnread(ctx.db, actor.userId) };
}

/** Mark these notifications (only the actor's own count; others' ids are ignored), or all, read. */
export async function markRead(
  ctx: ServiceContext,
  actor: Actor,
  ids: readonly string[] | undefined,
): Promise<{ marked: number; unread: number }> {
  const marked = await repo.markRead(ctx.db, actor.userId, ids, ctx.now());
  return { marked, unread: await repo.countUnread(ctx.db, actor.userId) };
}

/** The user read a group's source (a thread): its unread notification is read too. */
export function markGroupRead(ctx: ServiceContext, db: Db, userId: string, groupKey: string) {
  return repo.markGroupRead(db, userId, groupKey, ctx.now());
}

export async function preferences(ctx: ServiceContext, actor: Actor): Promise<PreferencesView> {
  const saved = await repo.emailPreferences(ctx.db, actor.userId);
  return {
    categories: NOTIFICATION_CATEGORIES.map((category) => ({
      category,
      description: CATEGORY_DESCRIPTIONS[category],
      email: saved.get(category) ?? true,
      inApp: true,
    })),
  };
}

export async function updatePreferences(
  ctx: ServiceContext,
  actor: Actor,
  input: { email: Partial<Record<NotificationCategory, boolean>> },
): Promise<PreferencesView> {
  const changes = NOTIFICATION_CATEGORIES.filter((c) => typeof input.email[c] === 'boolean').map((c) => ({
    category: c,
    email: input.email[c] as boolean,
  }));
  await repo.saveEmailPreferences(ctx.db, actor.userId, changes, ctx.now());
  return preferences(ctx, actor);
}
